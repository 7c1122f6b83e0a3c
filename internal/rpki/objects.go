package rpki

import (
	"slices"
	"time"
)

// CheckEE applies RFC 9582 §5: the EE certificate has an IP extension
// without inherit that contains every ROA prefix, and no AS extension.
func (r *ROA) CheckEE(ee *Certificate) error {
	if ee.AS != nil {
		return profilef("ROA EE certificate has an AS extension (RFC 9582 §5)")
	}
	if ee.IP == nil {
		return profilef("ROA EE certificate without IP resources (RFC 9582 §5)")
	}
	if (ee.IP.V4 != nil && ee.IP.V4.Inherit) || (ee.IP.V6 != nil && ee.IP.V6.Inherit) {
		return profilef("ROA EE certificate uses inherit (RFC 9582 §5)")
	}
	for _, p := range r.Prefixes {
		if !ee.IP.ContainsPrefix(p.Prefix) {
			return profilef("ROA prefix %v outside the EE resources (RFC 9582 §5)", p.Prefix)
		}
	}
	return nil
}

// ParseROAObject parses a .roa file: the CMS checks of ParseSignedObject,
// the ROA content type, the eContent and the RFC 9582 §5 EE checks.
func ParseROAObject(der []byte) (*SignedObject, *ROA, error) {
	so, err := ParseSignedObject(der)
	if err != nil {
		return nil, nil, err
	}
	if !so.ContentType.Equal(OIDROA) {
		return nil, nil, profilef("content type %v is not a ROA (RFC 9582 §3)", so.ContentType)
	}
	roa, err := ParseROA(so.EContent)
	if err != nil {
		return nil, nil, err
	}
	if err := roa.CheckEE(so.EE); err != nil {
		return nil, nil, err
	}
	return so, roa, nil
}

// ParseManifestObject parses a .mft file: the CMS checks, the manifest
// content type and eContent, and RFC 9286 §5.1 for its EE certificate
// (resources all inherit; validity spanning thisUpdate..nextUpdate).
func ParseManifestObject(der []byte) (*SignedObject, *Manifest, error) {
	so, err := ParseSignedObject(der)
	if err != nil {
		return nil, nil, err
	}
	if !so.ContentType.Equal(OIDManifest) {
		return nil, nil, profilef("content type %v is not a manifest (RFC 9286 §4.1)", so.ContentType)
	}
	m, err := ParseManifest(so.EContent)
	if err != nil {
		return nil, nil, err
	}
	ee := so.EE
	for _, f := range []*IPFamily{ee.IP.v4(), ee.IP.v6()} {
		if f != nil && !f.Inherit {
			return nil, nil, profilef("manifest EE IP resources not inherit (RFC 9286 §5.1)")
		}
	}
	if ee.AS != nil && !ee.AS.Inherit {
		return nil, nil, profilef("manifest EE AS resources not inherit (RFC 9286 §5.1)")
	}
	// RFC 9286 §5.1: the issuer MUST align the EE validity with
	// thisUpdate..nextUpdate, and a relying party MUST NOT treat a
	// misalignment in itself as an error; it is counted, not rejected. The
	// EE certificate must still be current (RFC 6487 §7.2).
	if !m.ThisUpdate.Equal(ee.NotBefore) || !m.NextUpdate.Equal(ee.NotAfter) {
		so.Lenient = append(so.Lenient, LenientManifestEEValidity)
	}
	return so, m, nil
}

func (r *IPResources) v4() *IPFamily {
	if r == nil {
		return nil
	}
	return r.V4
}

func (r *IPResources) v6() *IPFamily {
	if r == nil {
		return nil
	}
	return r.V6
}

// SelfSigned reports whether the certificate names its own key as issuer
// key: no AKI, or an AKI equal to the SKI (RFC 6487 §4.8.3).
func (c *Certificate) SelfSigned() bool { return c.selfSigned() }

// ValidAt reports whether t lies within the validity period (inclusive).
func (c *Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// ResolveInherit returns r with every inherit family replaced by the
// parent's family (RFC 3779 §2.2.3.5); absent families stay absent.
func (r IPResources) ResolveInherit(parent IPResources) IPResources {
	out := IPResources{V4: r.V4, V6: r.V6}
	if r.V4 != nil && r.V4.Inherit {
		out.V4 = parent.V4.clone()
	}
	if r.V6 != nil && r.V6.Inherit {
		out.V6 = parent.V6.clone()
	}
	return out
}

// ResolveInherit returns a, or the parent's AS resources when a inherits
// (RFC 3779 §3.2.3.3).
func (a ASResources) ResolveInherit(parent ASResources) ASResources {
	if !a.Inherit {
		return a
	}
	return ASResources{Inherit: parent.Inherit, Ranges: slices.Clone(parent.Ranges)}
}
