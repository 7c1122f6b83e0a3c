package vrp

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestComposeDiffs: composing S0→S1 and S1→S2 gives exactly S0→S2.
func TestComposeDiffs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	randSet := func() Set {
		var vs []VRP
		for range 200 {
			vs = append(vs, randVRP(r))
		}
		return NewSet(vs)
	}
	for range 50 {
		s0, s1, s2 := randSet(), randSet(), randSet()
		a1, r1 := s1.Diff(s0)
		a2, r2 := s2.Diff(s1)
		added, removed := ComposeDiffs(a1, r1, a2, r2)
		wantA, wantR := s2.Diff(s0)
		if !slices.Equal(added, wantA) || !slices.Equal(removed, wantR) {
			t.Fatalf("composed %d/%d, want %d/%d", len(added), len(removed), len(wantA), len(wantR))
		}
	}
	if got := Minus(mustSet(t, "192.0.2.0/24 => 1", "192.0.2.0/24 => 2"), mustSet(t, "192.0.2.0/24 => 2")); !slices.Equal(got, []VRP(mustSet(t, "192.0.2.0/24 => 1"))) {
		t.Fatalf("Minus %v", got)
	}
}
