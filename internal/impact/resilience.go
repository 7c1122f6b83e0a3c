package impact

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// Suggestion kinds of an exposed route.
const (
	// SuggestAddROA: a covering announcement of the holder exists but is not
	// Valid; the ROA would make it Valid.
	SuggestAddROA = "add-roa"
	// SuggestAnnounce: no covering announcement exists; announce the
	// aggregate (and add the ROA, unless it is already Valid).
	SuggestAnnounce = "announce"
	// SuggestNone: the route is a whole held block; nothing the holder may
	// announce covers it.
	SuggestNone = "none"
)

// RouteRef names one route.
type RouteRef struct {
	Prefix   netip.Prefix `json:"prefix"`
	Origin   uint32       `json:"origin"`
	NoOrigin bool         `json:"no_origin,omitempty"`
}

// ROA is a suggested ROA: (prefix, maxLength, origin AS), RFC 6482.
type ROA struct {
	Prefix    netip.Prefix `json:"prefix"`
	MaxLength int          `json:"max_length"`
	ASN       uint32       `json:"asn"`
}

// VRP returns the suggestion as a vrp.VRP.
func (r ROA) VRP() vrp.VRP { return vrp.VRP{Prefix: r.Prefix, MaxLen: uint8(r.MaxLength), ASN: r.ASN} }

// Suggestion is what would give an exposed route a fallback.
type Suggestion struct {
	Kind     string    `json:"kind"`
	Announce *RouteRef `json:"announce,omitempty"`
	ROA      *ROA      `json:"roa,omitempty"`
	Message  string    `json:"message"`
}

// Exposed is a route of the holder without a fallback.
type Exposed struct {
	Route RouteRef  `json:"route"`
	State vrp.State `json:"state"`
	// Covering is the nearest covering announcement of the holder, not
	// Valid (absent when there is none).
	Covering      *RouteRef  `json:"covering,omitempty"`
	CoveringState *vrp.State `json:"covering_state,omitempty"`
	Suggestion    Suggestion `json:"suggestion"`
}

// Resilience is the fallback analysis of the holder's announcements.
type Resilience struct {
	Routes       int `json:"routes"`
	WithFallback int `json:"with_fallback"`
	// WithoutFallback lists, in prefix order, every route no Valid covering
	// announcement of the holder backs up.
	WithoutFallback []Exposed `json:"without_fallback"`
}

// AnalyzeResilience decides, for every route the holder announces (own),
// whether it has a fallback: a strictly less-specific announcement of the
// holder that is itself Valid under roas (RFC 6811 §2), so traffic still
// arrives if this route alone became Invalid or were withdrawn. held is the
// holder's IP resources; the aggregate suggested for a route without any
// covering announcement is the largest held block covering it (the parent
// prefix when held is empty).
func AnalyzeResilience(own []route.Route, roas vrp.Set, held []netip.Prefix) Resilience {
	ix := vrp.NewIndex(roas)
	rs := make([]route.Route, 0, len(own))
	for _, r := range own {
		if r.Prefix.IsValid() {
			r.Prefix = r.Prefix.Masked()
			if r.NoOrigin {
				r.Origin = 0
			}
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, compareRoute)
	rs = slices.Compact(rs)
	valid := make([]bool, len(rs))
	for i, r := range rs {
		valid[i] = ix.Validate(r.Prefix, r.Origin, r.NoOrigin) == vrp.Valid
	}
	blocks := disjoint(held)
	out := Resilience{Routes: len(rs), WithoutFallback: []Exposed{}}
	// rs is in pre-order, so the routes covering rs[i] are on the stack.
	var stack []int
	for i, r := range rs {
		for len(stack) > 0 && !vrp.Covers(rs[stack[len(stack)-1]].Prefix, r.Prefix) {
			stack = stack[:len(stack)-1]
		}
		fallback, cover := false, -1
		for k := len(stack) - 1; k >= 0 && !fallback; k-- {
			c := stack[k]
			if rs[c].Prefix.Bits() == r.Prefix.Bits() {
				continue // same prefix, another origin: not a fallback
			}
			fallback = valid[c]
			if cover < 0 && !rs[c].NoOrigin {
				cover = c
			}
		}
		stack = append(stack, i)
		if fallback {
			out.WithFallback++
			continue
		}
		out.WithoutFallback = append(out.WithoutFallback, exposed(ix, r, rs, cover, blocks))
	}
	return out
}

func exposed(ix *vrp.Index, r route.Route, rs []route.Route, cover int, blocks []netip.Prefix) Exposed {
	e := Exposed{Route: ref(r), State: ix.Validate(r.Prefix, r.Origin, r.NoOrigin)}
	if cover >= 0 {
		c := rs[cover]
		st := ix.Validate(c.Prefix, c.Origin, false)
		e.Covering, e.CoveringState = ptr(ref(c)), &st
		roa := ROA{Prefix: c.Prefix, MaxLength: c.Prefix.Bits(), ASN: c.Origin}
		e.Suggestion = Suggestion{Kind: SuggestAddROA, ROA: &roa,
			Message: fmt.Sprintf("covering announcement %s from AS%d is %s; ROA %s would make it a Valid fallback", c.Prefix, c.Origin, st, roa.VRP())}
		return e
	}
	agg, none := aggregate(r.Prefix, blocks)
	if none != "" {
		e.Suggestion = Suggestion{Kind: SuggestNone, Message: none}
		return e
	}
	if r.NoOrigin {
		e.Suggestion = Suggestion{Kind: SuggestAnnounce,
			Message: fmt.Sprintf("announce %s from a single origin AS with a ROA for it (this route ends in an AS_SET)", agg)}
		return e
	}
	origin := r.Origin
	e.Suggestion = Suggestion{Kind: SuggestAnnounce, Announce: &RouteRef{Prefix: agg, Origin: origin}}
	if ix.Validate(agg, origin, false) == vrp.Valid {
		e.Suggestion.Message = fmt.Sprintf("announce %s from AS%d (already Valid under the current ROAs)", agg, origin)
		return e
	}
	roa := ROA{Prefix: agg, MaxLength: agg.Bits(), ASN: origin}
	e.Suggestion.ROA = &roa
	e.Suggestion.Message = fmt.Sprintf("announce %s from AS%d and add ROA %s", agg, origin, roa.VRP())
	return e
}

// aggregate is the covering prefix to announce for p: the held block
// covering it (p's parent without held resources), or why there is none.
func aggregate(p netip.Prefix, blocks []netip.Prefix) (netip.Prefix, string) {
	if len(blocks) == 0 {
		if p.Bits() == 0 {
			return netip.Prefix{}, fmt.Sprintf("%s covers the whole address family", p)
		}
		return netip.PrefixFrom(p.Addr(), p.Bits()-1).Masked(), ""
	}
	i, _ := slices.BinarySearchFunc(blocks, p, vrp.ComparePrefix)
	for _, j := range []int{i, i - 1} {
		if j >= 0 && j < len(blocks) && vrp.Covers(blocks[j], p) {
			if blocks[j].Bits() == p.Bits() {
				return netip.Prefix{}, fmt.Sprintf("%s is a whole held block: no covering announcement is possible", p)
			}
			return blocks[j], ""
		}
	}
	return netip.Prefix{}, fmt.Sprintf("%s is outside the held resources", p)
}

func compareRoute(a, b route.Route) int {
	if c := vrp.ComparePrefix(a.Prefix, b.Prefix); c != 0 {
		return c
	}
	if a.NoOrigin != b.NoOrigin {
		if a.NoOrigin {
			return 1
		}
		return -1
	}
	return cmp.Compare(a.Origin, b.Origin)
}

func ref(r route.Route) RouteRef {
	return RouteRef{Prefix: r.Prefix, Origin: r.Origin, NoOrigin: r.NoOrigin}
}

func ptr[T any](v T) *T { return &v }
