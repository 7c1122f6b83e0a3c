package conflict

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/roadrpki/road/internal/vrp"
)

// looseness is the RFC 9319 verdict on one ROA.
type looseness struct {
	Loose bool
	// Missing is the first sub-prefix (shortest length, lowest address) that
	// the maxLength authorizes but the ROA's origin does not announce.
	Missing netip.Prefix
	// Tightest is the largest maxLength for which every authorized prefix is
	// announced: the safe value to use instead.
	Tightest int
}

// checkMaxLength applies RFC 9319 §4 exactly: a ROA p/plen-maxLen for AS X is
// minimal only if, for every length L in (plen, maxLen], every one of the
// 2^(L-plen) sub-prefixes of length L is announced by X. announced lists the
// prefixes seen (routes or intents) originated by X; others are ignored.
//
// Instead of enumerating sub-prefixes it counts the distinct announced ones per
// length: a length is complete exactly when its count is 2^(L-plen).
func checkMaxLength(v vrp.VRP, announced []netip.Prefix) looseness {
	plen, maxLen := v.Prefix.Bits(), int(v.MaxLen)
	res := looseness{Tightest: maxLen}
	if maxLen <= plen {
		return res
	}
	var in []netip.Prefix
	for _, p := range announced {
		if p.Bits() > plen && p.Bits() <= maxLen && vrp.Covers(v.Prefix, p) {
			in = append(in, p.Masked())
		}
	}
	slices.SortFunc(in, func(a, b netip.Prefix) int {
		if c := cmp.Compare(a.Bits(), b.Bits()); c != 0 {
			return c
		}
		return a.Addr().Compare(b.Addr())
	})
	in = slices.Compact(in)
	i := 0
	for l := plen + 1; l <= maxLen; l++ {
		j := i
		for j < len(in) && in[j].Bits() == l {
			j++
		}
		// 2^(l-plen) exceeds any real table long before the shift overflows.
		if l-plen >= 40 || uint64(j-i) < uint64(1)<<(l-plen) {
			res.Loose = true
			res.Tightest = l - 1
			res.Missing = firstGap(v.Prefix, l, in[i:j])
			return res
		}
		i = j
	}
	return res
}

// firstGap returns the lowest length-l sub-prefix of p missing from have
// (sorted by address, all of length l).
func firstGap(p netip.Prefix, l int, have []netip.Prefix) netip.Prefix {
	want := netip.PrefixFrom(p.Addr(), l)
	for _, h := range have {
		if h != want {
			return want
		}
		next, ok := nextPrefix(want)
		if !ok {
			break
		}
		want = next
	}
	return want
}

// nextPrefix returns the prefix of the same length that follows p in address
// order; ok is false past the end of the address space.
func nextPrefix(p netip.Prefix) (netip.Prefix, bool) {
	if p.Bits() == 0 {
		return p, false
	}
	bit := p.Bits() - 1 // the last bit of the prefix, counted from the top
	if p.Addr().Is4() {
		b := p.Addr().As4()
		if !addBit(b[:], bit) {
			return p, false
		}
		return netip.PrefixFrom(netip.AddrFrom4(b), p.Bits()), true
	}
	b := p.Addr().As16()
	if !addBit(b[:], bit) {
		return p, false
	}
	return netip.PrefixFrom(netip.AddrFrom16(b), p.Bits()), true
}

// addBit adds 1 at bit position bit (0 = most significant) of the big-endian
// number b; it reports false on overflow.
func addBit(b []byte, bit int) bool {
	i := bit / 8
	carry := uint16(1) << (7 - bit%8)
	for ; i >= 0 && carry != 0; i-- {
		s := uint16(b[i]) + carry
		b[i] = byte(s)
		carry = s >> 8
	}
	return carry == 0
}
