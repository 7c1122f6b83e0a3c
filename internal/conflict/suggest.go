package conflict

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// Reasons in a Suggestion.
const (
	SuggestNotFound         = "not-found"        // add: a seen route has no covering ROA
	SuggestIntent           = "intent"           // add: an intended announcement is not Valid
	SuggestReplaces         = "replaces"         // add: replaces a too-permissive ROA
	SuggestUnseen           = "unseen"           // remove: authorizes nothing seen or intended
	SuggestRedundant        = "redundant"        // remove: another ROA authorizes all it does
	SuggestTooPermissive    = "too-permissive"   // remove: loose maxLength (RFC 9319), replaced
	UnresolvedInvalid       = "invalid"          // a seen route left Invalid on purpose
	UnresolvedASSet         = "as-set"           // origin NONE can never be Valid (RFC 6811 §2)
	UnresolvedNotHeldIntent = "not-held-intent"  // an intent outside the CA's resources
	UnresolvedNotHeldROA    = "not-held-roa"     // a configured ROA outside the resources; left alone
	UnresolvedKept          = "kept-disallowing" // an unseen or too-permissive ROA kept so an Invalid route stays Invalid
	UnresolvedASSetConflict = "as-set-conflict"  // no ROA possible: it would make a NotFound AS_SET route Invalid
)

// SuggestedAdd is a ROA to add and what it makes Valid.
type SuggestedAdd struct {
	ROA        vrp.VRP
	Reason     string
	Authorizes []route.Route
	Intents    []Intent
}

// SuggestedRemove is a ROA to remove and why.
type SuggestedRemove struct {
	ROA        vrp.VRP
	Reason     string
	ReplacedBy []vrp.VRP // for redundant and too-permissive
}

// Unresolved is an announcement or ROA the suggestion deliberately leaves as is.
type Unresolved struct {
	Reason string
	Route  *route.Route
	Intent *Intent
	ROA    *vrp.VRP
	State  vrp.Reason // the route's or intent's state under the resulting set
}

// Suggestion is the answer to `roactl bgp suggest` / GET /api/v1/bgp/suggestions.
type Suggestion struct {
	Add        []SuggestedAdd
	Remove     []SuggestedRemove
	Keep       []vrp.VRP
	Unresolved []Unresolved
	Resulting  vrp.Set
}

// Suggest computes a minimal ROA set that makes every intent and every seen
// route in the holder's space Valid, with no loose maxLength (RFC 9319), and
// the changes from roas to it.
//
// Targets are the intents inside held space and the seen routes there that
// are Valid or NotFound now. A route that is Invalid now is NOT made Valid:
// ROV is rejecting it, and it may be a hijack; it is listed as unresolved so
// the operator can add an intent for it if it is theirs. A ROA is removed only
// when it authorizes no target (unseen), when a kept ROA authorizes all it
// does (redundant), or when its maxLength is loose and tight replacements for
// its targets are added in the same suggestion; a final check puts back any
// removed ROA without which a route Valid today would lose validity. AS0 ROAs
// and ROAs outside held space are kept untouched.
func Suggest(roas vrp.Set, routes route.Source, intents []Intent, held func(netip.Prefix) bool) Suggestion {
	return SuggestWith(roas, routes, intents, held, nil)
}

// SuggestWith is Suggest honouring recorded exceptions: a ROA with a
// deliberate loose maxLength (RFC 9319 §5.1) is not replaced for being too
// permissive (it is still removed when it authorizes nothing seen or intended).
func SuggestWith(roas vrp.Set, routes route.Source, intents []Intent, held func(netip.Prefix) bool, exceptions map[vrp.VRP]string) Suggestion {
	curIdx := vrp.NewIndex(roas)
	cur := curIdx.Set()
	seen := scopeRoutes(routes, held)
	isHeld := func(p netip.Prefix) bool { return held == nil || held(p) }

	var sug Suggestion
	t := suggestTargets(seen, intents, curIdx, isHeld, &sug)
	kept, removeReason := keepOrRemove(cur, t.byASN, isHeld, exceptions, &sug)

	// Tight ROAs for every target the kept ROAs do not make Valid.
	keptIdx := vrp.NewIndex(vrp.NewSet(slices.Clone(kept)))
	var added []vrp.VRP
	for _, asn := range sortedKeys(t.byASN) {
		added = append(added, tightROAs(asn, t.byASN[asn], keptIdx, t.asSets)...)
	}

	final := vrp.NewSet(append(kept, added...))
	final = dropRedundant(final, removeReason)

	final = restoreProtection(final, seen, curIdx, removeReason, &sug)
	sug.Resulting = final
	adds, removes := final.Diff(cur)
	resIdx := vrp.NewIndex(final)
	sug.Keep = keepList(cur, final)
	for _, v := range removes {
		rm := SuggestedRemove{ROA: v, Reason: removeReason[v]}
		if rm.Reason != SuggestUnseen {
			rm.ReplacedBy = replacements(v, cur, resIdx, t.byASN[v.ASN])
		}
		sug.Remove = append(sug.Remove, rm)
	}
	for _, v := range adds {
		sug.Add = append(sug.Add, describeAdd(v, seen, t.intents, curIdx, removes))
	}
	unresolvedAfter(&sug, seen, t.intents, resIdx)
	return sug
}

// targets are what a suggestion must make Valid: per origin, the prefixes of
// the seen routes that are not Invalid now and of the held intents.
type targets struct {
	byASN   map[uint32][]netip.Prefix
	asSets  []netip.Prefix // NotFound AS_SET routes: any covering ROA would make them Invalid
	intents []Intent       // the held intents with an origin
}

// suggestTargets collects the targets; an intent outside held space is
// unresolved.
func suggestTargets(seen []route.Route, intents []Intent, curIdx *vrp.Index, isHeld func(netip.Prefix) bool, sug *Suggestion) targets {
	t := targets{byASN: map[uint32][]netip.Prefix{}}
	for _, r := range seen {
		st := curIdx.Validate(r.Prefix, r.Origin, r.NoOrigin)
		if r.NoOrigin && st == vrp.NotFound {
			t.asSets = append(t.asSets, r.Prefix)
		}
		if !r.NoOrigin && r.Origin != 0 && st != vrp.Invalid {
			t.byASN[r.Origin] = append(t.byASN[r.Origin], r.Prefix)
		}
	}
	for _, it := range intents {
		if !it.Prefix.IsValid() {
			continue
		}
		it.Prefix = it.Prefix.Masked()
		if !isHeld(it.Prefix) {
			sug.Unresolved = append(sug.Unresolved, Unresolved{Reason: UnresolvedNotHeldIntent, Intent: ptr(it),
				State: curIdx.Classify(it.Prefix, it.Origin, false)})
			continue
		}
		if it.Origin != 0 {
			t.byASN[it.Origin] = append(t.byASN[it.Origin], it.Prefix)
			t.intents = append(t.intents, it)
		}
	}
	for asn, ps := range t.byASN {
		slices.SortFunc(ps, vrp.ComparePrefix)
		t.byASN[asn] = slices.Compact(ps)
	}
	return t
}

// keepOrRemove keeps what is tight and authorizes a target; AS0 and
// not-held ROAs stay. The others get their removal reason.
func keepOrRemove(cur vrp.Set, targets map[uint32][]netip.Prefix, isHeld func(netip.Prefix) bool,
	exceptions map[vrp.VRP]string, sug *Suggestion) (kept []vrp.VRP, removeReason map[vrp.VRP]string) {
	removeReason = map[vrp.VRP]string{}
	for _, v := range cur {
		switch {
		case !isHeld(v.Prefix):
			kept = append(kept, v)
			sug.Unresolved = append(sug.Unresolved, Unresolved{Reason: UnresolvedNotHeldROA, ROA: ptr(v)})
		case v.ASN == 0:
			kept = append(kept, v)
		case !authorizesAny(v, targets[v.ASN]):
			removeReason[v] = SuggestUnseen
		case checkMaxLength(v, targets[v.ASN]).Loose && exceptions[v] == "":
			removeReason[v] = SuggestTooPermissive
		default:
			kept = append(kept, v)
		}
	}
	return kept, removeReason
}

// unresolvedAfter lists the seen routes and held intents the suggested set
// still does not make Valid, then orders every unresolved entry.
func unresolvedAfter(sug *Suggestion, seen []route.Route, intents []Intent, resIdx *vrp.Index) {
	for _, r := range seen {
		st := resIdx.Classify(r.Prefix, r.Origin, r.NoOrigin)
		switch {
		case r.NoOrigin:
			sug.Unresolved = append(sug.Unresolved, Unresolved{Reason: UnresolvedASSet, Route: ptr(r), State: st})
		case st == vrp.ReasonNotFound && r.Origin != 0:
			sug.Unresolved = append(sug.Unresolved, Unresolved{Reason: UnresolvedASSetConflict, Route: ptr(r), State: st})
		case st != vrp.ReasonValid && st != vrp.ReasonNotFound:
			sug.Unresolved = append(sug.Unresolved, Unresolved{Reason: UnresolvedInvalid, Route: ptr(r), State: st})
		}
	}
	for _, it := range intents {
		if st := resIdx.Classify(it.Prefix, it.Origin, false); st != vrp.ReasonValid {
			sug.Unresolved = append(sug.Unresolved, Unresolved{Reason: UnresolvedASSetConflict, Intent: ptr(it), State: st})
		}
	}
	slices.SortStableFunc(sug.Unresolved, func(a, b Unresolved) int {
		if c := cmp.Compare(a.Reason, b.Reason); c != 0 {
			return c
		}
		if c := comparePtr(a.ROA, b.ROA, vrp.Compare); c != 0 {
			return c
		}
		if c := comparePtr(a.Route, b.Route, compareRoute); c != 0 {
			return c
		}
		return comparePtr(a.Intent, b.Intent, compareIntent)
	})
}

// authorizesAny reports whether v matches one of the prefixes (all of v's ASN).
func authorizesAny(v vrp.VRP, ps []netip.Prefix) bool {
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool {
		return vrp.Covers(v.Prefix, p) && p.Bits() <= int(v.MaxLen)
	})
}

// tightROAs covers the targets of asn that idx does not make Valid, shortest
// prefix first, each with the largest maxLength RFC 9319 allows given all of
// asn's targets, so a complete set of more-specifics folds into one ROA.
//
// A target inside which a NotFound AS_SET route is seen gets no ROA: that
// route can never be Valid (RFC 6811 §2) and would turn Invalid.
func tightROAs(asn uint32, targets []netip.Prefix, idx *vrp.Index, asSets []netip.Prefix) []vrp.VRP {
	todo := slices.Clone(targets)
	slices.SortFunc(todo, func(a, b netip.Prefix) int {
		if c := cmp.Compare(a.Bits(), b.Bits()); c != 0 {
			return c
		}
		return vrp.ComparePrefix(a, b)
	})
	var out []vrp.VRP
	for _, p := range todo {
		if idx.Validate(p, asn, false) == vrp.Valid || authorizesAnyOf(out, p) ||
			slices.ContainsFunc(asSets, func(a netip.Prefix) bool { return vrp.Covers(p, a) }) {
			continue
		}
		probe := vrp.VRP{Prefix: p, MaxLen: uint8(p.Addr().BitLen()), ASN: asn}
		out = append(out, vrp.VRP{Prefix: p, MaxLen: uint8(checkMaxLength(probe, targets).Tightest), ASN: asn})
	}
	return out
}

func authorizesAnyOf(vs []vrp.VRP, p netip.Prefix) bool {
	return slices.ContainsFunc(vs, func(v vrp.VRP) bool { return vrp.Covers(v.Prefix, p) && p.Bits() <= int(v.MaxLen) })
}

// dropRedundant removes every ROA (AS0 aside) that another ROA of the same
// ASN with covering prefix and maxLength >= makes moot. The relation is a
// partial order, so its maximal elements remain and authorize the same.
func dropRedundant(s vrp.Set, reasons map[vrp.VRP]string) vrp.Set {
	idx := vrp.NewIndex(s)
	var out []vrp.VRP
	for _, v := range s {
		if v.ASN != 0 && len(redundantBy(idx, v)) > 0 {
			reasons[v] = SuggestRedundant
			continue
		}
		out = append(out, v)
	}
	return vrp.NewSet(out)
}

// replacements lists the resulting ROAs that now authorize v's targets.
func replacements(v vrp.VRP, cur vrp.Set, res *vrp.Index, targets []netip.Prefix) []vrp.VRP {
	set := map[vrp.VRP]bool{}
	for _, p := range targets {
		if !vrp.Covers(v.Prefix, p) || p.Bits() > int(v.MaxLen) {
			continue
		}
		for _, w := range res.Covering(p) {
			if vrp.Matches(w, p.Bits(), v.ASN, false) {
				set[w] = true
			}
		}
	}
	out := make([]vrp.VRP, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	return vrp.NewSet(out)
}

func describeAdd(v vrp.VRP, seen []route.Route, intents []Intent, curIdx *vrp.Index, removes []vrp.VRP) SuggestedAdd {
	a := SuggestedAdd{ROA: v, Reason: SuggestIntent}
	for _, r := range seen {
		if vrp.Covers(v.Prefix, r.Prefix) && vrp.Matches(v, r.Prefix.Bits(), r.Origin, r.NoOrigin) {
			a.Authorizes = append(a.Authorizes, r)
		}
	}
	for _, it := range intents {
		if vrp.Covers(v.Prefix, it.Prefix) && vrp.Matches(v, it.Prefix.Bits(), it.Origin, false) {
			a.Intents = append(a.Intents, it)
		}
	}
	for _, r := range a.Authorizes {
		if curIdx.Validate(r.Prefix, r.Origin, false) == vrp.NotFound {
			a.Reason = SuggestNotFound
		} else {
			// Valid today through a ROA this suggestion removes.
			for _, w := range removes {
				if w.ASN == v.ASN && vrp.Covers(w.Prefix, r.Prefix) {
					a.Reason = SuggestReplaces
				}
			}
		}
		if a.Reason != SuggestIntent {
			break
		}
	}
	return a
}

func keepList(cur, final vrp.Set) []vrp.VRP {
	var out []vrp.VRP
	for _, v := range cur {
		if final.Contains(v) {
			out = append(out, v)
		}
	}
	return out
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// restoreProtection is the safety net: a route Valid today must stay Valid and
// a route Invalid today must not become NotFound (which ROV would accept)
// unless an intent made it Valid. It puts back removed ROAs until both hold;
// putting back only adds coverage, and dropping redundant ROAs changes no
// route's state, so the loop ends.
func restoreProtection(final vrp.Set, seen []route.Route, curIdx *vrp.Index, removeReason map[vrp.VRP]string, sug *Suggestion) vrp.Set {
	kept := map[vrp.VRP]string{}
	for changed := true; changed; {
		changed = false
		idx := vrp.NewIndex(final)
		var back []vrp.VRP
		for _, r := range seen {
			before := curIdx.Validate(r.Prefix, r.Origin, r.NoOrigin)
			after := idx.Validate(r.Prefix, r.Origin, r.NoOrigin)
			lost := before == vrp.Valid && after != vrp.Valid
			exposed := before == vrp.Invalid && after == vrp.NotFound
			if !lost && !exposed {
				continue
			}
			for _, v := range curIdx.Covering(r.Prefix) {
				if exposed || vrp.Matches(v, r.Prefix.Bits(), r.Origin, r.NoOrigin) {
					if why, ok := removeReason[v]; ok && exposed {
						kept[v] = why
					}
					back = append(back, v)
					break
				}
			}
		}
		if len(back) > 0 {
			for _, v := range back {
				delete(removeReason, v)
			}
			final = dropRedundant(vrp.NewSet(append(slices.Clone([]vrp.VRP(final)), back...)), removeReason)
			changed = true
		}
	}
	for v := range kept {
		if final.Contains(v) {
			sug.Unresolved = append(sug.Unresolved, Unresolved{Reason: UnresolvedKept, ROA: ptr(v)})
		}
	}
	return final
}
