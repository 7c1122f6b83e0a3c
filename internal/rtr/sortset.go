package rtr

import (
	"slices"
	"sync"

	"github.com/roadrpki/road/internal/vrp"
)

// sortSet is vrp.NewSet using two cores for large inputs: both halves are
// sorted concurrently and merged (the sort is most of a 424k-VRP reload).
func sortSet(vs []vrp.VRP) vrp.Set {
	if len(vs) < 1<<14 {
		return vrp.NewSet(vs)
	}
	h := len(vs) / 2
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); slices.SortFunc(vs[:h], vrp.Compare) }()
	slices.SortFunc(vs[h:], vrp.Compare)
	wg.Wait()
	out := make([]vrp.VRP, 0, len(vs))
	a, b := vs[:h], vs[h:]
	for len(a) > 0 && len(b) > 0 {
		c := vrp.Compare(a[0], b[0])
		switch {
		case c < 0:
			out = appendUnique(out, a[0])
			a = a[1:]
		default:
			out = appendUnique(out, b[0])
			b = b[1:]
		}
	}
	for _, x := range a {
		out = appendUnique(out, x)
	}
	for _, x := range b {
		out = appendUnique(out, x)
	}
	return vrp.Set(out)
}

func appendUnique(out []vrp.VRP, x vrp.VRP) []vrp.VRP {
	if n := len(out); n > 0 && out[n-1] == x {
		return out
	}
	return append(out, x)
}
