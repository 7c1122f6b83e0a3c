// Package route holds the BGP route as the safety checks see it: a prefix and
// its origin AS (RFC 6811 §2), and a read-only view over a set of routes. The
// live table (internal/bgp) implements Source; the pure analysis
// (internal/conflict) consumes it.
package route

import "net/netip"

// Route is one announcement seen in BGP.
type Route struct {
	Prefix netip.Prefix // masked
	Origin uint32       // last AS of the final AS_SEQUENCE
	// NoOrigin is set when the origin is RFC 6811 "NONE": the final path segment
	// is an AS_SET. Such a route never matches a VRP, so if covered it is Invalid.
	NoOrigin bool
}

// Source is a read-only view of a route table.
type Source interface {
	// Within calls yield for every route whose prefix equals p or is a
	// more-specific of p, until yield returns false.
	Within(p netip.Prefix, yield func(Route) bool)
	// All calls yield for every route until yield returns false.
	All(yield func(Route) bool)
}

// Slice is a Source over a plain slice (tests, small imports).
type Slice []Route

// Within implements Source by a linear scan.
func (s Slice) Within(p netip.Prefix, yield func(Route) bool) {
	for _, r := range s {
		if r.Prefix.Bits() >= p.Bits() && p.Contains(r.Prefix.Addr()) {
			if !yield(r) {
				return
			}
		}
	}
}

// All implements Source.
func (s Slice) All(yield func(Route) bool) {
	for _, r := range s {
		if !yield(r) {
			return
		}
	}
}
