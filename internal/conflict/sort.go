package conflict

import (
	"cmp"
	"slices"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// sortFindings orders findings deterministically: by kind (refusals first),
// then ROA, route, intent and message.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(RuleOf(a.Kind).rank, RuleOf(b.Kind).rank); c != 0 {
			return c
		}
		if c := comparePtr(a.ROA, b.ROA, vrp.Compare); c != 0 {
			return c
		}
		if c := comparePtr(a.Route, b.Route, compareRoute); c != 0 {
			return c
		}
		if c := comparePtr(a.Intent, b.Intent, compareIntent); c != 0 {
			return c
		}
		return cmp.Compare(a.Message, b.Message)
	})
}

// comparePtr orders nil before any value.
func comparePtr[T any](a, b *T, f func(T, T) int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return f(*a, *b)
}

func compareRoute(a, b route.Route) int {
	if c := vrp.ComparePrefix(a.Prefix, b.Prefix); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Origin, b.Origin); c != 0 {
		return c
	}
	return boolCompare(a.NoOrigin, b.NoOrigin)
}

func compareIntent(a, b Intent) int {
	if c := vrp.ComparePrefix(a.Prefix, b.Prefix); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Origin, b.Origin); c != 0 {
		return c
	}
	return cmp.Compare(a.Note, b.Note)
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
