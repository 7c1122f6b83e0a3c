package rpki

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/roadrpki/road/internal/vrp"
)

// ROAPrefix is one ROAIPAddress. MaxLength 0 on encode means "equal to the
// prefix length"; ParseROA always fills it in.
type ROAPrefix struct {
	Prefix    netip.Prefix
	MaxLength int
}

// ROA is the RFC 9582 RouteOriginAttestation eContent.
type ROA struct {
	ASID     uint32
	Prefixes []ROAPrefix
}

func (p ROAPrefix) maxLen() int {
	if p.MaxLength == 0 {
		return p.Prefix.Bits()
	}
	return p.MaxLength
}

// canonicalPrefixes validates and returns the prefixes in the RFC 9582
// §4.3.3 canonical order (afi, address, prefix length, maxLength) without
// duplicates.
func (r *ROA) canonicalPrefixes() ([]ROAPrefix, error) {
	if len(r.Prefixes) == 0 {
		return nil, invalidf("ROA without prefixes")
	}
	out := make([]ROAPrefix, 0, len(r.Prefixes))
	for _, p := range r.Prefixes {
		if !p.Prefix.IsValid() || p.Prefix.Addr().Is4In6() || p.Prefix.Addr().Zone() != "" {
			return nil, invalidf("ROA prefix %v", p.Prefix)
		}
		q := ROAPrefix{Prefix: p.Prefix.Masked(), MaxLength: p.maxLen()}
		if q.MaxLength < q.Prefix.Bits() || q.MaxLength > q.Prefix.Addr().BitLen() {
			return nil, invalidf("ROA prefix %v maxLength %d", p.Prefix, p.MaxLength)
		}
		out = append(out, q)
	}
	slices.SortFunc(out, compareROAPrefix)
	return slices.Compact(out), nil
}

func compareROAPrefix(a, b ROAPrefix) int {
	return cmp.Or(cmp.Compare(a.Prefix.Addr().BitLen(), b.Prefix.Addr().BitLen()),
		a.Prefix.Addr().Compare(b.Prefix.Addr()),
		cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()),
		cmp.Compare(a.MaxLength, b.MaxLength))
}

// Encode returns the eContent DER (RFC 9582 §4): version omitted, maxLength
// omitted when equal to the prefix length (§4.3.2.2), canonical order.
func (r *ROA) Encode() ([]byte, error) {
	ps, err := r.canonicalPrefixes()
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Uint64(uint64(r.ASID))
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for afi, bits := range []int{32, 128} {
				fam := slices.DeleteFunc(slices.Clone(ps), func(p ROAPrefix) bool { return p.Prefix.Addr().BitLen() != bits })
				if len(fam) == 0 {
					continue
				}
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1OctetString([]byte{0, byte(afi + 1)})
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						for _, p := range fam {
							b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
								addAddrBits(b, addrBytes(p.Prefix.Addr()), p.Prefix.Bits())
								if p.MaxLength != p.Prefix.Bits() {
									b.AddASN1Int64(int64(p.MaxLength))
								}
							})
						}
					})
				})
			}
		})
	})
	return b.Bytes()
}

// ParseROA parses the eContent strictly: version absent (DER of the DEFAULT
// 0), AS 0..2^32-1, one or two families (0001 then 0002, no SAFI), each
// non-empty, maxLength within [prefix length, 32|128]. Non-canonical order
// and duplicates are accepted (RFC 9582 §4.3.3 is a SHOULD) but the returned
// prefixes are canonical.
func ParseROA(eContent []byte) (*ROA, error) {
	if len(eContent) > maxSignedObjectSize {
		return nil, fmt.Errorf("%w: ROA", ErrTooLarge)
	}
	in := cryptobyte.String(eContent)
	var seq, blocks cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() {
		return nil, malformed("RouteOriginAttestation")
	}
	if seq.PeekASN1Tag(tagExplicit0) {
		return nil, profilef("ROA version present (must be the omitted DEFAULT 0, RFC 9582 §4.1)")
	}
	r := &ROA{}
	if !seq.ReadASN1Integer(&r.ASID) {
		return nil, malformed("ROA asID")
	}
	if !seq.ReadASN1(&blocks, asn1.SEQUENCE) || !seq.Empty() {
		return nil, malformed("ROA ipAddrBlocks")
	}
	lastAFI := 0
	for !blocks.Empty() {
		var fam, afiBytes, addrs cryptobyte.String
		if !blocks.ReadASN1(&fam, asn1.SEQUENCE) || !fam.ReadASN1(&afiBytes, asn1.OCTET_STRING) ||
			!fam.ReadASN1(&addrs, asn1.SEQUENCE) || !fam.Empty() {
			return nil, malformed("ROAIPAddressFamily")
		}
		if len(afiBytes) != 2 || afiBytes[0] != 0 || (afiBytes[1] != 1 && afiBytes[1] != 2) {
			return nil, profilef("ROA addressFamily %x (RFC 9582 §4.3.1)", []byte(afiBytes))
		}
		afi := int(afiBytes[1])
		if afi <= lastAFI {
			return nil, profilef("ROA address families repeated or out of order")
		}
		lastAFI = afi
		nbytes := 4
		if afi == 2 {
			nbytes = 16
		}
		if addrs.Empty() {
			return nil, profilef("ROA family %d without addresses", afi)
		}
		for !addrs.Empty() {
			var a cryptobyte.String
			if !addrs.ReadASN1(&a, asn1.SEQUENCE) {
				return nil, malformed("ROAIPAddress")
			}
			p, err := readPrefixBits(&a, nbytes)
			if err != nil {
				return nil, err
			}
			rp := ROAPrefix{Prefix: p, MaxLength: p.Bits()}
			if !a.Empty() {
				var ml int64
				if !a.ReadASN1Int64WithTag(&ml, asn1.INTEGER) || !a.Empty() {
					return nil, malformed("ROA maxLength")
				}
				if ml < int64(p.Bits()) || ml > int64(nbytes*8) {
					return nil, profilef("ROA %v maxLength %d out of range (RFC 9582 §4.3.2.2)", p, ml)
				}
				rp.MaxLength = int(ml)
			}
			r.Prefixes = append(r.Prefixes, rp)
		}
	}
	if len(r.Prefixes) == 0 {
		return nil, profilef("ROA without address families")
	}
	slices.SortFunc(r.Prefixes, compareROAPrefix)
	r.Prefixes = slices.Compact(r.Prefixes)
	return r, nil
}

// VRPs returns one VRP per prefix, in canonical order.
func (r *ROA) VRPs() []vrp.VRP {
	out := make([]vrp.VRP, 0, len(r.Prefixes))
	for _, p := range r.Prefixes {
		out = append(out, vrp.VRP{Prefix: p.Prefix.Masked(), MaxLen: uint8(p.maxLen()), ASN: r.ASID})
	}
	return out
}
