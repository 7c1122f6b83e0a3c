package audit

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/vrp"
)

// liveImpact is internal/impact over a fixed table: what proposal.Service
// answers, without the store (the holder holds 10.0.0.0/8).
type liveImpact struct {
	routes route.Slice
	roas   vrp.Set
}

func (l liveImpact) Resilience(context.Context) (impact.Resilience, error) {
	return impact.AnalyzeResilience(l.routes, l.roas, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}), nil
}

func (l liveImpact) ImpactOf(_ context.Context, before vrp.Set, added, removed []vrp.VRP) (impact.Report, error) {
	var own []netip.Prefix
	for _, r := range l.routes {
		own = append(own, r.Prefix)
	}
	return impact.Analyze(impact.Input{Routes: l.routes, Before: before, Added: added, Removed: removed, Own: impact.NewSpace(own)}), nil
}

// TestBGPAuditImpact: each route without a fallback is reported with its
// suggestion (the /24 under its not-found /16: a ROA; the /16s: announce
// the held /8); an expiring VRP that guards two routes and a pending ROA
// that would turn one Invalid are reported with their figures.
func TestBGPAuditImpact(t *testing.T) {
	rs := route.Slice{
		{Prefix: netip.MustParsePrefix("10.0.0.0/16"), Origin: 64496},
		{Prefix: netip.MustParsePrefix("10.0.1.0/24"), Origin: 64496},
		{Prefix: netip.MustParsePrefix("10.1.0.0/16"), Origin: 64497},
	}
	cover, more, pending := mustVRP(t, "10.0.0.0/16-24 => AS64496"), mustVRP(t, "10.2.0.0/16 => AS64497"), mustVRP(t, "10.1.0.0/16 => AS64499")
	configured := vrp.NewSet([]vrp.VRP{mustVRP(t, "10.0.1.0/24 => AS64496"), more, pending})
	now := t0
	view := &fakeRP{s: RPSnapshot{LastRun: t0, Missing: []vrp.VRP{pending}, Last: &rp.Result{VRPs: []rp.VRP{
		{VRP: cover, Expires: t0.Add(48 * time.Hour)}, {VRP: more, Expires: t0.Add(300 * 24 * time.Hour)}}}}}
	s := newService(t, view, fakeBGP{conflict.Analysis{}}, &now)
	s.opt.Impact = liveImpact{routes: rs, roas: configured}
	res, err := s.RunAudit(context.Background(), BGP)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Code+" "+f.Severity+" "+f.Subject+": "+f.Message)
	}
	want := []string{
		"no-fallback warn 10.0.0.0/16 AS64496: route 10.0.0.0/16 AS64496 (not-found) has no Valid covering route to fall back on: " +
			"announce 10.0.0.0/8 from AS64496 and add ROA 10.0.0.0/8 => AS64496",
		"no-fallback warn 10.0.1.0/24 AS64496: route 10.0.1.0/24 AS64496 (valid) has no Valid covering route to fall back on: " +
			"covering announcement 10.0.0.0/16 from AS64496 is not-found; ROA 10.0.0.0/16 => AS64496 would make it a Valid fallback",
		"no-fallback warn 10.1.0.0/16 AS64497: route 10.1.0.0/16 AS64497 (invalid) has no Valid covering route to fall back on: " +
			"announce 10.0.0.0/8 from AS64497 and add ROA 10.0.0.0/8 => AS64497",
		"expiry-impact warn 1 VRP(s): if the 1 VRP(s) expiring within 72h0m0s lapse, 0 route(s) turn Invalid and 2 lose protection (Valid to not-found); none turns Invalid",
		"pending-impact warn 1 ROA(s): once routers get the 1 configured ROA(s) the relying party does not validate yet, 1 route(s) turn Invalid; " +
			"the Invalid ones cover 256 IPv4 /24 and 0 IPv6 /48 equivalents, 50.00% and 0.00% of the holder's announced IPv4 and IPv6 space, from 1 origin(s)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c := res.Counts
	if c["resilience:with_fallback"] != 0 || c["resilience:without_fallback"] != 3 || c["impact:expiring_unprotected"] != 2 ||
		c["impact:expiring_harmed"] != 0 || c["impact:pending_harmed"] != 1 || c["impact:pending_helped"] != 0 ||
		!strings.HasSuffix(res.Summary, ", 3 of 3 own routes without a fallback") {
		t.Fatalf("counts %v, summary %q", c, res.Summary)
	}
}
