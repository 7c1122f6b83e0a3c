package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/health"
	"github.com/roadrpki/road/internal/proposal"
)

// TestStorageLossBlocksPublicationAndReadyzSaysWhy: road started on a
// populated repository with an empty database (the database lost) starts,
// but does not publish the empty state: the live repository is unchanged
// and /readyz names the block.
func TestStorageLossBlocksPublicationAndReadyzSaysWhy(t *testing.T) {
	dir := t.TempDir()
	d := openTestDaemon(t, dir)
	if res, err := d.props.Propose(context.Background(), "test", &proposal.Request{Add: []proposal.ROA{
		{Prefix: "2001:db8:1::/48", ASN: 64496}, {Prefix: "2001:db8:2::/48", ASN: 64496}}}); err != nil || !res.Applied {
		t.Fatalf("propose: %v %+v", err, res)
	}
	session, serial := d.pub.State()
	d.Close()
	for _, n := range []string{"road.db", "road.db-wal", "road.db-shm"} {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	notification, err := os.ReadFile(filepath.Join(dir, "rrdp", "notification.xml"))
	if err != nil {
		t.Fatal(err)
	}
	d2 := openTestDaemon(t, dir)
	defer d2.Close()
	if s, n := d2.pub.State(); s != session || n != serial || len(d2.pub.Objects()) != 8 {
		t.Errorf("publication %s/%d with %d objects, want %s/%d with 8", s, n, len(d2.pub.Objects()), session, serial)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "rrdp", "notification.xml")); string(b) != string(notification) {
		t.Error("notification.xml changed")
	}
	srv := httptest.NewServer(d2.httpHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep health.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz: %d %v", resp.StatusCode, err)
	}
	var pub health.Check
	for _, c := range rep.Checks {
		if c.Part == health.PartPublication {
			pub = c
		}
	}
	if pub.OK || pub.Reason != health.ReasonPublicationRefused ||
		!strings.Contains(pub.Message, "publish-state-mismatch "+session+": the database records no publication, but the repository holds 8 objects") {
		t.Errorf("/readyz publication check %+v", pub)
	}
	// The operator reconciles: the override is recorded and the database's
	// state published (a new session is not needed: the serial goes on).
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/publish/override", strings.NewReader(`{"reason":"database lost; starting over"}`))
	req.Header.Set("Authorization", "Bearer "+d2.Token())
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got api.PublishOverrideResult
	err = json.NewDecoder(resp2.Body).Decode(&got)
	resp2.Body.Close()
	if want := (api.PublishOverrideResult{Actor: "admin", Reason: "database lost; starting over", Published: true}); err != nil || resp2.StatusCode != http.StatusOK || got != want {
		t.Errorf("override: %d %+v %v, want 200 %+v", resp2.StatusCode, got, err, want)
	}
	if s, n := d2.pub.State(); s != session || n != serial+1 || len(d2.pub.Objects()) != 6 {
		t.Errorf("after the override: %s/%d with %d objects, want %s/%d with 6", s, n, len(d2.pub.Objects()), session, serial+1)
	}
	if _, err := d2.pub.LastPublish(); err != nil {
		t.Errorf("last publication: %v", err)
	}
}

// TestChangeRefusedByTheGate: a ROA change whose staged publication an
// external relying party does not agree with fails with the gate's finding
// (409, the findings as details), the live repository is unchanged, and
// /readyz names the refusal.
func TestChangeRefusedByTheGate(t *testing.T) {
	dir := t.TempDir()
	d, srv := testDaemonIn(t, dir, func(c *config.Config, _ *Runtime) {
		c.Publish.GateCommand = []string{"echo", `{"roas":[]}`} // agrees with no ROAs only
	})
	_, serial := d.pub.State()
	notification, err := os.ReadFile(filepath.Join(dir, "rrdp", "notification.xml"))
	if err != nil || serial != 1 {
		t.Fatalf("first publication: serial %d, %v", serial, err)
	}
	expectJSON(t, d, srv, "POST", "/roas/proposals", `{"add":[{"prefix":"192.0.2.0/24","asn":64496}]}`, 409,
		`{"error":{"code":"conflict","message":"publication refused by the gate: gate-external-missing 192.0.2.0/24 => AS64496: configured, but the external relying party (echo) does not validate it from the staged tree at 2026-03-04T05:06:07Z","details":[{"code":"gate-external-missing","subject":"192.0.2.0/24 => AS64496","detail":"configured, but the external relying party (echo) does not validate it from the staged tree at 2026-03-04T05:06:07Z"}]}}`)
	if _, n := d.pub.State(); n != serial {
		t.Errorf("serial %d, want %d", n, serial)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "rrdp", "notification.xml")); string(b) != string(notification) {
		t.Error("notification.xml changed")
	}
	if c := health.Publication(testNow, testNow, mustLastErr(t, d), nil); c.Reason != health.ReasonPublicationRefused ||
		!strings.Contains(c.Message, "publication is refused (gate-external-missing;") {
		t.Errorf("publication check %+v", c)
	}
}

func mustLastErr(t *testing.T, d *Daemon) error {
	t.Helper()
	_, err := d.pub.LastPublish()
	if err == nil {
		t.Fatal("the last publication did not fail")
	}
	return err
}
