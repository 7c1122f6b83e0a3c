package vrp

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"
)

func randVRP(r *rand.Rand) VRP {
	if r.IntN(4) == 0 {
		var a [16]byte
		a[0], a[1], a[2] = 0x20, 0x01, byte(r.IntN(4))
		bits := 24 + r.IntN(9)
		p, _ := netip.AddrFrom16(a).Prefix(bits)
		return VRP{Prefix: p, MaxLen: uint8(bits + r.IntN(3)), ASN: uint32(r.IntN(5))}
	}
	a := [4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), 0}
	bits := 16 + r.IntN(9)
	p, _ := netip.AddrFrom4(a).Prefix(bits)
	return VRP{Prefix: p, MaxLen: uint8(bits + r.IntN(3)), ASN: uint32(r.IntN(5))}
}

func TestSortSetMatchesNewSet(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var vs []VRP
	for range 40000 {
		vs = append(vs, randVRP(r)) // many duplicates
	}
	// Edges of the packed sort key: both families' extremes, the low bit
	// of an IPv6 address, IPv4-mapped IPv6, the largest ASN and lengths.
	for _, e := range []string{"0.0.0.0/0", "255.255.255.255/32", "::/0", "::/128", "::1/128", "::2/127",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "8000::/1", "::ffff:0:0/96", "0:0:0:1::/64", "0:0:0:0:8000::/65"} {
		p := netip.MustParsePrefix(e)
		for _, asn := range []uint32{0, 1, 4294967295} {
			vs = append(vs, VRP{Prefix: p, MaxLen: uint8(p.Addr().BitLen()), ASN: asn}, VRP{Prefix: p, MaxLen: uint8(p.Bits()), ASN: asn})
		}
	}
	r.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	want := NewSet(slices.Clone(vs))
	if got := NewLargeSet(vs); !reflect.DeepEqual(got, want) {
		t.Fatalf("NewLargeSet differs: %d vs %d", len(got), len(want))
	}
}
