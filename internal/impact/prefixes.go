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

func compareChange(a, b RouteChange) int {
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
	slices.SortFunc(out, vrp.ComparePrefix)
	n := 0
	for _, p := range out {
		if n > 0 && vrp.Covers(out[n-1], p) {
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
		i, _ := slices.BinarySearchFunc(b, p, vrp.ComparePrefix)
		if i > 0 && vrp.Covers(b[i-1], p) {
			out = append(out, p)
			continue
		}
		for ; i < len(b) && vrp.Covers(p, b[i]); i++ {
			out = append(out, b[i])
		}
	}
	return out
}
