package vrp

import (
	"net/netip"
	"slices"
)

// State is the RFC 6811 §2 route origin validation state.
type State uint8

// RFC 6811 §2 states.
const (
	NotFound State = iota
	Valid
	Invalid
)

// String returns "not-found", "valid" or "invalid".
func (s State) String() string {
	switch s {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	default:
		return "not-found"
	}
}

// MarshalText makes State appear as its name in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reason refines State the way operators read it (Krill's announcement
// categories): why a route is Invalid matters for the fix.
type Reason string

// Reasons. Invalid splits into three: the origin is authorized for the prefix
// but not at this length; some other (non-AS0) origin is authorized; or only
// AS0 VRPs cover the prefix (RFC 6483 §4: the holder disallows all origins).
const (
	ReasonNotFound      Reason = "not-found"
	ReasonValid         Reason = "valid"
	ReasonInvalidASN    Reason = "invalid-asn"
	ReasonInvalidLength Reason = "invalid-length"
	ReasonDisallowed    Reason = "disallowed"
)

// Index answers RFC 6811 questions over a Set: which VRPs cover a route and
// whether they match it. It is immutable after NewIndex and safe for
// concurrent readers (RP, RTR and the conflict checks share one).
//
// Layout: the Set sorted by Compare is a pre-order walk of the prefix tree
// (address, then length), so the VRPs of one prefix are one run and the VRPs
// inside a prefix are one range. Each distinct prefix keeps a pointer to its
// nearest covering prefix; a lookup is one binary search plus a walk up that
// chain of at most 33 (IPv4) or 129 (IPv6) steps.
type Index struct {
	set    Set
	v4, v6 family
}

// family holds the distinct prefixes of one address family.
type family struct {
	keys   []pkey  // distinct prefixes, in Set order
	start  []int32 // start[i] is the first VRP of keys[i] in the Set; start[len(keys)] ends the family
	parent []int32 // nearest entry whose prefix covers keys[i], or -1
}

// pkey is a prefix as a 128-bit left-aligned integer and a length; IPv4
// addresses sit in the top 32 bits of hi.
type pkey struct {
	hi, lo uint64
	bits   uint8
}

func keyOf(p netip.Prefix) pkey {
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		v := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		hi, lo := maskBits(v<<32, 0, p.Bits())
		return pkey{hi, lo, uint8(p.Bits())}
	}
	b := a.As16()
	var hi, lo uint64
	for i := range 8 {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	hi, lo = maskBits(hi, lo, p.Bits())
	return pkey{hi, lo, uint8(p.Bits())}
}

// maskBits keeps the first bits bits of the 128-bit value hi:lo.
func maskBits(hi, lo uint64, bits int) (uint64, uint64) {
	switch {
	case bits <= 0:
		return 0, 0
	case bits <= 64:
		return hi &^ (^uint64(0) >> bits), 0
	default:
		return hi, lo &^ (^uint64(0) >> (bits - 64))
	}
}

func (a pkey) compare(b pkey) int {
	switch {
	case a.hi != b.hi:
		if a.hi < b.hi {
			return -1
		}
		return 1
	case a.lo != b.lo:
		if a.lo < b.lo {
			return -1
		}
		return 1
	case a.bits != b.bits:
		if a.bits < b.bits {
			return -1
		}
		return 1
	}
	return 0
}

// covers reports whether prefix a equals or contains prefix b (same family).
func (a pkey) covers(b pkey) bool {
	if a.bits > b.bits {
		return false
	}
	hi, lo := maskBits(b.hi, b.lo, int(a.bits))
	return hi == a.hi && lo == a.lo
}

// NewIndex indexes s. A Set built by NewSet is used as is (no copy); anything
// else (unsorted, duplicates, host bits, invalid prefixes) is cleaned into a
// private copy first, so a careless caller cannot corrupt lookups.
func NewIndex(s Set) *Index {
	if !isClean(s) {
		c := make([]VRP, 0, len(s))
		for _, v := range s {
			if v.Prefix.IsValid() {
				v.Prefix = v.Prefix.Masked()
				c = append(c, v)
			}
		}
		s = NewSet(c)
	}
	split := 0
	for split < len(s) && s[split].IsV4() {
		split++
	}
	ix := &Index{set: s}
	ix.v4 = buildFamily(s, 0, split)
	ix.v6 = buildFamily(s, split, len(s))
	return ix
}

func isClean(s Set) bool {
	for i, v := range s {
		if !v.Prefix.IsValid() || v.Prefix.Masked() != v.Prefix {
			return false
		}
		if i > 0 && Compare(s[i-1], v) >= 0 {
			return false
		}
	}
	return true
}

func buildFamily(s Set, from, to int) family {
	var f family
	stack := make([]int32, 0, 129)
	for i := from; i < to; i++ {
		k := keyOf(s[i].Prefix)
		if n := len(f.keys); n > 0 && f.keys[n-1] == k {
			continue
		}
		idx := int32(len(f.keys))
		// Pre-order: pop siblings' subtrees until the top covers k.
		for len(stack) > 0 && !f.keys[stack[len(stack)-1]].covers(k) {
			stack = stack[:len(stack)-1]
		}
		parent := int32(-1)
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		f.keys = append(f.keys, k)
		f.start = append(f.start, int32(i))
		f.parent = append(f.parent, parent)
		stack = append(stack, idx)
	}
	f.start = append(f.start, int32(to))
	return f
}

// Set returns the indexed set (shared; do not modify).
func (ix *Index) Set() Set { return ix.set }

// Len is the number of VRPs indexed.
func (ix *Index) Len() int { return len(ix.set) }

func (ix *Index) family(p netip.Prefix) *family {
	if p.Addr().Is4() {
		return &ix.v4
	}
	return &ix.v6
}

// eachCovering calls fn with the VRP run of every indexed prefix that equals
// or covers p, most specific first, until fn returns false.
func (ix *Index) eachCovering(p netip.Prefix, fn func(run []VRP) bool) {
	if !p.IsValid() {
		return
	}
	f := ix.family(p)
	k := keyOf(p)
	// Last entry <= k: every cover of k is it or one of its ancestors.
	i, found := slices.BinarySearchFunc(f.keys, k, pkey.compare)
	if !found {
		i--
	}
	for j := int32(i); j >= 0; j = f.parent[j] {
		if f.keys[j].covers(k) {
			if !fn(ix.set[f.start[j]:f.start[j+1]]) {
				return
			}
		}
	}
}

// Covering returns every VRP whose prefix equals or covers p ("covered" in
// RFC 6811 §2), most specific prefix first.
func (ix *Index) Covering(p netip.Prefix) []VRP {
	var out []VRP
	ix.eachCovering(p, func(run []VRP) bool {
		out = append(out, run...)
		return true
	})
	return out
}

// Within returns the VRPs whose prefix equals p or is more specific, in Set
// order. The result shares the index's memory; do not modify it.
func (ix *Index) Within(p netip.Prefix) []VRP {
	if !p.IsValid() {
		return nil
	}
	f := ix.family(p)
	k := keyOf(p)
	lo, _ := slices.BinarySearchFunc(f.keys, k, pkey.compare)
	hi := lo
	for hi < len(f.keys) && k.covers(f.keys[hi]) {
		hi++
	}
	return ix.set[f.start[lo]:f.start[hi]]
}

// Matches reports the RFC 6811 §2 "matched" relation for a VRP whose prefix
// covers the route: route length <= maxLength and the origin equals the VRP's
// ASN. AS0 VRPs never match (RFC 6483 §4) and origin NONE (an AS_SET, RFC
// 6811 §2) matches nothing.
func Matches(v VRP, routeBits int, origin uint32, noOrigin bool) bool {
	return !noOrigin && v.ASN != 0 && v.ASN == origin && routeBits <= int(v.MaxLen)
}

// Validate returns the RFC 6811 §2 state of the route (p, origin); noOrigin
// marks origin NONE (the path ends in an AS_SET).
func (ix *Index) Validate(p netip.Prefix, origin uint32, noOrigin bool) State {
	st := NotFound
	ix.eachCovering(p, func(run []VRP) bool {
		st = Invalid
		for _, v := range run {
			if Matches(v, p.Bits(), origin, noOrigin) {
				st = Valid
				return false
			}
		}
		return true
	})
	return st
}

// Classify returns the state refined into Krill's categories: valid,
// not-found, invalid-length (a covering VRP names this origin but allows only
// shorter prefixes), invalid-asn (covering VRPs name other origins) or
// disallowed (only AS0 VRPs cover).
func (ix *Index) Classify(p netip.Prefix, origin uint32, noOrigin bool) Reason {
	covered, sameASN, nonZero := false, false, false
	valid := false
	ix.eachCovering(p, func(run []VRP) bool {
		covered = true
		for _, v := range run {
			if Matches(v, p.Bits(), origin, noOrigin) {
				valid = true
				return false
			}
			if v.ASN != 0 {
				nonZero = true
				if !noOrigin && v.ASN == origin {
					sameASN = true
				}
			}
		}
		return true
	})
	switch {
	case valid:
		return ReasonValid
	case !covered:
		return ReasonNotFound
	case sameASN:
		return ReasonInvalidLength
	case nonZero:
		return ReasonInvalidASN
	default:
		return ReasonDisallowed
	}
}
