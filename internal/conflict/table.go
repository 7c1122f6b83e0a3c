package conflict

import (
	"net/netip"
	"slices"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// ROA states of AnalyzeTable (Krill's categories, with an exact RFC 9319
// check for too-permissive).
const (
	ROANotHeld       = "not-held"       // prefix outside the CA's resources
	ROAAS0           = "as0"            // AS0 ROA: disallows all origins (RFC 6483 §4)
	ROAAS0Redundant  = "as0-redundant"  // AS0 ROA whose prefix another ROA already covers
	ROARedundant     = "redundant"      // a same-ASN ROA with covering prefix and maxLength >= makes it moot
	ROAUnseen        = "unseen"         // authorizes and disallows no seen route
	ROADisallowing   = "disallowing"    // authorizes nothing, only makes routes invalid
	ROATooPermissive = "too-permissive" // maxLength authorizes unannounced more-specifics (RFC 9319)
	// ROAExcepted is too-permissive with a recorded exception (RFC 9319 §5.1).
	ROAExcepted = "too-permissive-excepted"
	ROASeen     = "seen" // authorizes seen routes, minimal
)

// ROAReport is one configured ROA in an Analysis.
type ROAReport struct {
	ROA   vrp.VRP
	State string
	// Authorizes lists the seen routes the ROA matches (RFC 6811 §2).
	Authorizes []route.Route
	// Disallows lists the seen Invalid routes the ROA covers.
	Disallows []route.Route
	// RedundantBy names the ROAs that make this one redundant.
	RedundantBy []vrp.VRP
	// Missing and TightestMaxLength explain too-permissive: the first
	// unannounced authorized prefix and the largest safe maxLength.
	Missing           netip.Prefix
	TightestMaxLength int
	// Exception is the recorded reason of a too-permissive-excepted ROA.
	Exception string
}

// RouteReport is one seen route in the holder's space.
type RouteReport struct {
	Route route.Route
	// State is valid, not-found, invalid-asn, invalid-length or disallowed.
	State vrp.Reason
	// Covering lists every ROA covering the route; AllowedBy those matching it.
	Covering  []vrp.VRP
	AllowedBy []vrp.VRP
}

// Analysis is the answer to `roactl bgp analyze` / GET /api/v1/bgp/analysis.
type Analysis struct {
	ROAs        []ROAReport
	Routes      []RouteReport
	ROAStates   map[string]int
	RouteStates map[string]int
}

// AnalyzeTable reports every configured ROA and every route in the holder's
// space (held(prefix); nil held means all routes) with its state. ROA states
// are decided in this order: not-held, as0/as0-redundant, redundant, unseen,
// disallowing, too-permissive, seen. (Krill checks too-permissive before
// disallowing; a ROA that authorizes nothing is better described as
// disallowing whatever its maxLength.)
func AnalyzeTable(roas vrp.Set, routes route.Source, held func(netip.Prefix) bool) Analysis {
	return AnalyzeTableWith(roas, routes, held, nil)
}

// AnalyzeTableWith is AnalyzeTable with recorded exceptions: a too-permissive
// ROA listed there is reported as too-permissive-excepted with its reason.
func AnalyzeTableWith(roas vrp.Set, routes route.Source, held func(netip.Prefix) bool, exceptions map[vrp.VRP]string) Analysis {
	ix := vrp.NewIndex(roas)
	set := ix.Set()
	seen := scopeRoutes(routes, held)

	authorizes := make([][]route.Route, len(set))
	disallows := make([][]route.Route, len(set))
	out := Analysis{ROAStates: map[string]int{}, RouteStates: map[string]int{}}
	out.Routes = make([]RouteReport, 0, len(seen))
	for _, r := range seen {
		rep := RouteReport{Route: r, State: ix.Classify(r.Prefix, r.Origin, r.NoOrigin), Covering: ix.Covering(r.Prefix)}
		slices.SortFunc(rep.Covering, vrp.Compare)
		for _, v := range rep.Covering {
			i := position(set, v)
			switch {
			case vrp.Matches(v, r.Prefix.Bits(), r.Origin, r.NoOrigin):
				rep.AllowedBy = append(rep.AllowedBy, v)
				authorizes[i] = append(authorizes[i], r)
			case rep.State != vrp.ReasonValid:
				disallows[i] = append(disallows[i], r)
			}
		}
		out.Routes = append(out.Routes, rep)
		out.RouteStates[string(rep.State)]++
	}

	out.ROAs = make([]ROAReport, 0, len(set))
	for i, v := range set {
		rep := ROAReport{ROA: v, Authorizes: authorizes[i], Disallows: disallows[i], TightestMaxLength: int(v.MaxLen)}
		rep.State = roaState(ix, v, held, &rep)
		if reason := exceptions[v]; rep.State == ROATooPermissive && reason != "" {
			rep.State, rep.Exception = ROAExcepted, reason
		}
		out.ROAs = append(out.ROAs, rep)
		out.ROAStates[rep.State]++
	}
	return out
}

func roaState(ix *vrp.Index, v vrp.VRP, held func(netip.Prefix) bool, rep *ROAReport) string {
	if held != nil && !held(v.Prefix) {
		return ROANotHeld
	}
	if v.ASN == 0 {
		for _, w := range ix.Covering(v.Prefix) {
			if w != v {
				rep.RedundantBy = append(rep.RedundantBy, w)
			}
		}
		if len(rep.RedundantBy) > 0 {
			slices.SortFunc(rep.RedundantBy, vrp.Compare)
			return ROAAS0Redundant
		}
		return ROAAS0
	}
	rep.RedundantBy = redundantBy(ix, v)
	switch {
	case len(rep.RedundantBy) > 0:
		return ROARedundant
	case len(rep.Authorizes) == 0 && len(rep.Disallows) == 0:
		return ROAUnseen
	case len(rep.Authorizes) == 0:
		return ROADisallowing
	}
	announced := make([]netip.Prefix, len(rep.Authorizes))
	for i, r := range rep.Authorizes {
		announced[i] = r.Prefix
	}
	if l := checkMaxLength(v, announced); l.Loose {
		rep.Missing, rep.TightestMaxLength = l.Missing, l.Tightest
		return ROATooPermissive
	}
	return ROASeen
}

// redundantBy lists the other ROAs with the same ASN, a covering prefix and
// a maxLength at least as long: each authorizes everything v does.
func redundantBy(ix *vrp.Index, v vrp.VRP) []vrp.VRP {
	var out []vrp.VRP
	for _, w := range ix.Covering(v.Prefix) {
		if w != v && w.ASN == v.ASN && w.MaxLen >= v.MaxLen {
			out = append(out, w)
		}
	}
	slices.SortFunc(out, vrp.Compare)
	return out
}

// scopeRoutes returns the distinct routes in the holder's space, masked and
// sorted.
func scopeRoutes(routes route.Source, held func(netip.Prefix) bool) []route.Route {
	var out []route.Route
	if routes == nil {
		return out
	}
	routes.All(func(r route.Route) bool {
		if !r.Prefix.IsValid() {
			return true
		}
		r.Prefix = r.Prefix.Masked()
		if held == nil || held(r.Prefix) {
			out = append(out, r)
		}
		return true
	})
	slices.SortFunc(out, compareRoute)
	return slices.Compact(out)
}

func position(s vrp.Set, v vrp.VRP) int {
	i, _ := slices.BinarySearchFunc(s, v, vrp.Compare)
	return i
}
