package bgp

import (
	"encoding/binary"
	"net/netip"

	"github.com/roadrpki/road/internal/route"
)

// entry is one (prefix, origin) row of the table: 40 bytes. IPv4 addresses
// live in the top 32 bits of hi; the family is implied by the index holding
// the entry.
type entry struct {
	hi, lo uint64 // address, big-endian order
	peers  uint64 // bitmap of PeerIDs that announce this route
	origin uint32
	seen   uint32 // last-seen, unix seconds
	bits   uint8
	flags  uint8 // flagNoOrigin
}

const flagNoOrigin = 1

// key is the sort key of an entry: address, length, then origin with the
// RFC 6811 "NONE" origin after every real one.
type key struct {
	hi, lo uint64
	bits   uint8
	none   bool
	origin uint32
}

func (e *entry) key() key {
	return key{hi: e.hi, lo: e.lo, bits: e.bits, none: e.flags&flagNoOrigin != 0, origin: e.origin}
}

func compareKey(a, b key) int {
	switch {
	case a.hi != b.hi:
		return cmpU64(a.hi, b.hi)
	case a.lo != b.lo:
		return cmpU64(a.lo, b.lo)
	case a.bits != b.bits:
		return cmpU64(uint64(a.bits), uint64(b.bits))
	case a.none != b.none:
		if a.none {
			return 1
		}
		return -1
	default:
		return cmpU64(uint64(a.origin), uint64(b.origin))
	}
}

func cmpU64(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// family index: 0 IPv4, 1 IPv6.
func familyOf(p netip.Prefix) int {
	if p.Addr().Is4() {
		return 0
	}
	return 1
}

// addrWords splits a (masked) prefix address into the hi/lo words.
func addrWords(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		b := a.As4()
		return uint64(binary.BigEndian.Uint32(b[:])) << 32, 0
	}
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func prefixKey(p netip.Prefix) key {
	hi, lo := addrWords(p.Addr())
	return key{hi: hi, lo: lo, bits: uint8(p.Bits())}
}

func routeKey(r route.Route) key {
	k := prefixKey(r.Prefix)
	k.none = r.NoOrigin
	if !r.NoOrigin {
		k.origin = r.Origin
	}
	return k
}

// rangeEnd is the last address covered by p, as hi/lo words.
func rangeEnd(p netip.Prefix) (hi, lo uint64) {
	hi, lo = addrWords(p.Addr())
	bits := p.Bits()
	if p.Addr().Is4() {
		// the IPv4 address occupies the top 32 bits of hi
		host := uint64(1)<<(32-p.Bits()) - 1
		return hi | host<<32, 0
	}
	switch {
	case bits >= 128:
		return hi, lo
	case bits >= 64:
		return hi, lo | (^uint64(0) >> (bits - 64))
	case bits == 0:
		return ^uint64(0), ^uint64(0)
	default:
		return hi | (^uint64(0) >> bits), ^uint64(0)
	}
}

func (e *entry) route(fam int) route.Route {
	var a netip.Addr
	if fam == 0 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(e.hi>>32))
		a = netip.AddrFrom4(b)
	} else {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], e.hi)
		binary.BigEndian.PutUint64(b[8:], e.lo)
		a = netip.AddrFrom16(b)
	}
	r := route.Route{Prefix: netip.PrefixFrom(a, int(e.bits))}
	if e.flags&flagNoOrigin != 0 {
		r.NoOrigin = true
	} else {
		r.Origin = e.origin
	}
	return r
}
