package proposal

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// Thresholds are the policy limits on a change's impact ([impact] in the
// configuration). A change over one is refused with an impact-limit
// finding that --force cannot override. Zero means no limit.
type Thresholds struct {
	// MaxHarmedRoutes: routes the change may turn Invalid.
	MaxHarmedRoutes int
	// MaxHarmedShare: share (0..1) of the holder's announced IPv4 or IPv6
	// space the routes it turns Invalid may cover.
	MaxHarmedShare float64
}

// What the live table may also answer (liveroutes.Routes does): the peers
// announcing a route, and a snapshot with the table's version.
type (
	routePeers interface {
		RoutePeers(r route.Route) []string
	}
	versioned interface {
		VersionedSnapshot() (route.Source, uint64)
	}
)

// snapshot is the routes now and their version (0: unknown).
func (s *Service) snapshot() (route.Source, uint64) {
	if v, ok := s.routes.(versioned); ok {
		return v.VersionedSnapshot()
	}
	return s.routes.Snapshot(), 0
}

// ownCache keeps the holder's announced space of one table version:
// walking the routes inside the CA's resources is most of a one-prefix
// check's impact (about 1 ms for 10,000 own routes).
type ownCache struct {
	mu    sync.Mutex
	ver   uint64
	space *impact.Space
}

// measure is the impact of the net change added/removed on before, against
// snap (of table version ver, 0 if unknown): the figures of internal/impact,
// with the holder's announced space (the routes inside the CA's resources)
// as the base of the shares.
func (s *Service) measure(snap route.Source, ver uint64, before vrp.Set, added, removed []vrp.VRP) impact.Report {
	in := impact.Input{Routes: snap, Before: before, Added: added, Removed: removed,
		OwnFunc: func() *impact.Space { return s.ownSpace(snap, ver) }}
	if rp, ok := s.routes.(routePeers); ok {
		in.Peers = rp.RoutePeers
	}
	return impact.Analyze(in)
}

// ownSpace is the space the holder announces: the prefixes of the routes
// seen inside the CA's resources (the CA's resources do not change while
// road runs).
func (s *Service) ownSpace(snap route.Source, ver uint64) *impact.Space {
	c := &s.own
	c.mu.Lock()
	defer c.mu.Unlock()
	if ver != 0 && c.ver == ver {
		return c.space
	}
	var ps []netip.Prefix
	for r := range s.ownRoutes(snap) {
		ps = append(ps, r.Prefix)
	}
	sp := impact.NewSpace(ps)
	if ver != 0 {
		c.ver, c.space = ver, sp
	}
	return sp
}

// ownRoutes yields the routes of snap inside the CA's resources.
func (s *Service) ownRoutes(snap route.Source) func(yield func(route.Route) bool) {
	ip, _ := s.ca.Resources()
	return heldScope{src: snap, held: ip.Prefixes()}.All
}

// ImpactOf is the impact of changing the VRP set before by added and
// removed on the live routes now (the audits' pending and expiring VRPs).
func (s *Service) ImpactOf(ctx context.Context, before vrp.Set, added, removed []vrp.VRP) (impact.Report, error) {
	if err := s.routes.Ready(ctx); err != nil {
		return impact.Report{}, err
	}
	snap, ver := s.snapshot()
	return s.measure(snap, ver, before, added, removed), nil
}

// VRPChangeImpact is the impact of a router-side VRP set change, from
// before to after (both built by vrp.NewSet), on road's live BGP table:
// what the routers would see change. RTR waves check it as health.
func (s *Service) VRPChangeImpact(ctx context.Context, before, after vrp.Set) (impact.Report, error) {
	added, removed := impact.Between(before, after)
	return s.ImpactOf(ctx, before, added, removed)
}

// Resilience is the fallback analysis of the holder's announced routes
// (those inside the CA's resources) under the configured ROAs.
func (s *Service) Resilience(ctx context.Context) (impact.Resilience, error) {
	if err := s.routes.Ready(ctx); err != nil {
		return impact.Resilience{}, err
	}
	cs, err := s.checkInputs(ctx)
	if err != nil {
		return impact.Resilience{}, err
	}
	var own []route.Route
	for r := range s.ownRoutes(s.routes.Snapshot()) {
		own = append(own, r)
	}
	ip, _ := s.ca.Resources()
	return impact.AnalyzeResilience(own, cs.current, ip.Prefixes()), nil
}

// overLimit lists the thresholds rep exceeds as impact-limit findings.
func (t Thresholds) overLimit(rep *impact.Report) []Finding {
	var out []Finding
	rule := conflict.RuleOf(conflict.KindImpactLimit)
	add := func(msg string) {
		out = append(out, Finding{Kind: conflict.KindImpactLimit, Severity: rule.Severity, Overridable: rule.Overridable, Message: msg})
	}
	if t.MaxHarmedRoutes > 0 && rep.HarmedRoutes > t.MaxHarmedRoutes {
		add(fmt.Sprintf("the change turns %d route(s) Invalid, over the limit of %d ([impact] max_harmed_routes)",
			rep.HarmedRoutes, t.MaxHarmedRoutes))
	}
	share := max(rep.Harmed.OwnIPv4Share, rep.Harmed.OwnIPv6Share)
	if t.MaxHarmedShare > 0 && share > t.MaxHarmedShare {
		add(fmt.Sprintf("the routes the change turns Invalid cover %.2f%% of the holder's announced space, over the limit of %.2f%% ([impact] max_harmed_share)",
			100*share, 100*t.MaxHarmedShare))
	}
	return out
}
