package conflict

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// Analyze checks a proposal. It never fails: malformed parts of the proposal
// become blocking findings.
//
// Decisions beyond DESIGN.md's table:
//   - Removing a ROA that is not configured is a blocking, non-overridable
//     not-found-roa: it is almost always a typo (wrong maxLength or ASN) that
//     would leave the ROA the operator meant to withdraw in place, and forcing
//     a no-op has no use.
//   - A prefix with host bits, a zone or an IPv4-mapped address is a blocking,
//     non-overridable bad-prefix; a bad maxLength is bad-maxlength (same rules).
//   - A ROA both added and removed is kept (add-and-remove, info).
//   - Only routes and intents inside a changed prefix are evaluated: no other
//     route's state can change. An intent there must be Valid afterwards even
//     if it was not Valid before (the change touches its space).
//   - AS0 ROAs are never unseen and never loose: they authorize nothing.
func Analyze(in Input) Result {
	a := analyzer{in: in, held: heldChecker(in.Held, in.HeldFunc)}
	if a.in.Routes == nil {
		a.in.Routes = route.Slice(nil)
	}
	cur := cleanSet(in.Current)

	adds := a.wellFormedAdds()
	removing := a.removals(cur, adds)
	for _, v := range adds {
		if cur.Contains(v) && !removing[v] {
			a.add(Finding{Kind: KindDuplicate, ROA: ptr(v), Message: fmt.Sprintf("%s is already configured", v)})
		}
	}

	// The net change: additions not configured yet, removals of configured
	// ROAs that are not added back (add-and-remove keeps the ROA).
	adding := make(map[vrp.VRP]bool, len(adds))
	var added, removed []vrp.VRP
	for _, v := range adds {
		adding[v] = true
		if !cur.Contains(v) {
			added = append(added, v)
		}
	}
	for v := range removing {
		if !adding[v] && cur.Contains(v) {
			removed = append(removed, v)
		}
	}
	slices.SortFunc(added, vrp.Compare)
	slices.SortFunc(removed, vrp.Compare)
	res := applyChange(cur, added, removed)
	tops := vrp.TopPrefixes(added, removed)
	// Only ROAs covering or inside a changed prefix can decide the state of
	// a route, intent or added ROA there (prefixes nest or are disjoint), so
	// the indexes hold just those: a one-prefix change against 10,000 ROAs
	// builds two tiny indexes instead of two large ones.
	curIdx := vrp.NewIndex(vrp.Scope(cur, tops))
	resIdx := vrp.NewIndex(vrp.Scope(res, tops))

	for _, v := range added {
		if !a.held(v.Prefix) {
			a.add(Finding{Kind: KindNotHeld, ROA: ptr(v),
				Message: fmt.Sprintf("%s is outside the CA's IP resources", v.Prefix)})
		}
	}
	a.checkRoutes(tops, curIdx, resIdx, added, removed)
	a.checkIntents(tops, resIdx, added, removed)
	for _, v := range added {
		a.checkAdded(v, resIdx)
	}

	sortFindings(a.findings)
	out := Result{Findings: a.findings, Resulting: res, Added: added, Removed: removed}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	for _, f := range out.Findings {
		out.Blocked = out.Blocked || f.Blocking
	}
	return out
}

type analyzer struct {
	in       Input
	held     func(netip.Prefix) bool
	findings []Finding
}

// add fills in severity and override rules from the kind (kinds.go).
func (a *analyzer) add(f Finding) {
	r := RuleOf(f.Kind)
	f.Severity, f.Blocking, f.Overridable = r.Severity, r.Blocking, r.Overridable
	a.findings = append(a.findings, f)
}

// wellFormedAdds reports malformed and repeated additions and returns the rest.
func (a *analyzer) wellFormedAdds() []vrp.VRP {
	var out []vrp.VRP
	seen := map[vrp.VRP]bool{}
	for _, v := range a.in.Add {
		switch {
		case !v.Prefix.IsValid() || v.Prefix.Masked() != v.Prefix || v.Prefix.Addr().Is4In6() || v.Prefix.Addr().Zone() != "":
			a.add(Finding{Kind: KindBadPrefix, ROA: ptr(v),
				Message: fmt.Sprintf("%s: prefix must be a masked IPv4 or IPv6 prefix (RFC 9582 §4.3.1)", v.Prefix)})
		case v.Validate() != nil:
			// RFC 9582 §4.3.2.2
			a.add(Finding{Kind: KindBadMaxLength, ROA: ptr(v),
				Message: fmt.Sprintf("%s: maxLength %d is outside %d..%d", v.Prefix, v.MaxLen, v.Prefix.Bits(), v.MaxBits())})
		case seen[v]:
			a.add(Finding{Kind: KindDuplicate, ROA: ptr(v), Message: fmt.Sprintf("%s is listed twice for addition", v)})
		default:
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// removals returns the set of ROAs to remove, reporting repeats, removals of
// ROAs that do not exist, and ROAs both added and removed (the addition wins).
func (a *analyzer) removals(cur vrp.Set, adds []vrp.VRP) map[vrp.VRP]bool {
	adding := map[vrp.VRP]bool{}
	for _, v := range adds {
		adding[v] = true
	}
	out := map[vrp.VRP]bool{}
	for _, v := range a.in.Remove {
		switch {
		case out[v]:
			a.add(Finding{Kind: KindDuplicate, ROA: ptr(v), Message: fmt.Sprintf("%s is listed twice for removal", v)})
		case adding[v]:
			out[v] = true
			a.add(Finding{Kind: KindAddAndRemove, ROA: ptr(v),
				Message: fmt.Sprintf("%s is listed for both addition and removal; the addition wins", v)})
		case !cur.Contains(v):
			out[v] = true
			msg := fmt.Sprintf("cannot remove %s: no such ROA is configured", v)
			if same := samePrefix(cur, v.Prefix); len(same) > 0 {
				msg += "; configured for " + v.Prefix.String() + ": " + joinVRPs(same)
			}
			a.add(Finding{Kind: KindNotFoundROA, ROA: ptr(v), Message: msg})
		default:
			out[v] = true
		}
	}
	return out
}

// checkRoutes compares every route inside a changed prefix before and after.
func (a *analyzer) checkRoutes(tops []netip.Prefix, curIdx, resIdx *vrp.Index, added, removed []vrp.VRP) {
	seen := map[route.Route]bool{}
	for _, top := range tops {
		a.in.Routes.Within(top, func(r route.Route) bool {
			r.Prefix = r.Prefix.Masked()
			if seen[r] {
				return true
			}
			seen[r] = true
			before := curIdx.Validate(r.Prefix, r.Origin, r.NoOrigin)
			after := resIdx.Validate(r.Prefix, r.Origin, r.NoOrigin)
			switch {
			case before != vrp.Invalid && after == vrp.Invalid:
				cause := blame(r.Prefix, r.Origin, r.NoOrigin, added, removed)
				reason := resIdx.Classify(r.Prefix, r.Origin, r.NoOrigin)
				a.add(Finding{Kind: KindInvalidatesRoute, ROA: cause.roa, Route: ptr(r),
					Message: fmt.Sprintf("route %s is %s now and would be invalid (%s) %s", routeText(r), before, reason, cause.text)})
			case before == vrp.Valid && after == vrp.NotFound:
				cause := blame(r.Prefix, r.Origin, r.NoOrigin, added, removed)
				a.add(Finding{Kind: KindUnprotectsRoute, ROA: cause.roa, Route: ptr(r),
					Message: fmt.Sprintf("route %s is valid now and would be not-found (unprotected against hijacks) %s", routeText(r), cause.text)})
			}
			return true
		})
	}
}

// checkIntents requires every intent inside a changed prefix to stay or
// become Valid.
func (a *analyzer) checkIntents(tops []netip.Prefix, resIdx *vrp.Index, added, removed []vrp.VRP) {
	for _, it := range a.in.Intents {
		if !it.Prefix.IsValid() || !prefixesCover(tops, it.Prefix.Masked()) {
			continue
		}
		p := it.Prefix.Masked()
		reason := resIdx.Classify(p, it.Origin, false)
		if reason == vrp.ReasonValid {
			continue
		}
		cause := blame(p, it.Origin, false, added, removed)
		state := resIdx.Validate(p, it.Origin, false)
		a.add(Finding{Kind: KindInvalidatesIntent, ROA: cause.roa, Intent: ptr(it),
			Message: fmt.Sprintf("intended announcement %s from AS%d%s would be %s (%s) %s",
				p, it.Origin, noteText(it.Note), state, reason, cause.text)})
	}
}

// checkAdded runs the per-ROA checks on a net addition.
func (a *analyzer) checkAdded(v vrp.VRP, resIdx *vrp.Index) {
	if v.ASN != 0 {
		announced := a.announcedBy(v.ASN, v.Prefix)
		authorizes := slices.ContainsFunc(announced, func(p netip.Prefix) bool { return p.Bits() <= int(v.MaxLen) })
		if !authorizes {
			a.add(Finding{Kind: KindUnseen, ROA: ptr(v),
				Message: fmt.Sprintf("%s authorizes no route seen in BGP and no intent", v)})
		}
		if l := checkMaxLength(v, announced); l.Loose {
			if reason, excepted := a.in.Exceptions[v]; excepted {
				// RFC 9319 §5.1: a deliberate, recorded choice; say so, do not block.
				a.add(Finding{Kind: KindLooseExcepted, ROA: ptr(v),
					Message: fmt.Sprintf("%s authorizes unannounced %s; accepted as a recorded exception (%s)", v, l.Missing, reason)})
			} else {
				a.add(Finding{Kind: KindLooseMaxLength, ROA: ptr(v), Message: looseText(v, l)})
			}
		}
	}
	for _, w := range resIdx.Covering(v.Prefix) {
		if w != v && w.ASN == v.ASN && w.MaxLen >= v.MaxLen {
			a.add(Finding{Kind: KindRedundant, ROA: ptr(v),
				Message: fmt.Sprintf("%s is already covered by %s (same ASN, covering prefix, maxLength %d >= %d)", v, w, w.MaxLen, v.MaxLen)})
			break
		}
	}
}

// announcedBy lists the prefixes inside p seen in BGP or intended with
// origin asn (AS_SET routes have no origin and count for nobody).
func (a *analyzer) announcedBy(asn uint32, p netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	a.in.Routes.Within(p, func(r route.Route) bool {
		if !r.NoOrigin && r.Origin == asn {
			out = append(out, r.Prefix.Masked())
		}
		return true
	})
	for _, it := range a.in.Intents {
		if it.Origin == asn && it.Prefix.IsValid() && vrp.Covers(p, it.Prefix.Masked()) {
			out = append(out, it.Prefix.Masked())
		}
	}
	return out
}

func looseText(v vrp.VRP, l looseness) string {
	return fmt.Sprintf("%s authorizes %s but AS%d does not announce it, so a hijacker could originate it with a forged AS%d and be Valid (RFC 9319); use maxLength %d, or record an exception",
		v, l.Missing, v.ASN, v.ASN, l.Tightest)
}

// cause names the proposal entry that changes a route's state.
type cause struct {
	roa  *vrp.VRP
	text string
}

// blame picks the removed ROA that matched the route, else the added ROA
// that covers it.
func blame(p netip.Prefix, origin uint32, none bool, added, removed []vrp.VRP) cause {
	for _, v := range removed {
		if vrp.Covers(v.Prefix, p) && vrp.Matches(v, p.Bits(), origin, none) {
			return cause{ptr(v), "after removing " + v.String()}
		}
	}
	for _, v := range added {
		if vrp.Covers(v.Prefix, p) {
			return cause{ptr(v), "after adding " + v.String()}
		}
	}
	for _, v := range removed {
		if vrp.Covers(v.Prefix, p) {
			return cause{ptr(v), "after removing " + v.String()}
		}
	}
	return cause{text: "after this change"}
}

// cleanSet returns s sorted, unique, masked and without invalid prefixes:
// s itself when it already is (it is only read), else a cleaned copy.
func cleanSet(s vrp.Set) vrp.Set {
	clean := true
	for i, v := range s {
		if !v.Prefix.IsValid() || v.Prefix.Masked() != v.Prefix || (i > 0 && vrp.Compare(s[i-1], v) >= 0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	c := make([]vrp.VRP, 0, len(s))
	for _, v := range s {
		if v.Prefix.IsValid() {
			v.Prefix = v.Prefix.Masked()
			c = append(c, v)
		}
	}
	return vrp.NewSet(c)
}

// applyChange merges the sorted set cur without removed (a sorted subset of
// it) and with added (sorted, disjoint from it) in one pass.
func applyChange(cur vrp.Set, added, removed []vrp.VRP) vrp.Set {
	out := make(vrp.Set, 0, len(cur)+len(added)-len(removed))
	i, j, k := 0, 0, 0
	for i < len(cur) || j < len(added) {
		if j == len(added) || (i < len(cur) && vrp.Compare(cur[i], added[j]) < 0) {
			v := cur[i]
			i++
			if k < len(removed) && removed[k] == v {
				k++
				continue
			}
			out = append(out, v)
			continue
		}
		out = append(out, added[j])
		j++
	}
	return out
}

func samePrefix(s vrp.Set, p netip.Prefix) []vrp.VRP {
	var out []vrp.VRP
	for _, v := range s {
		if v.Prefix == p {
			out = append(out, v)
		}
	}
	return out
}

func joinVRPs(vs []vrp.VRP) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, ", ")
}

func routeText(r route.Route) string {
	if r.NoOrigin {
		return r.Prefix.String() + " from an AS_SET (origin NONE)"
	}
	return fmt.Sprintf("%s from AS%d", r.Prefix, r.Origin)
}

func noteText(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

func ptr[T any](v T) *T { return &v }
