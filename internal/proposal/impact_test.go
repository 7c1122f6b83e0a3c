package proposal

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// sliceRoutes is a complete route table of fixed routes, each announced by
// the one peer "import:t".
type sliceRoutes route.Slice

func (sliceRoutes) Ready(context.Context) error     { return nil }
func (r sliceRoutes) Snapshot() route.Source        { return route.Slice(r) }
func (sliceRoutes) Incomplete() []string            { return nil }
func (sliceRoutes) RoutePeers(route.Route) []string { return []string{"import:t"} }

func w1Routes() sliceRoutes {
	return sliceRoutes{
		{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Origin: 64497},
		{Prefix: netip.MustParsePrefix("192.0.2.128/25"), Origin: 64497},
		{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Origin: 64499}, // outside the CA's resources
	}
}

// TestProposeImpact: a dry run that would turn the holder's two routes
// Invalid carries their impact, exactly; the thresholds then refuse it,
// even forced.
func TestProposeImpact(t *testing.T) {
	s, _ := newService(t)
	s.routes = w1Routes()
	ctx := context.Background()
	req := &Request{DryRun: true, Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64498}}}
	res, err := s.Propose(ctx, "a", req)
	if err != nil || !res.Blocked || res.Impact == nil {
		t.Fatalf("%+v %v", res, err)
	}
	js, _ := json.Marshal(res.Impact)
	want := `{"harmed_routes":2,"unprotected_routes":0,"helped_routes":0,"changed_routes":2,"transitions":[` +
		`{"from":"not-found","to":"invalid","count":2,"routes":[` +
		`{"prefix":"192.0.2.0/24","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["import:t"]},` +
		`{"prefix":"192.0.2.128/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["import:t"]}]}],` +
		`"harmed":{"routes":2,"own_routes":2,"ipv4_slash24":1,"ipv6_slash48":0,"own_ipv4_share":1,"own_ipv6_share":0,` +
		`"origins":[64497],"origin_count":1,"peers":["import:t"],"largest":[` +
		`{"prefix":"192.0.2.0/24","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["import:t"]},` +
		`{"prefix":"192.0.2.128/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["import:t"]}]},` +
		`"helped":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,` +
		`"origins":[],"origin_count":0,"peers":[],"largest":[]}}`
	if string(js) != want {
		t.Fatalf("impact\n%s\nwant\n%s", js, want)
	}
	for _, f := range res.Findings {
		if f.Kind == "impact-limit" {
			t.Fatalf("no limit configured, yet %+v", f)
		}
	}

	// Forced, it would go ahead; over a threshold it may not.
	req.Force, req.Reason = true, "move to AS64498"
	if res, err = s.Propose(ctx, "a", req); err != nil || res.Blocked || !res.Overridden {
		t.Fatalf("forced without limits: %+v %v", res, err)
	}
	s.limits = Thresholds{MaxHarmedRoutes: 1, MaxHarmedShare: 0.5}
	res, err = s.Propose(ctx, "a", req)
	if err != nil || !res.Blocked {
		t.Fatalf("forced over the limits: %+v %v", res, err)
	}
	var got []string
	for _, f := range res.Findings {
		if f.Kind == "impact-limit" {
			got = append(got, f.Severity+" "+f.Message)
			if f.Overridable {
				t.Errorf("overridable: %+v", f)
			}
		}
	}
	wantF := []string{
		"block the change turns 2 route(s) Invalid, over the limit of 1 ([impact] max_harmed_routes)",
		"block the routes the change turns Invalid cover 100.00% of the holder's announced space, over the limit of 50.00% ([impact] max_harmed_share)",
	}
	if len(got) != 2 || got[0] != wantF[0] || got[1] != wantF[1] {
		t.Fatalf("limit findings %q", got)
	}
	// A change within the limits passes them.
	s.limits = Thresholds{MaxHarmedRoutes: 2, MaxHarmedShare: 1}
	if res, err = s.Propose(ctx, "a", req); err != nil || res.Blocked {
		t.Fatalf("forced within the limits: %+v %v", res, err)
	}
}

// TestServiceResilience: the holder's routes (inside the CA's resources
// only) under the configured ROAs; the /25's covering /24 is not Valid.
func TestServiceResilience(t *testing.T) {
	s, _ := newService(t)
	s.routes = w1Routes()
	ctx := context.Background()
	if res, err := s.Propose(ctx, "a", &Request{Add: []ROA{{Prefix: "192.0.2.128/25", ASN: 64497}}}); err != nil || !res.Applied {
		t.Fatalf("%+v %v", res, err)
	}
	r, err := s.Resilience(ctx)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(r)
	want := `{"routes":2,"with_fallback":0,"without_fallback":[` +
		`{"route":{"prefix":"192.0.2.0/24","origin":64497},"state":"not-found","suggestion":{"kind":"none","message":"192.0.2.0/24 is a whole held block: no covering announcement is possible"}},` +
		`{"route":{"prefix":"192.0.2.128/25","origin":64497},"state":"valid","covering":{"prefix":"192.0.2.0/24","origin":64497},"covering_state":"not-found",` +
		`"suggestion":{"kind":"add-roa","roa":{"prefix":"192.0.2.0/24","max_length":24,"asn":64497},"message":"covering announcement 192.0.2.0/24 from AS64497 is not-found; ROA 192.0.2.0/24 =\u003e AS64497 would make it a Valid fallback"}}]}`
	if string(js) != want {
		t.Fatalf("resilience\n%s\nwant\n%s", js, want)
	}

	// The router side: a VRP set change measured on the live routes.
	before := vrp.NewSet([]vrp.VRP{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), MaxLen: 25, ASN: 64497}})
	rep, err := s.VRPChangeImpact(ctx, before, vrp.NewSet(nil))
	if err != nil || rep.UnprotectedRoutes != 2 || rep.HarmedRoutes != 0 || rep.ChangedRoutes != 2 {
		t.Fatalf("VRP change impact %+v %v", rep, err)
	}
	rep, err = s.VRPChangeImpact(ctx, before, vrp.NewSet([]vrp.VRP{{Prefix: netip.MustParsePrefix("192.0.2.0/23"), MaxLen: 23, ASN: 0}}))
	if err != nil || rep.HarmedRoutes != 2 || rep.Harmed.OwnRoutes != 2 || rep.Transitions[0].From != vrp.Valid {
		t.Fatalf("VRP change impact to AS0 %+v %v", rep, err)
	}
}

// versionedRoutes is sliceRoutes with a table version.
type versionedRoutes struct {
	sliceRoutes
	ver uint64
}

func (v *versionedRoutes) VersionedSnapshot() (route.Source, uint64) {
	return route.Slice(v.sliceRoutes), v.ver
}

// TestOwnSpaceCachedPerVersion: the holder's announced space is computed
// once per table version: a route added under the same version is not in
// the shares' base, under a new version it is.
func TestOwnSpaceCachedPerVersion(t *testing.T) {
	s, _ := newService(t)
	low := route.Route{Prefix: netip.MustParsePrefix("192.0.2.0/25"), Origin: 64497}
	vr := &versionedRoutes{sliceRoutes: sliceRoutes{low}, ver: 7}
	s.routes = vr
	share := func() float64 {
		t.Helper()
		res, err := s.Propose(context.Background(), "a", &Request{DryRun: true, Add: []ROA{{Prefix: "192.0.2.0/25", ASN: 64498}}})
		if err != nil || res.Impact == nil || res.Impact.HarmedRoutes != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		return res.Impact.Harmed.OwnIPv4Share
	}
	if got := share(); got != 1 {
		t.Fatalf("share %v", got)
	}
	vr.sliceRoutes = sliceRoutes{low, {Prefix: netip.MustParsePrefix("192.0.2.128/25"), Origin: 64496}}
	if got := share(); got != 1 {
		t.Fatalf("same version: share %v", got)
	}
	vr.ver = 8
	if got := share(); got != 0.5 {
		t.Fatalf("new version: share %v", got)
	}
}
