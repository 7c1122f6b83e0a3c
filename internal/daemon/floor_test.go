package daemon

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/roadrpki/road/internal/proposal"
)

func openTestDaemon(t *testing.T, dir string) *Daemon {
	t.Helper()
	c := testConfig(dir)
	c.Resources = []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}
	d, err := Open(context.Background(), c, Runtime{KeyPoolSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRestoredPublicationStartsNewSession: the database records the live
// RRDP serial, so RRDP files restored from an older backup are not continued
// (the serial would go backwards for RPs); road starts a new session.
func TestRestoredPublicationStartsNewSession(t *testing.T) {
	dir := t.TempDir()
	d := openTestDaemon(t, dir)
	propose := func(d *Daemon, prefix string) *proposal.Result {
		t.Helper()
		res, err := d.props.Propose(context.Background(), "test", &proposal.Request{Add: []proposal.ROA{{Prefix: prefix, ASN: 64496}}})
		if err != nil || !res.Applied {
			t.Fatalf("propose %s: %v %+v", prefix, err, res)
		}
		return res
	}
	propose(d, "2001:db8:1::/48")
	session1, serial1 := d.pub.State()
	backup := t.TempDir()
	if err := os.CopyFS(backup, os.DirFS(filepath.Join(dir, "rrdp"))); err != nil {
		t.Fatal(err)
	}
	propose(d, "2001:db8:2::/48")
	if s, n := d.pub.State(); s != session1 || n != serial1+1 {
		t.Fatalf("after the second change %s/%d", s, n)
	}
	d.Close()

	// A restart on intact files continues the session.
	d = openTestDaemon(t, dir)
	if s, n := d.pub.State(); s != session1 || n != serial1+1 {
		t.Fatalf("restart: %s/%d, want %s/%d", s, n, session1, serial1+1)
	}
	d.Close()

	if err := os.RemoveAll(filepath.Join(dir, "rrdp")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "rrdp"), os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	d = openTestDaemon(t, dir)
	defer d.Close()
	s, n := d.pub.State()
	if s == session1 || n != 1 {
		t.Fatalf("after restoring serial %d of %s: %s/%d, want a new session at serial 1", serial1, session1, s, n)
	}
	// Nothing configured is lost: both ROAs are in the new session.
	var roas int
	for uri := range d.pub.Objects() {
		if filepath.Ext(uri) == ".roa" {
			roas++
		}
	}
	if roas != 2 {
		t.Fatalf("%d ROA objects published in the new session, want 2", roas)
	}
}
