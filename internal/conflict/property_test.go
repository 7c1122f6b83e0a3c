package conflict

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// bruteLoose enumerates every sub-prefix the ROA authorizes (small ranges only).
func bruteLoose(v vrp.VRP, announced []netip.Prefix) bool {
	have := map[netip.Prefix]bool{}
	for _, p := range announced {
		have[p.Masked()] = true
	}
	for l := v.Prefix.Bits() + 1; l <= int(v.MaxLen); l++ {
		p := netip.PrefixFrom(v.Prefix.Addr(), l)
		for {
			if !have[p] {
				return true
			}
			next, ok := nextPrefix(p)
			if !ok || !v.Prefix.Contains(next.Addr()) {
				break
			}
			p = next
		}
	}
	return false
}

// FuzzCheckMaxLength compares the counting check with enumeration.
func FuzzCheckMaxLength(f *testing.F) {
	f.Add(uint8(23), uint8(24), []byte{0, 1, 24, 1, 1, 24})
	f.Add(uint8(22), uint8(24), []byte{0, 0, 23, 2, 0, 23, 0, 0, 24, 1, 0, 24, 3, 0, 24})
	f.Fuzz(func(t *testing.T, plen, span uint8, ann []byte) {
		pl := 16 + int(plen%9)
		ml := pl + int(span%7)
		base := netip.MustParsePrefix("10.0.0.0/8")
		v := vrp.VRP{Prefix: netip.PrefixFrom(base.Addr(), pl), MaxLen: uint8(ml), ASN: 1}
		var announced []netip.Prefix
		for i := 0; i+3 <= len(ann) && i < 3*512; i += 3 {
			a := netip.AddrFrom4([4]byte{10, 0, ann[i], ann[i+1]})
			announced = append(announced, netip.PrefixFrom(a, 16+int(ann[i+2]%17)).Masked())
		}
		got := checkMaxLength(v, announced)
		if want := bruteLoose(v, announced); got.Loose != want {
			t.Fatalf("%s with %v: loose=%v, enumeration says %v", v, announced, got.Loose, want)
		}
		if got.Loose {
			if slices.Contains(announced, got.Missing) || !vrp.Covers(v.Prefix, got.Missing) || got.Missing.Bits() != got.Tightest+1 {
				t.Fatalf("%s: bad missing %s / tightest %d", v, got.Missing, got.Tightest)
			}
		}
	})
}

// TestAnalyzeRouteFindingsBruteForce checks that evaluating only routes inside
// changed prefixes finds exactly the transitions a full-table scan finds.
func TestAnalyzeRouteFindingsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	randPrefix := func() netip.Prefix {
		if r.IntN(4) == 0 {
			a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(r.IntN(4)), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(r.IntN(2))})
			return netip.PrefixFrom(a, 32+r.IntN(97)).Masked()
		}
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(2))})
		return netip.PrefixFrom(a, 8+r.IntN(25)).Masked()
	}
	randVRP := func() vrp.VRP {
		p := randPrefix()
		return vrp.VRP{Prefix: p, MaxLen: uint8(p.Bits() + r.IntN(p.Addr().BitLen()-p.Bits()+1)), ASN: uint32(r.IntN(4))}
	}
	for round := range 500 {
		var cur []vrp.VRP
		for range r.IntN(10) {
			cur = append(cur, randVRP())
		}
		set := vrp.NewSet(cur)
		var add, remove []vrp.VRP
		for range r.IntN(4) {
			add = append(add, randVRP())
		}
		for _, v := range set {
			if r.IntN(3) == 0 {
				remove = append(remove, v)
			}
		}
		var rs route.Slice
		for range r.IntN(25) {
			rs = append(rs, route.Route{Prefix: randPrefix(), Origin: uint32(r.IntN(4)), NoOrigin: r.IntN(10) == 0})
		}
		res := Analyze(Input{Current: set, Add: add, Remove: remove, Routes: rs, Held: pfx("0.0.0.0/0", "::/0")})

		got := map[string]bool{}
		for _, f := range res.Findings {
			if f.Route != nil {
				got[f.Kind+" "+routeText(*f.Route)] = true
			}
		}
		want := map[string]bool{}
		before, after := vrp.NewIndex(set), vrp.NewIndex(res.Resulting)
		for _, rt := range rs {
			b, a := before.Validate(rt.Prefix, rt.Origin, rt.NoOrigin), after.Validate(rt.Prefix, rt.Origin, rt.NoOrigin)
			switch {
			case b != vrp.Invalid && a == vrp.Invalid:
				want[KindInvalidatesRoute+" "+routeText(rt)] = true
			case b == vrp.Valid && a == vrp.NotFound:
				want[KindUnprotectsRoute+" "+routeText(rt)] = true
			}
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: got %v, want %v", round, got, want)
		}
		for k := range want {
			if !got[k] {
				t.Fatalf("round %d: missing %s (got %v)", round, k, got)
			}
		}
		// Resulting is exactly (Current - Remove) + Add.
		var exp []vrp.VRP
		for _, v := range set {
			if !slices.Contains(remove, v) || slices.Contains(add, v) {
				exp = append(exp, v)
			}
		}
		if e := vrp.NewSet(append(exp, add...)); !slices.Equal(e, res.Resulting) {
			t.Fatalf("round %d: Resulting %v, want %v", round, res.Resulting, e)
		}
	}
}
