package rpki

import (
	"cmp"
	"net/netip"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// IPRange is an inclusive range of addresses of one family.
type IPRange struct{ Min, Max netip.Addr }

// IPFamily is the resources of one address family: inherit, or ranges in
// canonical form (sorted, non-overlapping, non-adjacent) after Canonicalize.
type IPFamily struct {
	Inherit bool
	Ranges  []IPRange
}

// IPResources is the RFC 3779 IP address delegation extension. A nil family
// is absent from the extension.
type IPResources struct{ V4, V6 *IPFamily }

// ASRange is an inclusive range of AS numbers.
type ASRange struct{ Min, Max uint32 }

// ASResources is the RFC 3779 AS identifier delegation extension (asnum only;
// RFC 6487 §4.8.11 forbids rdi).
type ASResources struct {
	Inherit bool
	Ranges  []ASRange
}

// NewIPResources returns the canonical resources covering the prefixes.
// Families without prefixes are absent. IPv4-mapped IPv6 prefixes stay IPv6.
func NewIPResources(prefixes ...netip.Prefix) IPResources {
	var r IPResources
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		fam := &r.V6
		if p.Addr().Is4() {
			fam = &r.V4
		}
		if *fam == nil {
			*fam = &IPFamily{}
		}
		(*fam).Ranges = append((*fam).Ranges, prefixRange(p))
	}
	r.V4.Canonicalize()
	r.V6.Canonicalize()
	return r
}

// Canonicalize sorts and merges overlapping or adjacent ranges in place
// (RFC 3779 §2.2.3.6: "Any contiguous address prefixes or ranges MUST be combined").
func (f *IPFamily) Canonicalize() {
	if f == nil || len(f.Ranges) == 0 {
		return
	}
	slices.SortFunc(f.Ranges, func(a, b IPRange) int {
		return cmp.Or(a.Min.Compare(b.Min), a.Max.Compare(b.Max))
	})
	out := f.Ranges[:1]
	for _, r := range f.Ranges[1:] {
		last := &out[len(out)-1]
		if isMaxAddr(last.Max) || r.Min.Compare(last.Max.Next()) <= 0 {
			if r.Max.Compare(last.Max) > 0 {
				last.Max = r.Max
			}
			continue
		}
		out = append(out, r)
	}
	f.Ranges = out
}

func (f *IPFamily) clone() *IPFamily {
	if f == nil {
		return nil
	}
	return &IPFamily{Inherit: f.Inherit, Ranges: slices.Clone(f.Ranges)}
}

// Encode returns the DER of IPAddrBlocks, the extnValue of the
// sbgp-ipAddrBlock extension (RFC 3779 §2.2.3), in canonical form.
func (r IPResources) Encode() ([]byte, error) {
	if r.V4 == nil && r.V6 == nil {
		return nil, invalidf("IP resources: no address family")
	}
	var b cryptobyte.Builder
	var err error
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i, f := range []*IPFamily{r.V4, r.V6} {
			if f == nil {
				continue
			}
			if e := addIPFamily(b, byte(i+1), f); e != nil && err == nil {
				err = e
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return b.Bytes()
}

func addIPFamily(b *cryptobyte.Builder, afi byte, f *IPFamily) error {
	want := 32
	if afi == 2 {
		want = 128
	}
	if f.Inherit && len(f.Ranges) > 0 {
		return invalidf("IP family %d: inherit with ranges", afi)
	}
	if !f.Inherit && len(f.Ranges) == 0 {
		return invalidf("IP family %d: empty", afi)
	}
	c := f.clone()
	for _, r := range c.Ranges {
		if !r.Min.IsValid() || r.Min.BitLen() != want || r.Max.BitLen() != want || r.Min.Compare(r.Max) > 0 ||
			(want == 32 && (!r.Min.Is4() || !r.Max.Is4())) {
			return invalidf("IP family %d: bad range %v-%v", afi, r.Min, r.Max)
		}
	}
	c.Canonicalize()
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1OctetString([]byte{0, afi}) // RFC 3779 §2.2.3.3: AFI, no SAFI (RFC 6487 §4.8.10)
		if c.Inherit {
			b.AddASN1NULL()
			return
		}
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, r := range c.Ranges {
				addIPAddressOrRange(b, r)
			}
		})
	})
	return nil
}

// addIPAddressOrRange writes a prefix when the range is one (§2.2.3.7),
// else an IPAddressRange with trailing bits dropped (§2.2.3.9).
func addIPAddressOrRange(b *cryptobyte.Builder, r IPRange) {
	if p, ok := r.asPrefix(); ok {
		addAddrBits(b, addrBytes(p.Addr()), p.Bits())
		return
	}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		lo := addrBytes(r.Min)
		addAddrBits(b, lo, len(lo)*8-trailingBits(lo, false))
		hi := addrBytes(r.Max)
		n := len(hi)*8 - trailingBits(hi, true)
		setTail(hi, n, false)
		addAddrBits(b, hi, n)
	})
}

// addAddrBits writes the first n bits of addr as a BIT STRING (bits after n
// must already be zero).
func addAddrBits(b *cryptobyte.Builder, addr []byte, n int) {
	nb := (n + 7) / 8
	addBitString(b, addr[:nb], nb*8-n)
}

// ContainsPrefix reports whether p lies entirely inside the resources
// (inherit counts as not containing anything: it cannot be resolved here).
func (r IPResources) ContainsPrefix(p netip.Prefix) bool {
	f := r.V6
	if p.Addr().Is4() {
		f = r.V4
	}
	if f == nil || f.Inherit || !p.IsValid() {
		return false
	}
	pr := prefixRange(p)
	for _, x := range f.Ranges {
		if x.contains(pr) {
			return true
		}
	}
	return false
}

// Covers reports whether r encompasses child (RFC 6487 §7.2: equal or
// superset). A child family using inherit is covered by definition; a parent
// family using inherit covers only inherit.
func (r IPResources) Covers(child IPResources) bool {
	return familyCovers(r.V4, child.V4) && familyCovers(r.V6, child.V6)
}

func familyCovers(parent, child *IPFamily) bool {
	if child == nil || child.Inherit {
		return true
	}
	if parent == nil || parent.Inherit {
		return false
	}
	for _, c := range child.Ranges {
		ok := false
		for _, p := range parent.Ranges {
			if p.contains(c) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Prefixes splits every range into prefixes, IPv4 first (for display).
func (r IPResources) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, f := range []*IPFamily{r.V4, r.V6} {
		if f == nil {
			continue
		}
		for _, x := range f.Ranges {
			out = append(out, splitRange(x)...)
		}
	}
	return out
}

// Canonicalize sorts and merges overlapping or adjacent AS ranges in place
// (RFC 3779 §3.2.3.4).
func (a *ASResources) Canonicalize() {
	if len(a.Ranges) == 0 {
		return
	}
	slices.SortFunc(a.Ranges, func(x, y ASRange) int { return cmp.Or(cmp.Compare(x.Min, y.Min), cmp.Compare(x.Max, y.Max)) })
	out := a.Ranges[:1]
	for _, r := range a.Ranges[1:] {
		last := &out[len(out)-1]
		if uint64(r.Min) <= uint64(last.Max)+1 {
			last.Max = max(last.Max, r.Max)
			continue
		}
		out = append(out, r)
	}
	a.Ranges = out
}

// Encode returns the DER of ASIdentifiers with only asnum (RFC 3779 §3.2.3).
func (a ASResources) Encode() ([]byte, error) {
	if a.Inherit && len(a.Ranges) > 0 {
		return nil, invalidf("AS resources: inherit with ranges")
	}
	if !a.Inherit && len(a.Ranges) == 0 {
		return nil, invalidf("AS resources: empty")
	}
	c := ASResources{Inherit: a.Inherit, Ranges: slices.Clone(a.Ranges)}
	for _, r := range c.Ranges {
		if r.Min > r.Max {
			return nil, invalidf("AS range %d-%d", r.Min, r.Max)
		}
	}
	c.Canonicalize()
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			if c.Inherit {
				b.AddASN1NULL()
				return
			}
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, r := range c.Ranges {
					if r.Min == r.Max {
						b.AddASN1Uint64(uint64(r.Min))
						continue
					}
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Uint64(uint64(r.Min))
						b.AddASN1Uint64(uint64(r.Max))
					})
				}
			})
		})
	})
	return b.Bytes()
}

// Contains reports whether asn is among the ranges (never for inherit).
func (a ASResources) Contains(asn uint32) bool {
	for _, r := range a.Ranges {
		if r.Min <= asn && asn <= r.Max {
			return true
		}
	}
	return false
}

// Covers reports whether a encompasses child; child inherit is covered.
func (a ASResources) Covers(child ASResources) bool {
	if child.Inherit {
		return true
	}
	if a.Inherit {
		return false
	}
	for _, c := range child.Ranges {
		ok := false
		for _, r := range a.Ranges {
			if r.Min <= c.Min && c.Max <= r.Max {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
