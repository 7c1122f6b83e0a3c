package rpki

import (
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/roadrpki/road/internal/vrp"
)

// ASPA is the ASProviderAttestation eContent of
// draft-ietf-sidrops-aspa-profile: version 1, a customer AS and its
// providers in ascending order.
type ASPA struct {
	CustomerASID uint32
	Providers    []uint32
}

const maxASPAProviders = 1 << 16

// Encode returns the eContent DER. Providers are sorted and de-duplicated;
// the customer must not be among them.
func (a *ASPA) Encode() ([]byte, error) {
	ps := slices.Clone(a.Providers)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	if len(ps) == 0 || len(ps) > maxASPAProviders {
		return nil, invalidf("ASPA needs 1..%d providers", maxASPAProviders)
	}
	if _, found := slices.BinarySearch(ps, a.CustomerASID); found {
		return nil, invalidf("ASPA customer AS%d listed as its own provider", a.CustomerASID)
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Int64(1) })
		b.AddASN1Uint64(uint64(a.CustomerASID))
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, p := range ps {
				b.AddASN1Uint64(uint64(p))
			}
		})
	})
	return b.Bytes()
}

// ParseASPA parses the eContent strictly: explicit version 1, providers
// strictly ascending (so no duplicates), customer not among them.
func ParseASPA(eContent []byte) (*ASPA, error) {
	if len(eContent) > maxObjectSize {
		return nil, fmt.Errorf("%w: ASPA", ErrTooLarge)
	}
	in := cryptobyte.String(eContent)
	var seq, ver, provs cryptobyte.String
	var version int64
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() {
		return nil, malformed("ASProviderAttestation")
	}
	if !seq.ReadASN1(&ver, tagExplicit0) || !ver.ReadASN1Int64WithTag(&version, asn1.INTEGER) || !ver.Empty() || version != 1 {
		return nil, profilef("ASPA version must be an explicit 1")
	}
	a := &ASPA{}
	if !seq.ReadASN1Integer(&a.CustomerASID) || !seq.ReadASN1(&provs, asn1.SEQUENCE) || !seq.Empty() {
		return nil, malformed("ASPA customer or providers")
	}
	for !provs.Empty() {
		if len(a.Providers) >= maxASPAProviders {
			return nil, fmt.Errorf("%w: ASPA with more than %d providers", ErrTooLarge, maxASPAProviders)
		}
		var p uint32
		if !provs.ReadASN1Integer(&p) {
			return nil, malformed("ASPA provider")
		}
		if n := len(a.Providers); n > 0 && p <= a.Providers[n-1] {
			return nil, profilef("ASPA providers not strictly ascending")
		}
		if p == a.CustomerASID {
			return nil, profilef("ASPA customer AS%d listed as its own provider", p)
		}
		a.Providers = append(a.Providers, p)
	}
	if len(a.Providers) == 0 {
		return nil, profilef("ASPA without providers")
	}
	return a, nil
}

// CheckEE: the EE certificate carries exactly the customer AS, without
// inherit, and no IP extension (draft-ietf-sidrops-aspa-profile §4).
func (a *ASPA) CheckEE(ee *Certificate) error {
	if ee.IP != nil {
		return profilef("ASPA EE certificate has an IP extension")
	}
	if ee.AS == nil || ee.AS.Inherit || len(ee.AS.Ranges) != 1 ||
		ee.AS.Ranges[0] != (ASRange{a.CustomerASID, a.CustomerASID}) {
		return profilef("ASPA EE certificate must hold exactly AS%d", a.CustomerASID)
	}
	return nil
}

// ParseASPAObject parses an .asa file: CMS checks, content type, eContent
// and the EE resource checks.
func ParseASPAObject(der []byte) (*SignedObject, *ASPA, error) {
	so, err := ParseSignedObject(der)
	if err != nil {
		return nil, nil, err
	}
	if !so.ContentType.Equal(OIDASPA) {
		return nil, nil, profilef("content type %v is not an ASPA", so.ContentType)
	}
	a, err := ParseASPA(so.EContent)
	if err != nil {
		return nil, nil, err
	}
	if err := a.CheckEE(so.EE); err != nil {
		return nil, nil, err
	}
	return so, a, nil
}

// Payload returns the validated ASPA payload for RTR.
func (a *ASPA) Payload() vrp.ASPA {
	return vrp.NewASPA(a.CustomerASID, slices.Clone(a.Providers))
}
