package api

import (
	"github.com/roadrpki/road/internal/impact"
)

// The wire shapes of internal/impact: a change's impact (in a proposal's
// answer) and the resilience of the holder's routes (GET /bgp/resilience).

// Impact is what a change does to the live routes: routes per RFC 6811
// state transition, and the harmed (turned Invalid) and helped (no longer
// Invalid, or Valid from not-found) routes summed up.
type Impact struct {
	HarmedRoutes      int                `json:"harmed_routes"`
	UnprotectedRoutes int                `json:"unprotected_routes"` // Valid → not-found
	HelpedRoutes      int                `json:"helped_routes"`
	ChangedRoutes     int                `json:"changed_routes"`
	Transitions       []ImpactTransition `json:"transitions"`
	Harmed            ImpactEffect       `json:"harmed"`
	Helped            ImpactEffect       `json:"helped"`
}

// ImpactTransition is every route going from one state to another
// ("valid", "not-found", "invalid"); Routes lists the first 100.
type ImpactTransition struct {
	From   string        `json:"from"`
	To     string        `json:"to"`
	Count  int           `json:"count"`
	Routes []ImpactRoute `json:"routes"`
}

// ImpactRoute is one route whose state changes. Reason refines To: valid,
// not-found, invalid-asn, invalid-length or disallowed.
type ImpactRoute struct {
	Prefix   string   `json:"prefix"`
	Origin   uint32   `json:"origin"`
	NoOrigin bool     `json:"no_origin,omitempty"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Reason   string   `json:"reason"`
	Peers    []string `json:"peers"`
}

// ImpactEffect sums up a group of changed routes: their number (and how
// many are inside the holder's announced space), the union of their
// prefixes in IPv4 /24 and IPv6 /48 equivalents and as a share (0..1) of
// the holder's announced space per family, their origins (the first 100)
// and peers, and the 10 largest prefixes.
type ImpactEffect struct {
	Routes       int           `json:"routes"`
	OwnRoutes    int           `json:"own_routes"`
	IPv4Slash24  float64       `json:"ipv4_slash24"`
	IPv6Slash48  float64       `json:"ipv6_slash48"`
	OwnIPv4Share float64       `json:"own_ipv4_share"`
	OwnIPv6Share float64       `json:"own_ipv6_share"`
	Origins      []uint32      `json:"origins"`
	OriginCount  int           `json:"origin_count"`
	Peers        []string      `json:"peers"`
	Largest      []ImpactRoute `json:"largest"`
}

// Resilience is the body of GET /bgp/resilience: of the holder's announced
// routes (inside the CA's resources), those without a fallback, a covering
// announcement of the holder that is itself Valid under the configured ROAs.
type Resilience struct {
	Routes          int       `json:"routes"`
	WithFallback    int       `json:"with_fallback"`
	WithoutFallback []Exposed `json:"without_fallback"`
}

// Exposed is one route without a fallback: its state, the nearest covering
// announcement of the holder (not Valid) if any, and what would add one.
type Exposed struct {
	Route         RouteRef   `json:"route"`
	State         string     `json:"state"`
	Covering      *RouteRef  `json:"covering,omitempty"`
	CoveringState string     `json:"covering_state,omitempty"`
	Suggestion    Suggestion `json:"suggestion"`
}

// Suggestion is what would give an exposed route a fallback. Kind is
// "add-roa" (a ROA for the covering announcement), "announce" (announce
// the aggregate, with the ROA when it is not Valid yet) or "none" (the
// route is a whole held block, or outside the held resources).
type Suggestion struct {
	Kind     string    `json:"kind"`
	Announce *RouteRef `json:"announce,omitempty"`
	ROA      *ROARef   `json:"roa,omitempty"`
	Message  string    `json:"message"`
}

func impactRoute(c impact.RouteChange) ImpactRoute {
	peers := c.Peers
	if peers == nil {
		peers = []string{}
	}
	return ImpactRoute{Prefix: c.Prefix.String(), Origin: c.Origin, NoOrigin: c.NoOrigin, From: c.From.String(),
		To: c.To.String(), Reason: string(c.Reason), Peers: peers}
}

func impactEffect(e impact.Effect) ImpactEffect {
	return ImpactEffect{Routes: e.Routes, OwnRoutes: e.OwnRoutes, IPv4Slash24: e.IPv4Slash24, IPv6Slash48: e.IPv6Slash48,
		OwnIPv4Share: e.OwnIPv4Share, OwnIPv6Share: e.OwnIPv6Share, Origins: mapAll(e.Origins, func(o uint32) uint32 { return o }),
		OriginCount: e.OriginCount, Peers: mapAll(e.Peers, func(p string) string { return p }), Largest: mapAll(e.Largest, impactRoute)}
}

func impactOf(r impact.Report) *Impact {
	out := &Impact{HarmedRoutes: r.HarmedRoutes, UnprotectedRoutes: r.UnprotectedRoutes, HelpedRoutes: r.HelpedRoutes,
		ChangedRoutes: r.ChangedRoutes, Transitions: []ImpactTransition{}, Harmed: impactEffect(r.Harmed), Helped: impactEffect(r.Helped)}
	for _, t := range r.Transitions {
		out.Transitions = append(out.Transitions, ImpactTransition{From: t.From.String(), To: t.To.String(), Count: t.Count,
			Routes: mapAll(t.Routes, impactRoute)})
	}
	return out
}

func impactRef(r impact.RouteRef) RouteRef {
	return RouteRef{Prefix: r.Prefix.String(), Origin: r.Origin, NoOrigin: r.NoOrigin}
}

func resilience(r impact.Resilience) *Resilience {
	out := &Resilience{Routes: r.Routes, WithFallback: r.WithFallback, WithoutFallback: []Exposed{}}
	for _, e := range r.WithoutFallback {
		x := Exposed{Route: impactRef(e.Route), State: e.State.String(), Covering: mapPtr(e.Covering, impactRef),
			Suggestion: Suggestion{Kind: e.Suggestion.Kind, Announce: mapPtr(e.Suggestion.Announce, impactRef),
				Message: e.Suggestion.Message}}
		if e.CoveringState != nil {
			x.CoveringState = e.CoveringState.String()
		}
		if roa := e.Suggestion.ROA; roa != nil {
			x.Suggestion.ROA = &ROARef{Prefix: roa.Prefix.String(), MaxLength: roa.MaxLength, ASN: roa.ASN}
		}
		out.WithoutFallback = append(out.WithoutFallback, x)
	}
	return out
}
