package rpki

import (
	encasn1 "encoding/asn1"
	"fmt"
	"net/netip"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ParseIPResources parses the extnValue of sbgp-ipAddrBlock strictly:
// IPv4 then IPv6, each at most once, no SAFI (RFC 6487 §4.8.10), and the
// canonical form of RFC 3779 §2.2.3.6–.9 (sorted, no overlap, adjacent
// entries merged, prefixes where possible, minimal range bit strings).
func ParseIPResources(der []byte) (IPResources, error) {
	var r IPResources
	if len(der) > maxObjectSize {
		return r, fmt.Errorf("%w: IP resources", ErrTooLarge)
	}
	in := cryptobyte.String(der)
	var blocks cryptobyte.String
	if !in.ReadASN1(&blocks, asn1.SEQUENCE) || !in.Empty() {
		return r, malformed("IPAddrBlocks")
	}
	if blocks.Empty() {
		return r, profilef("IPAddrBlocks is empty")
	}
	lastAFI := 0
	for !blocks.Empty() {
		var fam, afiBytes cryptobyte.String
		if !blocks.ReadASN1(&fam, asn1.SEQUENCE) || !fam.ReadASN1(&afiBytes, asn1.OCTET_STRING) {
			return r, malformed("IPAddressFamily")
		}
		if len(afiBytes) != 2 {
			return r, profilef("addressFamily of %d octets (SAFI not allowed)", len(afiBytes))
		}
		afi := int(afiBytes[0])<<8 | int(afiBytes[1])
		if afi != 1 && afi != 2 {
			return r, profilef("unknown AFI %d", afi)
		}
		if afi <= lastAFI {
			return r, profilef("address families out of order or repeated")
		}
		lastAFI = afi
		f, err := parseIPFamily(&fam, afi)
		if err != nil {
			return r, err
		}
		if !fam.Empty() {
			return r, malformed("IPAddressFamily trailing data")
		}
		if afi == 1 {
			r.V4 = f
		} else {
			r.V6 = f
		}
	}
	return r, nil
}

func parseIPFamily(s *cryptobyte.String, afi int) (*IPFamily, error) {
	nbytes := 4
	if afi == 2 {
		nbytes = 16
	}
	if s.PeekASN1Tag(asn1.NULL) {
		var null cryptobyte.String
		if !s.ReadASN1(&null, asn1.NULL) || len(null) != 0 {
			return nil, malformed("inherit NULL")
		}
		return &IPFamily{Inherit: true}, nil
	}
	var items cryptobyte.String
	if !s.ReadASN1(&items, asn1.SEQUENCE) {
		return nil, malformed("addressesOrRanges")
	}
	if items.Empty() {
		return nil, profilef("AFI %d: empty addressesOrRanges", afi)
	}
	f := &IPFamily{}
	for !items.Empty() {
		var r IPRange
		if items.PeekASN1Tag(asn1.BIT_STRING) {
			p, err := readPrefixBits(&items, nbytes)
			if err != nil {
				return nil, err
			}
			r = prefixRange(p)
		} else {
			var rng cryptobyte.String
			if !items.ReadASN1(&rng, asn1.SEQUENCE) {
				return nil, malformed("IPAddressOrRange")
			}
			var err error
			if r, err = readRangeBits(&rng, nbytes); err != nil {
				return nil, err
			}
		}
		if n := len(f.Ranges); n > 0 {
			prev := f.Ranges[n-1]
			// RFC 3779 §2.2.3.6: ascending, non-overlapping, contiguous ones combined.
			if isMaxAddr(prev.Max) || r.Min.Compare(prev.Max.Next()) <= 0 {
				return nil, profilef("AFI %d: %v-%v overlaps, touches or precedes %v-%v", afi, r.Min, r.Max, prev.Min, prev.Max)
			}
		}
		f.Ranges = append(f.Ranges, r)
	}
	return f, nil
}

func readAddrBitString(s *cryptobyte.String, nbytes int) (encasn1.BitString, error) {
	var bs encasn1.BitString
	if !s.ReadASN1BitString(&bs) {
		return bs, malformed("IPAddress BIT STRING")
	}
	if len(bs.Bytes) > nbytes {
		return bs, profilef("IPAddress of %d bits for a %d-bit family", bs.BitLength, nbytes*8)
	}
	return bs, nil
}

func readPrefixBits(s *cryptobyte.String, nbytes int) (netip.Prefix, error) {
	bs, err := readAddrBitString(s, nbytes)
	if err != nil {
		return netip.Prefix{}, err
	}
	b := make([]byte, nbytes)
	copy(b, bs.Bytes)
	return netip.PrefixFrom(addrFromBytes(b), bs.BitLength), nil
}

// readRangeBits reads an IPAddressRange: min has its trailing zero bits and
// max its trailing one bits removed (RFC 3779 §2.2.3.9), and the range is not
// expressible as a prefix (§2.2.3.7).
func readRangeBits(s *cryptobyte.String, nbytes int) (IPRange, error) {
	lo, err := readAddrBitString(s, nbytes)
	if err != nil {
		return IPRange{}, err
	}
	hi, err := readAddrBitString(s, nbytes)
	if err != nil {
		return IPRange{}, err
	}
	if !s.Empty() {
		return IPRange{}, malformed("IPAddressRange trailing data")
	}
	if lo.BitLength > 0 && lo.At(lo.BitLength-1) != 1 {
		return IPRange{}, profilef("range min keeps trailing zero bits")
	}
	if hi.BitLength > 0 && hi.At(hi.BitLength-1) != 0 {
		return IPRange{}, profilef("range max keeps trailing one bits")
	}
	minb := make([]byte, nbytes)
	copy(minb, lo.Bytes)
	maxb := make([]byte, nbytes)
	copy(maxb, hi.Bytes)
	setTail(maxb, hi.BitLength, true)
	r := IPRange{Min: addrFromBytes(minb), Max: addrFromBytes(maxb)}
	if r.Min.Compare(r.Max) > 0 {
		return IPRange{}, profilef("range min %v above max %v", r.Min, r.Max)
	}
	if _, ok := r.asPrefix(); ok {
		return IPRange{}, profilef("range %v-%v must be encoded as a prefix", r.Min, r.Max)
	}
	return r, nil
}

// ParseASResources parses the extnValue of sbgp-autonomousSysNum strictly:
// asnum present, rdi absent (RFC 6487 §4.8.11), ids ascending, ranges with
// min < max, no overlap, contiguous ids merged (RFC 3779 §3.2.3.4).
func ParseASResources(der []byte) (ASResources, error) {
	var a ASResources
	if len(der) > maxObjectSize {
		return a, fmt.Errorf("%w: AS resources", ErrTooLarge)
	}
	in := cryptobyte.String(der)
	var ids, choice cryptobyte.String
	if !in.ReadASN1(&ids, asn1.SEQUENCE) || !in.Empty() {
		return a, malformed("ASIdentifiers")
	}
	if !ids.ReadASN1(&choice, tagExplicit0) {
		return a, profilef("ASIdentifiers without asnum")
	}
	if !ids.Empty() {
		return a, profilef("ASIdentifiers with rdi or trailing data")
	}
	if choice.PeekASN1Tag(asn1.NULL) {
		var null cryptobyte.String
		if !choice.ReadASN1(&null, asn1.NULL) || len(null) != 0 || !choice.Empty() {
			return a, malformed("asnum inherit")
		}
		a.Inherit = true
		return a, nil
	}
	var items cryptobyte.String
	if !choice.ReadASN1(&items, asn1.SEQUENCE) || !choice.Empty() {
		return a, malformed("asIdsOrRanges")
	}
	if items.Empty() {
		return a, profilef("empty asIdsOrRanges")
	}
	for !items.Empty() {
		var r ASRange
		if items.PeekASN1Tag(asn1.INTEGER) {
			if !items.ReadASN1Integer(&r.Min) {
				return a, malformed("ASId")
			}
			r.Max = r.Min
		} else {
			var rng cryptobyte.String
			if !items.ReadASN1(&rng, asn1.SEQUENCE) || !rng.ReadASN1Integer(&r.Min) ||
				!rng.ReadASN1Integer(&r.Max) || !rng.Empty() {
				return a, malformed("ASRange")
			}
			if r.Min >= r.Max {
				return a, profilef("AS range %d-%d not increasing", r.Min, r.Max)
			}
		}
		if n := len(a.Ranges); n > 0 && uint64(r.Min) <= uint64(a.Ranges[n-1].Max)+1 {
			return a, profilef("AS %d-%d overlaps, touches or precedes the previous entry", r.Min, r.Max)
		}
		a.Ranges = append(a.Ranges, r)
	}
	return a, nil
}
