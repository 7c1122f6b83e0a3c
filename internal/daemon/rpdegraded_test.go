package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/health"
	"github.com/roadrpki/road/internal/testpeers"
)

// readyOf answers /readyz in-process.
func readyOf(t *testing.T, d *Daemon) (int, health.Report) {
	t.Helper()
	rec := httptest.NewRecorder()
	d.health.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var r health.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("/readyz %q: %v", rec.Body.String(), err)
	}
	return rec.Code, r
}

// partsOf lists the checks as "part ok" or "part reason".
func partsOf(r health.Report) string {
	var out []string
	for _, c := range r.Checks {
		if c.OK {
			out = append(out, c.Part+" ok")
		} else {
			out = append(out, c.Part+" "+c.Reason)
		}
	}
	return strings.Join(out, ", ")
}

// waitRP polls rp status until ok says so.
func waitRP(t *testing.T, d *Daemon, what string, ok func(*api.RPStatus) bool) *api.RPStatus {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st, err := d.RPStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("rp status never %s: %+v", what, st)
		}
	}
}

// TestRPDegradedKeepsRTRAndAlarms: when a run fails after a good one, RTR
// keeps the last good VRPs, /readyz is 503 naming the relying party, the
// webhook gets the consistency audit with rp-error; the next good run
// recovers and /readyz is 200 again.
func TestRPDegradedKeepsRTRAndAlarms(t *testing.T) {
	hooks := make(chan audit.Result, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res audit.Result
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &res) == nil {
			hooks <- res
		}
	}))
	defer hook.Close()
	dir := t.TempDir()
	https := fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t))
	c := testConfig(dir)
	c.HTTPS, c.RRDPBase, c.Alerts.Webhook = https, "https://"+https+"/rrdp/", hook.URL
	d := runDaemon(t, c)
	addROAs(t, d, "192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS64497")
	waitRP(t, d, "ok with 2 VRPs", func(st *api.RPStatus) bool { return st.OK && st.VRPs == 2 })
	if code, r := readyOf(t, d); code != 200 || r.Status != "ready" || partsOf(r) != "listeners ok, database ok, rp-own ok, publication ok" {
		t.Fatalf("/readyz with the RP ok: %d %+v", code, r)
	}

	tal := filepath.Join(dir, "road.tal")
	saved, err := os.ReadFile(tal)
	if err != nil || os.Remove(tal) != nil {
		t.Fatalf("road.tal: %v", err)
	}
	d.rp.Kick()
	st := waitRP(t, d, "degraded", func(st *api.RPStatus) bool { return st.Degraded })
	if st.Reason != "rp-run-failed" || st.OK || st.Served != 2 {
		t.Fatalf("degraded status %+v", st)
	}
	if rs := d.rtr.Status(); rs.VRPs != 2 {
		t.Fatalf("RTR serves %d VRPs while degraded, want the last good 2", rs.VRPs)
	}
	code, r := readyOf(t, d)
	if fail := r.Failing(); code != 503 || r.Status != "not-ready" || partsOf(r) != "listeners ok, database ok, rp-own rp-run-failed, publication ok" ||
		!strings.HasPrefix(fail[0].Message, "own: rp-run-failed: ") {
		t.Fatalf("/readyz while degraded: %d %+v", code, r)
	}
	select {
	case res := <-hooks:
		if res.Kind != audit.Consistency || len(res.Findings) == 0 || res.Findings[0].Code != audit.CodeRPError {
			t.Fatalf("webhook got %+v", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook got no alarm")
	}

	if err := os.WriteFile(tal, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	d.rp.Kick()
	waitRP(t, d, "recovered", func(st *api.RPStatus) bool { return st.OK && !st.Degraded && st.VRPs == 2 })
	if code, r := readyOf(t, d); code != 200 || partsOf(r) != "listeners ok, database ok, rp-own ok, publication ok" {
		t.Fatalf("/readyz after recovery: %d %+v", code, r)
	}
}
