package rtr

import "github.com/roadrpki/road/internal/vrp"

// minus returns the elements of sorted a that are not in sorted b.
func minus(a, b []vrp.VRP) []vrp.VRP {
	var out []vrp.VRP
	j := 0
	for _, x := range a {
		for j < len(b) && vrp.Compare(b[j], x) < 0 {
			j++
		}
		if j < len(b) && vrp.Compare(b[j], x) == 0 {
			continue
		}
		out = append(out, x)
	}
	return out
}

// union merges two sorted disjoint slices into one sorted slice.
func union(a, b []vrp.VRP) []vrp.VRP {
	out := make([]vrp.VRP, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if vrp.Compare(a[i], b[j]) <= 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// compose merges two consecutive deltas S0->S1 (a1, r1) and S1->S2 (a2, r2)
// into the minimal delta S0->S2: what was added then removed (or removed
// then added) cancels out (RFC 8210 §5.3 "minimum set of changes").
func compose(a1, r1, a2, r2 []vrp.VRP) (added, removed []vrp.VRP) {
	added = union(minus(a1, r2), minus(a2, r1))
	removed = union(minus(r1, a2), minus(r2, a1))
	return added, removed
}
