package rtr

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

func randVRP(r *rand.Rand) vrp.VRP {
	if r.IntN(4) == 0 {
		var a [16]byte
		a[0], a[1], a[2] = 0x20, 0x01, byte(r.IntN(4))
		bits := 24 + r.IntN(9)
		p, _ := netip.AddrFrom16(a).Prefix(bits)
		return vrp.VRP{Prefix: p, MaxLen: uint8(bits + r.IntN(3)), ASN: uint32(r.IntN(5))}
	}
	a := [4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), 0}
	bits := 16 + r.IntN(9)
	p, _ := netip.AddrFrom4(a).Prefix(bits)
	return vrp.VRP{Prefix: p, MaxLen: uint8(bits + r.IntN(3)), ASN: uint32(r.IntN(5))}
}

// decodeBody parses an encoded payload into announced/withdrawn VRPs and ASPAs.
func decodeBody(t *testing.T, b []byte) (ann, wd []vrp.VRP, aAnn, aWd []vrp.ASPA) {
	t.Helper()
	for len(b) > 0 {
		n := int(uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7]))
		p, err := Parse(b[:n])
		if err != nil {
			t.Fatal(err)
		}
		b = b[n:]
		switch {
		case p.Type == TypeASPA && p.Announce:
			aAnn = append(aAnn, p.ASPA)
		case p.Type == TypeASPA:
			aWd = append(aWd, p.ASPA)
		case p.Announce:
			ann = append(ann, p.VRP)
		default:
			wd = append(wd, p.VRP)
		}
	}
	return ann, wd, aAnn, aWd
}

func TestDiffEveryWindowOffset(t *testing.T) {
	for _, first := range []uint32{1, 0xfffffff0} { // also across the 2^32 wrap
		r := rand.New(rand.NewPCG(1, uint64(first)))
		const window, steps = 8, 20
		var sets []vrp.Set
		var aspaSets [][]vrp.ASPA
		cur := vrp.Set{}
		var g *generation
		for step := 0; step < steps; step++ {
			s := slices.Clone(cur)
			for k := r.IntN(6); k > 0 && len(s) > 0; k-- { // withdraw some
				i := r.IntN(len(s))
				s = append(s[:i], s[i+1:]...)
			}
			for k := r.IntN(6); k > 0; k-- { // add some (possibly re-adding)
				s = append(s, randVRP(r))
			}
			if step == 10 {
				s = nil // an emptied set is a valid generation
			}
			cur = vrp.NewSet(s)
			aspas := vrp.NormalizeASPAs([]vrp.ASPA{{Customer: uint32(r.IntN(3)), Providers: []uint32{uint32(1 + r.IntN(3))}}})
			sets = append(sets, cur)
			aspaSets = append(aspaSets, aspas)
			g = next(g, first+uint32(step), cur, aspas, window, [3]uint16{1, 2, 3}, Timers{1, 2, 3})
			for back := 0; back <= step+1; back++ {
				from := g.serial - uint32(back)
				resp := g.diffResponse(2, from)
				if back > window || back > step {
					if resp != nil {
						t.Fatalf("first=%d step %d back %d: want Cache Reset, got a diff", first, step, back)
					}
					continue
				}
				ann, wd, aAnn, aWd := decodeBody(t, resp.body)
				wantAdd, wantRm := cur.Diff(sets[step-back])
				if !reflect.DeepEqual(vrp.NewSet(ann), vrp.Set(wantAdd)) && !(len(ann) == 0 && len(wantAdd) == 0) {
					t.Fatalf("first=%d step %d back %d: announced %v want %v", first, step, back, ann, wantAdd)
				}
				if !reflect.DeepEqual(vrp.NewSet(wd), vrp.Set(wantRm)) && !(len(wd) == 0 && len(wantRm) == 0) {
					t.Fatalf("first=%d step %d back %d: withdrawn %v want %v", first, step, back, wd, wantRm)
				}
				wantAAnn, wantAWd := vrp.DiffASPAs(aspaSets[step-back], aspas)
				if !sameASPAs(aAnn, wantAAnn) || !sameASPAs(aWd, wantAWd) {
					t.Fatalf("aspa diff: %v %v want %v %v", aAnn, aWd, wantAAnn, wantAWd)
				}
				if resp.pdus != len(ann)+len(wd)+len(aAnn)+len(aWd) {
					t.Fatalf("pdu count %d", resp.pdus)
				}
				// v1 has the same prefix PDUs and no ASPA.
				if r1 := g.diffResponse(1, from); r1.pdus != len(ann)+len(wd) {
					t.Fatalf("v1 pdu count %d", r1.pdus)
				}
			}
			full := g.fullResponse(1)
			ann, wd, _, _ := decodeBody(t, full.body)
			if len(wd) != 0 || !reflect.DeepEqual(vrp.NewSet(ann), cur) && len(cur) > 0 {
				t.Fatalf("full set mismatch")
			}
		}
	}
}

func TestRaceOrder(t *testing.T) {
	vs := vrp.NewSet([]vrp.VRP{
		{Prefix: mustPrefix("10.0.0.0/8"), MaxLen: 8, ASN: 1},
		{Prefix: mustPrefix("10.1.0.0/16"), MaxLen: 16, ASN: 2},
		{Prefix: mustPrefix("2001:db8::/32"), MaxLen: 32, ASN: 3},
		{Prefix: mustPrefix("10.0.0.0/8"), MaxLen: 8, ASN: 4},
	})
	ann, _, _, _ := decodeBody(t, encodePayload(1, vs, nil, nil, nil))
	want := []string{"10.1.0.0/16 => AS2", "10.0.0.0/8 => AS1", "10.0.0.0/8 => AS4", "2001:db8::/32 => AS3"}
	for i, v := range ann {
		if v.String() != want[i] {
			t.Fatalf("order %v", ann)
		}
	}
}

func TestSerialArithmetic(t *testing.T) {
	cases := []struct {
		a, b uint32
		less bool
	}{
		{1, 2, true}, {2, 1, false}, {0xffffffff, 0, true}, {0, 0xffffffff, false},
		{5, 5, false}, {0, 1 << 31, false}, {1 << 31, 0, false}, {0, 1<<31 - 1, true},
	}
	for _, c := range cases {
		if got := serialLess(c.a, c.b); got != c.less {
			t.Errorf("serialLess(%d,%d)=%v", c.a, c.b, got)
		}
	}
}

func TestWindowMemoryBound(t *testing.T) {
	var g *generation
	mk := func(base int) vrp.Set {
		var vs []vrp.VRP
		for i := range 1 << 16 {
			a := netip.AddrFrom4([4]byte{byte(base), byte(i >> 8), byte(i), 0})
			vs = append(vs, vrp.VRP{Prefix: netip.PrefixFrom(a, 24), MaxLen: 24, ASN: 1})
		}
		return vrp.NewSet(vs)
	}
	for i := range 5 {
		g = next(g, uint32(i), mk(i), nil, 100, [3]uint16{}, Timers{})
	}
	// Each delta replaces the whole set (2*65536 records): only the newest is kept.
	if len(g.window) != 1 {
		t.Fatalf("window %d", len(g.window))
	}
	if g.diffResponse(1, 3) == nil || g.diffResponse(1, 2) != nil {
		t.Fatal("want a diff from the previous serial only")
	}
}

func TestAppendOrderedIsRaceOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	var vs []vrp.VRP
	for range 5000 {
		vs = append(vs, randVRP(r))
	}
	set := vrp.NewSet(vs)
	got, _, _, _ := decodeBody(t, appendOrdered(nil, 1, set, true))
	want := slices.Clone([]vrp.VRP(set))
	slices.SortFunc(want, raceOrder)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("counting sort differs from raceOrder")
	}
}

func sameASPAs(a, b []vrp.ASPA) bool { return slices.EqualFunc(a, b, vrp.ASPA.Equal) }
