// Package impact measures the blast radius of a VRP change on BGP routes and
// the resilience of the holder's own announcements. For a change it says which
// routes change RFC 6811 validation state (per transition), how much address
// space that is, in IPv4 /24 and IPv6 /48 equivalents and as a share of the
// holder's announced space, and which origins and peers it touches. For the
// holder's routes it says which have no Valid covering announcement to fall
// back on. Pure: inputs in, findings out; no I/O, no clock.
package impact

import (
	"net/netip"
	"slices"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// Defaults of Input.Limit and Input.Top.
const (
	DefaultLimit = 100
	DefaultTop   = 10
)

// Input is a VRP change and the routes it is measured against.
type Input struct {
	// Routes is an immutable snapshot (e.g. bgp.Table.Snapshot). Only the
	// routes inside a changed prefix are read (Within), never All.
	Routes route.Source
	// Peers, when set, names the peers announcing a route; it is asked only
	// for routes whose state changes.
	Peers func(route.Route) []string
	// Before is the VRP set in force, built by vrp.NewSet (sorted, unique,
	// masked); it is searched, never scanned.
	Before vrp.Set
	// Added and Removed are the change (Between turns two sets into one).
	// Additions already in Before and removals not in it are no-ops; a VRP
	// both added and removed stays.
	Added, Removed []vrp.VRP
	// Own is the space the holder announces, the base of the shares (nil:
	// shares are 0). Build it once with NewSpace and reuse it.
	Own *Space
	// OwnFunc, when Own is nil, builds it; it is called only when some
	// route changes state (a change that moves nothing needs no base).
	OwnFunc func() *Space
	// Limit caps the routes listed per transition and the origins listed per
	// effect; Top caps the largest prefixes listed. 0 means the default.
	Limit, Top int
}

// Space is a set of prefixes (the holder's announced space) normalized for
// measuring: sorted, without prefixes another one covers, with its size.
type Space struct {
	prefixes []netip.Prefix
	v4, v6   float64
}

// NewSpace normalizes ps (invalid prefixes are ignored, host bits masked).
func NewSpace(ps []netip.Prefix) *Space {
	s := &Space{prefixes: disjoint(ps)}
	s.v4, s.v6 = size(s.prefixes)
	return s
}

// Contains reports whether all of p is inside the space: one prefix of the
// space covers it, or those inside it fill it (both halves of a /24).
func (s *Space) Contains(p netip.Prefix) bool {
	p = p.Masked()
	i, _ := slices.BinarySearchFunc(s.prefixes, p, vrp.ComparePrefix)
	if i > 0 && vrp.Covers(s.prefixes[i-1], p) {
		return true
	}
	var in float64
	for ; i < len(s.prefixes) && vrp.Covers(p, s.prefixes[i]); i++ {
		in += units(s.prefixes[i])
	}
	return in == units(p)
}

// Size is the space in IPv4 /24 and IPv6 /48 equivalents.
func (s *Space) Size() (ipv4Slash24, ipv6Slash48 float64) { return s.v4, s.v6 }

// Between returns the change from the VRP set before to after (both built
// by vrp.NewSet): the router side of a change, a new RP or SLURM output.
func Between(before, after vrp.Set) (added, removed []vrp.VRP) {
	return after.Diff(before)
}

// RouteChange is one route whose validation state changes.
type RouteChange struct {
	Prefix   netip.Prefix `json:"prefix"`
	Origin   uint32       `json:"origin"`
	NoOrigin bool         `json:"no_origin,omitempty"` // final AS_SET: RFC 6811 origin NONE
	From     vrp.State    `json:"from"`
	To       vrp.State    `json:"to"`
	// Reason refines To: valid, not-found, invalid-asn, invalid-length or
	// disallowed.
	Reason vrp.Reason `json:"reason"`
	Peers  []string   `json:"peers"`
}

// Route returns the route itself.
func (c RouteChange) Route() route.Route {
	return route.Route{Prefix: c.Prefix, Origin: c.Origin, NoOrigin: c.NoOrigin}
}

// Transition is every route going from one state to another.
type Transition struct {
	From  vrp.State `json:"from"`
	To    vrp.State `json:"to"`
	Count int       `json:"count"`
	// Routes are the first Limit of them in prefix order.
	Routes []RouteChange `json:"routes"`
}

// Effect sums up a group of changed routes (harmed or helped).
type Effect struct {
	Routes int `json:"routes"`
	// OwnRoutes are those inside the holder's announced space (Input.Own).
	OwnRoutes int `json:"own_routes"`
	// The union of their prefixes, in IPv4 /24 and IPv6 /48 equivalents
	// (a /25 is 0.5, a /23 is 2).
	IPv4Slash24 float64 `json:"ipv4_slash24"`
	IPv6Slash48 float64 `json:"ipv6_slash48"`
	// The part of the holder's announced space (Input.Own) they cover,
	// 0..1 per family (0 when the holder announces none of the family).
	OwnIPv4Share float64 `json:"own_ipv4_share"`
	OwnIPv6Share float64 `json:"own_ipv6_share"`
	// Distinct origins (sorted, the first Limit) and their number.
	Origins     []uint32 `json:"origins"`
	OriginCount int      `json:"origin_count"`
	// Distinct peers announcing them, sorted.
	Peers []string `json:"peers"`
	// Largest lists the Top largest prefixes (by /24 or /48 equivalents).
	Largest []RouteChange `json:"largest"`
}

// Report is the impact of one change. Harmed routes become Invalid (they
// lose reachability where routers drop Invalid); helped routes stop being
// Invalid or become Valid from not-found; unprotected routes go from Valid to
// not-found (still reachable, no longer protected against hijacks).
type Report struct {
	HarmedRoutes      int          `json:"harmed_routes"`
	UnprotectedRoutes int          `json:"unprotected_routes"`
	HelpedRoutes      int          `json:"helped_routes"`
	ChangedRoutes     int          `json:"changed_routes"`
	Transitions       []Transition `json:"transitions"`
	Harmed            Effect       `json:"harmed"`
	Helped            Effect       `json:"helped"`
}

// transitionOrder lists the six transitions, harm first.
var transitionOrder = [...][2]vrp.State{
	{vrp.Valid, vrp.Invalid}, {vrp.NotFound, vrp.Invalid}, {vrp.Valid, vrp.NotFound},
	{vrp.Invalid, vrp.Valid}, {vrp.Invalid, vrp.NotFound}, {vrp.NotFound, vrp.Valid},
}

func harms(c RouteChange) bool { return c.To == vrp.Invalid }

func helps(c RouteChange) bool {
	return c.From == vrp.Invalid || (c.From == vrp.NotFound && c.To == vrp.Valid)
}

// Analyze measures the change. Only routes inside a changed VRP prefix can
// change state (RFC 6811 §2: a VRP only covers its prefix and more-specifics),
// so only those are read and validated, against indexes of just the VRPs
// covering or inside the changed prefixes.
func Analyze(in Input) Report {
	if in.Limit <= 0 {
		in.Limit = DefaultLimit
	}
	if in.Top <= 0 {
		in.Top = DefaultTop
	}
	added, removed := netChange(in.Before, in.Added, in.Removed)
	tops := vrp.TopPrefixes(added, removed)
	scoped := vrp.Scope(in.Before, tops)
	before := vrp.NewIndex(scoped)
	after := vrp.NewIndex(apply(scoped, added, removed))

	var changes []RouteChange
	if in.Routes != nil {
		seen := map[route.Route]bool{}
		for _, top := range tops {
			in.Routes.Within(top, func(r route.Route) bool {
				r.Prefix = r.Prefix.Masked()
				if r.NoOrigin {
					r.Origin = 0
				}
				if seen[r] {
					return true
				}
				seen[r] = true
				from := before.Validate(r.Prefix, r.Origin, r.NoOrigin)
				to := after.Validate(r.Prefix, r.Origin, r.NoOrigin)
				if from != to {
					c := RouteChange{Prefix: r.Prefix, Origin: r.Origin, NoOrigin: r.NoOrigin, From: from, To: to,
						Reason: after.Classify(r.Prefix, r.Origin, r.NoOrigin), Peers: []string{}}
					if in.Peers != nil {
						c.Peers = sortedPeers(in.Peers(r))
					}
					changes = append(changes, c)
				}
				return true
			})
		}
	}
	slices.SortFunc(changes, compareChange)
	return report(changes, in)
}

func report(changes []RouteChange, in Input) Report {
	out := Report{ChangedRoutes: len(changes), Transitions: []Transition{}}
	for _, ft := range transitionOrder {
		t := Transition{From: ft[0], To: ft[1], Routes: []RouteChange{}}
		for _, c := range changes {
			if c.From == t.From && c.To == t.To {
				t.Count++
				if len(t.Routes) < in.Limit {
					t.Routes = append(t.Routes, c)
				}
			}
		}
		if t.Count > 0 {
			out.Transitions = append(out.Transitions, t)
		}
	}
	own := in.Own
	if own == nil && in.OwnFunc != nil && len(changes) > 0 {
		own = in.OwnFunc()
	}
	if own == nil {
		own = NewSpace(nil)
	}
	var harmed, helped []RouteChange
	for _, c := range changes {
		switch {
		case harms(c):
			harmed = append(harmed, c)
		case helps(c):
			helped = append(helped, c)
		default:
			out.UnprotectedRoutes++
		}
	}
	out.HarmedRoutes, out.HelpedRoutes = len(harmed), len(helped)
	out.Harmed = effect(harmed, own, in.Limit, in.Top)
	out.Helped = effect(helped, own, in.Limit, in.Top)
	return out
}

func effect(cs []RouteChange, own *Space, limit, top int) Effect {
	e := Effect{Routes: len(cs), Origins: []uint32{}, Peers: []string{}, Largest: []RouteChange{}}
	prefixes := make([]netip.Prefix, len(cs))
	peers := map[string]bool{}
	var origins []uint32
	for i, c := range cs {
		prefixes[i] = c.Prefix
		if own.Contains(c.Prefix) {
			e.OwnRoutes++
		}
		if !c.NoOrigin {
			origins = append(origins, c.Origin)
		}
		for _, p := range c.Peers {
			peers[p] = true
		}
	}
	u := disjoint(prefixes)
	e.IPv4Slash24, e.IPv6Slash48 = size(u)
	in4, in6 := size(intersect(u, own.prefixes))
	if own.v4 > 0 {
		e.OwnIPv4Share = in4 / own.v4
	}
	if own.v6 > 0 {
		e.OwnIPv6Share = in6 / own.v6
	}
	slices.Sort(origins)
	origins = slices.Compact(origins)
	e.OriginCount = len(origins)
	e.Origins = append(e.Origins, origins[:min(len(origins), limit)]...)
	for p := range peers {
		e.Peers = append(e.Peers, p)
	}
	slices.Sort(e.Peers)
	largest := slices.Clone(cs)
	slices.SortStableFunc(largest, func(a, b RouteChange) int {
		if c := -compareUnits(a.Prefix, b.Prefix); c != 0 {
			return c
		}
		return compareChange(a, b)
	})
	e.Largest = append(e.Largest, largest[:min(len(largest), top)]...)
	return e
}

func sortedPeers(ps []string) []string {
	out := slices.Clone(ps)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}
