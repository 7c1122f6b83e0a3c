package vrp

// Minus returns the elements of sorted a that are not in sorted b.
func Minus(a, b []VRP) []VRP {
	var out []VRP
	j := 0
	for _, x := range a {
		for j < len(b) && Compare(b[j], x) < 0 {
			j++
		}
		if j < len(b) && Compare(b[j], x) == 0 {
			continue
		}
		out = append(out, x)
	}
	return out
}

// Union merges two sorted disjoint slices into one sorted slice.
func Union(a, b []VRP) []VRP {
	out := make([]VRP, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if Compare(a[i], b[j]) <= 0 {
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

// ComposeDiffs merges two consecutive deltas S0->S1 (a1, r1) and S1->S2 (a2, r2)
// into the minimal delta S0->S2: what was added then removed (or removed
// then added) cancels out (RFC 8210 §5.3 "minimum set of changes").
func ComposeDiffs(a1, r1, a2, r2 []VRP) (added, removed []VRP) {
	added = Union(Minus(a1, r2), Minus(a2, r1))
	removed = Union(Minus(r1, a2), Minus(r2, a1))
	return added, removed
}
