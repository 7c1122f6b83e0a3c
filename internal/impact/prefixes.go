package impact

import (
	"cmp"
	"math"
	"net/netip"
	"slices"

	"github.com/roadrpki/road/internal/vrp"
)

// netChange cleans a change against before: well-formed VRPs only (RFC 9582
// §4.3.2.2 bounds), additions not in before, removals in before and not
// added back. Both results are sorted.
func netChange(before vrp.Set, adds, rems []vrp.VRP) (added, removed []vrp.VRP) {
	addSet, remSet := cleanVRPs(adds), cleanVRPs(rems)
	for _, v := range addSet {
		if !before.Contains(v) {
			added = append(added, v)
		}
	}
	for _, v := range remSet {
		if before.Contains(v) && !addSet.Contains(v) {
			removed = append(removed, v)
		}
	}
	return added, removed
}

func cleanVRPs(vs []vrp.VRP) vrp.Set {
	out := make([]vrp.VRP, 0, len(vs))
	for _, v := range vs {
		if v.Prefix.IsValid() {
			v.Prefix = v.Prefix.Masked()
			if v.Validate() == nil {
				out = append(out, v)
			}
		}
	}
	return vrp.NewSet(out)
}

// topPrefixes returns the changed prefixes no other changed prefix covers:
// every route whose state can change lies inside exactly one of them.
func topPrefixes(lists ...[]vrp.VRP) []netip.Prefix {
	var all []vrp.VRP
	for _, l := range lists {
		all = append(all, l...)
	}
	all = vrp.NewSet(all) // pre-order: a cover sorts before what it covers
	var out []netip.Prefix
	for _, v := range all {
		if n := len(out); n > 0 && covers(out[n-1], v.Prefix) {
			continue
		}
		out = append(out, v.Prefix)
	}
	return out
}

// scope returns the VRPs of the sorted set s whose prefix covers or lies
// inside one of tops, by binary search: in s's order the VRPs inside t
// follow t contiguously, and those covering t have t's address masked to a
// shorter length. These are all the VRPs that decide a route inside t.
func scope(s vrp.Set, tops []netip.Prefix) vrp.Set {
	var out []vrp.VRP
	from := func(p netip.Prefix) int {
		i, _ := slices.BinarySearchFunc(s, vrp.VRP{Prefix: p}, vrp.Compare)
		return i
	}
	for _, t := range tops {
		for b := range t.Bits() {
			p := netip.PrefixFrom(t.Addr(), b).Masked()
			for i := from(p); i < len(s) && s[i].Prefix == p; i++ {
				out = append(out, s[i])
			}
		}
		for i := from(t); i < len(s) && covers(t, s[i].Prefix); i++ {
			out = append(out, s[i])
		}
	}
	return vrp.NewSet(out) // covering VRPs of two tops may repeat
}

// apply returns scoped without removed and with added.
func apply(scoped vrp.Set, added, removed []vrp.VRP) vrp.Set {
	out := make([]vrp.VRP, 0, len(scoped)+len(added))
	for _, v := range scoped {
		if _, gone := slices.BinarySearchFunc(removed, v, vrp.Compare); !gone {
			out = append(out, v)
		}
	}
	return vrp.NewSet(append(out, added...))
}

// covers reports whether a equals or contains b (same family).
func covers(a, b netip.Prefix) bool {
	return a.Bits() <= b.Bits() && a.Addr().Is4() == b.Addr().Is4() && a.Contains(b.Addr())
}

// comparePrefix orders IPv4 before IPv6, then by address and length: a
// pre-order walk of the prefix tree (a cover sorts before what it covers).
func comparePrefix(a, b netip.Prefix) int {
	if a.Addr().Is4() != b.Addr().Is4() {
		if a.Addr().Is4() {
			return -1
		}
		return 1
	}
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

func compareChange(a, b RouteChange) int {
	if c := comparePrefix(a.Prefix, b.Prefix); c != 0 {
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

// units is the size of p in IPv4 /24 or IPv6 /48 equivalents.
func units(p netip.Prefix) float64 {
	if p.Addr().Is4() {
		return math.Ldexp(1, 24-p.Bits())
	}
	return math.Ldexp(1, 48-p.Bits())
}

// compareUnits orders by size, then IPv4 first.
func compareUnits(a, b netip.Prefix) int {
	if c := cmp.Compare(units(a), units(b)); c != 0 {
		return c
	}
	if a.Addr().Is4() != b.Addr().Is4() {
		if a.Addr().Is4() {
			return 1
		}
		return -1
	}
	return 0
}

// disjoint returns the valid prefixes of ps, masked, sorted, without those
// another one covers: the same space as a list of disjoint prefixes.
func disjoint(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if p.IsValid() {
			out = append(out, p.Masked())
		}
	}
	slices.SortFunc(out, comparePrefix)
	n := 0
	for _, p := range out {
		if n > 0 && covers(out[n-1], p) {
			continue
		}
		out[n] = p
		n++
	}
	return out[:n]
}

// size sums disjoint prefixes in IPv4 /24 and IPv6 /48 equivalents.
func size(ps []netip.Prefix) (v4, v6 float64) {
	for _, p := range ps {
		if p.Addr().Is4() {
			v4 += units(p)
		} else {
			v6 += units(p)
		}
	}
	return v4, v6
}

// intersect returns the space common to two disjoint sorted lists: prefixes
// nest or are disjoint, so each prefix of a meets the one prefix of b that
// covers it, or the run of b's prefixes inside it.
func intersect(a, b []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range a {
		i, _ := slices.BinarySearchFunc(b, p, comparePrefix)
		if i > 0 && covers(b[i-1], p) {
			out = append(out, p)
			continue
		}
		for ; i < len(b) && covers(p, b[i]); i++ {
			out = append(out, b[i])
		}
	}
	return out
}
