package vrp

import (
	"cmp"
	"net/netip"
	"slices"
)

// Covers reports whether a equals or contains b (same family).
func Covers(a, b netip.Prefix) bool {
	return a.Bits() <= b.Bits() && a.Addr().Is4() == b.Addr().Is4() && a.Contains(b.Addr())
}

// ComparePrefix orders IPv4 before IPv6, then by address and length (the
// Compare order): a pre-order walk of the prefix tree, a cover sorting
// before what it covers.
func ComparePrefix(a, b netip.Prefix) int {
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

// TopPrefixes returns the prefixes of the VRPs in lists that no other of
// them covers: every route whose origin validation state a change of these
// VRPs can alter lies inside exactly one of them (RFC 6811 §2).
func TopPrefixes(lists ...[]VRP) []netip.Prefix {
	var all []VRP
	for _, l := range lists {
		all = append(all, l...)
	}
	all = NewSet(all) // pre-order: a cover sorts before what it covers
	var out []netip.Prefix
	for _, v := range all {
		if n := len(out); n > 0 && Covers(out[n-1], v.Prefix) {
			continue
		}
		out = append(out, v.Prefix)
	}
	return out
}

// Scope returns the VRPs of the sorted set s whose prefix covers or lies
// inside one of tops, by binary search: in s's order the VRPs inside t
// follow t contiguously, and those covering t have t's address masked to a
// shorter length. These are all the VRPs that decide a route inside t.
func Scope(s Set, tops []netip.Prefix) Set {
	var out []VRP
	from := func(p netip.Prefix) int {
		i, _ := slices.BinarySearchFunc(s, VRP{Prefix: p}, Compare)
		return i
	}
	for _, t := range tops {
		for b := range t.Bits() {
			p := netip.PrefixFrom(t.Addr(), b).Masked()
			for i := from(p); i < len(s) && s[i].Prefix == p; i++ {
				out = append(out, s[i])
			}
		}
		for i := from(t); i < len(s) && Covers(t, s[i].Prefix); i++ {
			out = append(out, s[i])
		}
	}
	return NewSet(out) // covering VRPs of two tops may repeat
}
