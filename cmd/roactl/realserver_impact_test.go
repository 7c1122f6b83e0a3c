package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// w1Routes is the acceptance walk-through's table, announced by "import:t".
type w1Routes struct{}

func (w1Routes) Ready(context.Context) error { return nil }
func (w1Routes) Snapshot() route.Source {
	return route.Slice{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Origin: 64497},
		{Prefix: netip.MustParsePrefix("192.0.2.128/25"), Origin: 64497}, {Prefix: netip.MustParsePrefix("198.51.100.0/24"), Origin: 64499}}
}
func (w1Routes) Incomplete() []string            { return nil }
func (w1Routes) RoutePeers(route.Route) []string { return []string{"import:t"} }

// realImpactServer is the real proposal service (SQLite, CA holding
// 192.0.2.0/24) over w1Routes behind the real API handlers.
func realImpactServer(t *testing.T) func(string) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }
	c, err := ca.New(ca.Config{RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://127.0.0.1:8443/rrdp/",
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, AS: []rpki.ASRange{{Min: 64496, Max: 64511}},
		Clock: clock, Keys: ca.NewKeyPool(0)}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	svc := proposal.New(proposal.Config{Store: st, CA: c, Routes: w1Routes{}, Publish: func(context.Context) error { return nil },
		Serial: func() uint64 { return 3 }, Clock: clock, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	r := chi.NewRouter()
	api.NewServer(api.Parts{Proposals: svc}, realTokens(t, "tok", nil), nil).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return func(k string) string { return map[string]string{"ROAD_SERVER": srv.URL, "ROAD_TOKEN": "tok"}[k] }
}

// TestImpactAndResilienceAgainstRealServer: the dry run prints its impact
// after the findings; bgp resilience lists the /25 whose covering /24 is
// not Valid.
func TestImpactAndResilienceAgainstRealServer(t *testing.T) {
	env := realImpactServer(t)
	expect(t, runCLI(env, "roa", "propose", "--add", "192.0.2.0/24 => AS64498", "--dry-run"), 3, ""+
		"SEVERITY  KIND               MESSAGE\n"+
		"block     invalidates-route  route 192.0.2.0/24 from AS64497 is not-found now and would be invalid (invalid-asn) after adding 192.0.2.0/24 => AS64498\n"+
		"block     invalidates-route  route 192.0.2.128/25 from AS64497 is not-found now and would be invalid (invalid-asn) after adding 192.0.2.0/24 => AS64498\n"+
		"info      unseen             192.0.2.0/24 => AS64498 authorizes no route seen in BGP and no intent\n"+
		"impact: 2 route(s) change state: 2 turn Invalid, 0 lose protection (Valid to not-found), 0 helped\n"+
		"  not-found -> invalid  2\n"+
		"  harmed: 2 route(s) (2 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 100.00% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: import:t\n"+
		"    largest: 192.0.2.0/24 AS64497, 192.0.2.128/25 AS64497\n"+
		"result: blocked by 2 finding(s); nothing changed (override with --force --reason T)\n")
	expect(t, runCLI(env, "roa", "add", "192.0.2.128/25 => AS64497"), 0, ""+
		"no findings\n"+
		"impact: 1 route(s) change state: 0 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> valid  1\n"+
		"  helped: 1 route(s) (1 in the holder's space), 0.5 IPv4 /24 and 0 IPv6 /48 equivalents, 50.00% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: import:t\n"+
		"    largest: 192.0.2.128/25 AS64497\n"+
		"result: applied, added 1 and removed 0 ROA(s), RRDP serial 3, change 1\n")
	expect(t, runCLI(env, "bgp", "resilience"), 0, ""+
		"2 route(s) in the holder's space, 0 with a Valid covering route to fall back on, 2 without\n"+
		"ROUTE                   STATE      COVERING                          SUGGESTION\n"+
		"192.0.2.0/24 AS64497    not-found  -                                 192.0.2.0/24 is a whole held block: no covering announcement is possible\n"+
		"192.0.2.128/25 AS64497  valid      192.0.2.0/24 AS64497 (not-found)  covering announcement 192.0.2.0/24 from AS64497 is not-found; ROA 192.0.2.0/24 => AS64497 would make it a Valid fallback\n")
}
