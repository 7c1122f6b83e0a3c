package audit

import (
	"context"
	"fmt"

	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/vrp"
)

// BGP audit finding codes of the impact analysis.
const (
	// CodeNoFallback: a route of the holder has no Valid covering route of
	// the holder to fall back on, and one is possible (its suggestion).
	CodeNoFallback = "no-fallback"
	// CodeExpiryImpact: VRPs expiring within the warning would, by
	// lapsing, turn routes Invalid or unprotected.
	CodeExpiryImpact = "expiry-impact"
	// CodePendingImpact: configured ROAs the relying party does not see
	// yet would, once routers get them, turn routes Invalid.
	CodePendingImpact = "pending-impact"
)

// ImpactSource measures on the live routes (proposal.Service does).
type ImpactSource interface {
	// Resilience is the fallback analysis of the holder's routes.
	Resilience(ctx context.Context) (impact.Resilience, error)
	// ImpactOf is the impact of changing the VRP set before by added and
	// removed.
	ImpactOf(ctx context.Context, before vrp.Set, added, removed []vrp.VRP) (impact.Report, error)
}

// auditImpact adds to a BGP audit the routes without a fallback and the
// impact of what is about to change for routers: the VRPs of the bundled
// relying party expiring within the warning, and the configured ROAs it
// does not validate yet (pending publication).
func (s *Service) auditImpact(ctx context.Context, res *Result) error {
	src := s.opt.Impact
	if src == nil {
		return nil
	}
	rs, err := src.Resilience(ctx)
	if err != nil {
		return err
	}
	res.Counts["resilience:with_fallback"] = rs.WithFallback
	res.Counts["resilience:without_fallback"] = len(rs.WithoutFallback)
	res.Summary += fmt.Sprintf(", %d of %d own routes without a fallback", len(rs.WithoutFallback), rs.Routes)
	for _, e := range rs.WithoutFallback {
		if e.Suggestion.Kind == impact.SuggestNone {
			continue // a whole held block: nothing the holder can do
		}
		subject := routeSubject(e.Route)
		res.add(CodeNoFallback, SeverityWarn, subject, fmt.Sprintf("route %s (%s) has no Valid covering route to fall back on: %s",
			subject, e.State, e.Suggestion.Message))
	}
	snap := s.opt.RP.Snapshot()
	if snap.Last == nil {
		return nil
	}
	before := snap.Last.Set()
	warn := s.expiryWarning()
	var expiring []vrp.VRP
	for _, v := range snap.Last.VRPs {
		if !v.Expires.IsZero() && v.Expires.Sub(s.clock()) <= warn {
			expiring = append(expiring, v.VRP)
		}
	}
	if len(expiring) > 0 {
		rep, err := src.ImpactOf(ctx, before, nil, expiring)
		if err != nil {
			return err
		}
		res.Counts["impact:expiring_harmed"], res.Counts["impact:expiring_unprotected"] = rep.HarmedRoutes, rep.UnprotectedRoutes
		if rep.HarmedRoutes+rep.UnprotectedRoutes > 0 {
			res.add(CodeExpiryImpact, SeverityWarn, fmt.Sprintf("%d VRP(s)", len(expiring)), fmt.Sprintf(
				"if the %d VRP(s) expiring within %s lapse, %d route(s) turn Invalid and %d lose protection (Valid to not-found); %s",
				len(expiring), warn, rep.HarmedRoutes, rep.UnprotectedRoutes, harmText(rep.Harmed)))
		}
	}
	if len(snap.Missing) > 0 {
		rep, err := src.ImpactOf(ctx, before, snap.Missing, nil)
		if err != nil {
			return err
		}
		res.Counts["impact:pending_harmed"], res.Counts["impact:pending_helped"] = rep.HarmedRoutes, rep.HelpedRoutes
		if rep.HarmedRoutes > 0 {
			res.add(CodePendingImpact, SeverityWarn, fmt.Sprintf("%d ROA(s)", len(snap.Missing)), fmt.Sprintf(
				"once routers get the %d configured ROA(s) the relying party does not validate yet, %d route(s) turn Invalid; %s",
				len(snap.Missing), rep.HarmedRoutes, harmText(rep.Harmed)))
		}
	}
	return nil
}

func routeSubject(r impact.RouteRef) string {
	if r.NoOrigin {
		return r.Prefix.String() + " AS_SET"
	}
	return fmt.Sprintf("%s AS%d", r.Prefix, r.Origin)
}

// harmText sums up the routes turned Invalid.
func harmText(e impact.Effect) string {
	if e.Routes == 0 {
		return "none turns Invalid"
	}
	return fmt.Sprintf("the Invalid ones cover %g IPv4 /24 and %g IPv6 /48 equivalents, %.2f%% and %.2f%% of the holder's announced IPv4 and IPv6 space, from %d origin(s)",
		e.IPv4Slash24, e.IPv6Slash48, 100*e.OwnIPv4Share, 100*e.OwnIPv6Share, e.OriginCount)
}
