package liveroutes

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func newRoutes(t *testing.T, dir string, o Options) *Routes {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Config{DataDir: dir, BGP: o, Store: st, Logger: slog.New(slog.DiscardHandler),
		Clock: func() time.Time { return t0 }, Registry: prometheus.NewRegistry()})
}

// TestImportsKeptAcrossRestart: an import is in the table, listed, kept on
// disk and back after a restart; removing it forgets it.
func TestImportsKeptAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newRoutes(t, dir, Options{})
	res, err := r.Import(ctx, "test", "rib", strings.NewReader("192.0.2.0/24 64496\n198.51.100.0/24 64497\n"))
	if err != nil || res.Unique != 2 || res.TableRoutes != 2 || res.Skipped == nil {
		t.Fatalf("%v %+v", err, res)
	}
	l, err := r.List(ctx, "192.0.2.0/23", 0)
	if err != nil || l.Total != 1 || len(l.Routes) != 1 || l.Routes[0].Origin != 64496 {
		t.Fatalf("%v %+v", err, l)
	}

	again := newRoutes(t, dir, Options{})
	if err := again.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if n := again.Table().Len(); n != 2 {
		t.Fatalf("after restart: %d routes", n)
	}
	if err := again.RemoveImport(ctx, "test", "rib"); err != nil {
		t.Fatal(err)
	}
	if err := again.RemoveImport(ctx, "test", "rib"); !isFault(err, fault.NotFound) {
		t.Fatalf("second remove: %v", err)
	}
	if n := newRoutes(t, dir, Options{}).readyLen(t); n != 0 {
		t.Fatalf("removed import came back: %d routes", n)
	}
}

func (r *Routes) readyLen(t *testing.T) int {
	t.Helper()
	if err := r.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r.Table().Len()
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	r := newRoutes(t, t.TempDir(), Options{})
	for _, err := range []error{
		func() error { _, err := r.List(ctx, "", MaxRouteLimit+1); return err }(),
		func() error { _, err := r.List(ctx, "192.0.2.1/24", 0); return err }(),
		func() error { _, err := r.Import(ctx, "t", ".hidden", strings.NewReader("")); return err }(),
	} {
		if !isFault(err, fault.Invalid) {
			t.Errorf("%v", err)
		}
	}
}

// TestIncomplete: a configured peer without a session makes the table
// incomplete; no speaker configured, nothing is missing.
func TestIncomplete(t *testing.T) {
	if got := newRoutes(t, t.TempDir(), Options{}).Incomplete(); got != nil {
		t.Fatalf("no speaker: %q", got)
	}
	r := newRoutes(t, t.TempDir(), Options{Listen: "127.0.0.1:0", ASN: 64500, Peers: []bgp.Peer{{Address: "127.0.0.1", ASN: 64501}}})
	got := r.Incomplete()
	if len(got) != 1 || got[0] != "64501@127.0.0.1 (session not established)" {
		t.Fatalf("%q", got)
	}
}

func isFault(err error, code string) bool {
	e, ok := fault.As(err)
	return ok && e.Code == code
}
