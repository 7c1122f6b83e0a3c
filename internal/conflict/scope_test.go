package conflict

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

// The one-pass set arithmetic and the binary-search scope agree with the
// plain definitions on random nested prefixes.
func TestApplyChangeAndScope(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	randPrefix := func() netip.Prefix {
		if r.IntN(3) == 0 {
			a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(r.IntN(3)), byte(r.IntN(2))})
			return netip.PrefixFrom(a, 30+r.IntN(20)).Masked()
		}
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(3)), byte(r.IntN(3)), byte(r.IntN(2))})
		return netip.PrefixFrom(a, 6+r.IntN(27)).Masked()
	}
	randVRP := func() vrp.VRP {
		p := randPrefix()
		return vrp.VRP{Prefix: p, MaxLen: uint8(p.Bits() + r.IntN(3)), ASN: uint32(r.IntN(3))}
	}
	for range 2000 {
		var cs []vrp.VRP
		for range r.IntN(30) {
			cs = append(cs, randVRP())
		}
		cur := vrp.NewSet(cs)
		var add, remove []vrp.VRP
		for range r.IntN(4) {
			add = append(add, randVRP())
		}
		for _, v := range cur {
			if r.IntN(4) == 0 {
				remove = append(remove, v)
			}
		}
		if r.IntN(3) == 0 && len(add) > 0 {
			remove = append(remove, add[0]) // add-and-remove
		}
		res := Analyze(Input{Current: cur, Add: add, Remove: remove, Held: pfx("0.0.0.0/0", "::/0")})

		// plain definition: (cur minus removals) plus additions
		rm := map[vrp.VRP]bool{}
		for _, v := range remove {
			rm[v] = true
		}
		var next []vrp.VRP
		for _, v := range cur {
			if !rm[v] {
				next = append(next, v)
			}
		}
		for _, v := range add {
			if v.Validate() == nil { // malformed additions are findings, not changes
				next = append(next, v)
			}
		}
		want := vrp.NewSet(next)
		wantAdded, wantRemoved := want.Diff(cur)
		if !slices.Equal(res.Resulting, want) || !slices.Equal(res.Added, wantAdded) || !slices.Equal(res.Removed, wantRemoved) {
			t.Fatalf("cur %v add %v remove %v:\nresulting %v want %v\nadded %v want %v\nremoved %v want %v",
				cur, add, remove, res.Resulting, want, res.Added, wantAdded, res.Removed, wantRemoved)
		}

		tops := vrp.TopPrefixes(res.Added, res.Removed)
		var plain []vrp.VRP
		for _, v := range want {
			for _, tp := range tops {
				if vrp.Covers(v.Prefix, tp) || vrp.Covers(tp, v.Prefix) {
					plain = append(plain, v)
					break
				}
			}
		}
		if got := vrp.Scope(want, tops); !slices.Equal(got, vrp.Set(plain)) {
			t.Fatalf("scope of %v in %v:\n got  %v\n want %v", tops, want, got, plain)
		}
	}
}
