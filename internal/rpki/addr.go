package rpki

import (
	"net/netip"
)

// Bit-level helpers over the big-endian bytes of an address.

func bitAt(b []byte, i int) bool { return b[i/8]&(0x80>>(i%8)) != 0 }

func trailingBits(b []byte, one bool) int {
	n := 0
	for i := len(b)*8 - 1; i >= 0 && bitAt(b, i) == one; i-- {
		n++
	}
	return n
}

// setTail sets (one=true) or clears every bit from position from on.
func setTail(b []byte, from int, one bool) {
	for i := from; i < len(b)*8; i++ {
		if one {
			b[i/8] |= 0x80 >> (i % 8)
		} else {
			b[i/8] &^= 0x80 >> (i % 8)
		}
	}
}

func addrBytes(a netip.Addr) []byte { return a.AsSlice() }

func addrFromBytes(b []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a
}

// prefixRange is the inclusive address range of p.
func prefixRange(p netip.Prefix) IPRange {
	p = p.Masked()
	last := addrBytes(p.Addr())
	setTail(last, p.Bits(), true)
	return IPRange{Min: p.Addr(), Max: addrFromBytes(last)}
}

// isMaxAddr reports whether a is the highest address of its family.
func isMaxAddr(a netip.Addr) bool { return trailingBits(addrBytes(a), true) == a.BitLen() }

// asPrefix returns the prefix exactly covering r, if there is one
// (RFC 3779 §2.2.3.7).
func (r IPRange) asPrefix() (netip.Prefix, bool) {
	lo, hi := addrBytes(r.Min), addrBytes(r.Max)
	if len(lo) != len(hi) {
		return netip.Prefix{}, false
	}
	n := len(lo) * 8
	common := 0
	for common < n && bitAt(lo, common) == bitAt(hi, common) {
		common++
	}
	if trailingBits(lo, false) < n-common || trailingBits(hi, true) < n-common {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(r.Min, common), true
}

// splitRange returns the minimal list of prefixes covering r, in order.
func splitRange(r IPRange) []netip.Prefix {
	var out []netip.Prefix
	cur := r.Min
	for {
		b := addrBytes(cur)
		bits := cur.BitLen() - trailingBits(b, false)
		if bits < 0 {
			bits = 0
		}
		// The shortest prefix starting at cur whose last address is <= Max.
		var p netip.Prefix
		for l := bits; l <= cur.BitLen(); l++ {
			p = netip.PrefixFrom(cur, l)
			if prefixRange(p).Max.Compare(r.Max) <= 0 {
				break
			}
		}
		out = append(out, p)
		last := prefixRange(p).Max
		if last.Compare(r.Max) >= 0 {
			return out
		}
		cur = last.Next()
	}
}

func (r IPRange) contains(o IPRange) bool {
	return r.Min.Compare(o.Min) <= 0 && o.Max.Compare(r.Max) <= 0
}
