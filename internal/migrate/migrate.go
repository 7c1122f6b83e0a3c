// Package migrate compares the VRPs a hosted CA publishes today (an
// rpki-client JSON or a CSV export) with the ROAs road is configured to
// publish, so an operator moving to road sees what would appear, disappear
// or change before revoking the hosted CA (make before break). It is pure:
// the caller reads the export and road's state.
package migrate

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/roadrpki/road/internal/vrp"
)

// Kinds of change, in the order a prefix lists them.
const (
	Disappear = "disappear" // published today, nothing at that prefix in road
	Origin    = "origin"    // the prefix stays, with other origin ASes
	MaxLength = "maxlength" // same prefix and origin, another maxLength
	Appear    = "appear"    // new in road
)

// Change is one difference at one prefix.
type Change struct {
	Kind   string
	Prefix netip.Prefix
	Today  []vrp.VRP // the export's VRPs this change replaces (none for Appear)
	Road   []vrp.VRP // road's VRPs that replace them (none for Disappear)
	// Lost: some route a Today VRP authorizes has no VRP in road's whole set
	// (same origin, a covering prefix, a maxLength at least as long; RFC 6811
	// §2), so it would lose its Valid state once the hosted CA is revoked.
	Lost bool
}

// Report is the comparison of an export with road's configured ROAs.
type Report struct {
	Held       []netip.Prefix // road's IP resources: the export is filtered to them
	Read       int            // VRPs in the export
	Outside    int            // export VRPs outside Held (other holders' in a whole-RIR export)
	Compared   int            // export VRPs inside Held
	Configured int            // road's configured ROAs
	Unchanged  int            // VRPs in both
	Lost       int            // export VRPs whose routes would lose their VRP
	Changes    []Change       // by prefix, then kind
}

// Compare filters export to the held prefixes and compares it with road's
// configured VRPs.
func Compare(export, configured []vrp.VRP, held []netip.Prefix) Report {
	r := Report{Held: held, Read: len(export), Configured: len(configured)}
	var today []vrp.VRP
	for _, v := range export {
		if inside(v.Prefix, held) {
			today = append(today, v)
		}
	}
	r.Outside = len(export) - len(today)
	today = vrp.NewSet(today)
	road := vrp.NewSet(slices.Clone(configured))
	r.Compared = len(today)
	tBy, rBy := byPrefix(today), byPrefix(road)
	var prefixes []netip.Prefix
	for p := range tBy {
		prefixes = append(prefixes, p)
	}
	for p := range rBy {
		if _, ok := tBy[p]; !ok {
			prefixes = append(prefixes, p)
		}
	}
	slices.SortFunc(prefixes, vrp.ComparePrefix)
	for _, p := range prefixes {
		t, ro := tBy[p], rBy[p]
		same := vrp.Minus(t, vrp.Minus(t, ro))
		r.Unchanged += len(same)
		r.Changes = append(r.Changes, atPrefix(p, vrp.Minus(t, same), vrp.Minus(ro, same))...)
	}
	for i := range r.Changes {
		c := &r.Changes[i]
		for _, v := range c.Today {
			if !authorized(v, road) {
				c.Lost = true
				r.Lost++
			}
		}
	}
	return r
}

// atPrefix classifies what differs at one prefix once the VRPs in both are
// taken out: same origins with other maxLengths, then other origins.
func atPrefix(p netip.Prefix, t, ro []vrp.VRP) []Change {
	var out []Change
	var tRest, rRest []vrp.VRP
	for _, asn := range asns(t) {
		tv, rv := withASN(t, asn), withASN(ro, asn)
		if len(rv) == 0 {
			tRest = append(tRest, tv...)
			continue
		}
		out = append(out, Change{Kind: MaxLength, Prefix: p, Today: tv, Road: rv})
	}
	for _, v := range ro {
		if len(withASN(t, v.ASN)) == 0 {
			rRest = append(rRest, v)
		}
	}
	switch {
	case len(tRest) > 0 && len(rRest) > 0:
		out = append(out, Change{Kind: Origin, Prefix: p, Today: tRest, Road: rRest})
	case len(tRest) > 0:
		out = append(out, Change{Kind: Disappear, Prefix: p, Today: tRest})
	case len(rRest) > 0:
		out = append(out, Change{Kind: Appear, Prefix: p, Road: rRest})
	}
	slices.SortStableFunc(out, func(a, b Change) int { return cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)) })
	return out
}

func kindOrder(k string) int {
	return slices.Index([]string{Disappear, Origin, MaxLength, Appear}, k)
}

// authorized: some VRP of set authorizes every route v authorizes: the same
// origin, a prefix covering v's, a maxLength at least v's (RFC 6811 §2).
func authorized(v vrp.VRP, set []vrp.VRP) bool {
	for _, r := range set {
		if r.ASN == v.ASN && vrp.Covers(r.Prefix, v.Prefix) && r.MaxLen >= v.MaxLen {
			return true
		}
	}
	return false
}

func inside(p netip.Prefix, held []netip.Prefix) bool {
	for _, h := range held {
		if vrp.Covers(h, p) {
			return true
		}
	}
	return false
}

func byPrefix(s []vrp.VRP) map[netip.Prefix][]vrp.VRP {
	m := make(map[netip.Prefix][]vrp.VRP)
	for _, v := range s {
		m[v.Prefix] = append(m[v.Prefix], v)
	}
	return m
}

func asns(s []vrp.VRP) []uint32 {
	var out []uint32
	for _, v := range s {
		out = append(out, v.ASN)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func withASN(s []vrp.VRP, asn uint32) []vrp.VRP {
	var out []vrp.VRP
	for _, v := range s {
		if v.ASN == asn {
			out = append(out, v)
		}
	}
	return out
}
