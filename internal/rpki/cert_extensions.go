package rpki

import (
	encasn1 "encoding/asn1"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Extension parsing for RFC 6487 §4.8.

type certExtensions struct {
	seen                          map[string]bool
	basicConstraints, keyUsage    bool
	keyUsageBits                  byte
	keyUsageLen                   int
	policies                      bool
	sia                           bool
	caRepoCount, mftCount, soOnly int
}

func parseCertExtensions(c *Certificate, exts cryptobyte.String) error {
	var list cryptobyte.String
	if !exts.ReadASN1(&list, asn1.SEQUENCE) || !exts.Empty() || list.Empty() {
		return malformed("Extensions")
	}
	st := &certExtensions{seen: map[string]bool{}}
	for !list.Empty() {
		var ext, value cryptobyte.String
		var oid encasn1.ObjectIdentifier
		critical := false
		if !list.ReadASN1(&ext, asn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&oid) {
			return malformed("Extension")
		}
		if ext.PeekASN1Tag(asn1.BOOLEAN) {
			if !ext.ReadASN1Boolean(&critical) || !critical {
				return malformed("Extension critical must be omitted when FALSE (DER)")
			}
		}
		if !ext.ReadASN1(&value, asn1.OCTET_STRING) || !ext.Empty() {
			return malformed("Extension value")
		}
		key := oid.String()
		if st.seen[key] {
			return profilef("extension %v repeated", oid)
		}
		st.seen[key] = true
		if err := parseCertExtension(c, st, oid, critical, value); err != nil {
			return fmt.Errorf("extension %v: %w", oid, err)
		}
	}
	if !st.basicConstraints && c.IsCA {
		return profilef("internal: CA without basicConstraints")
	}
	if !st.keyUsage {
		return profilef("keyUsage missing (RFC 6487 §4.8.4)")
	}
	if !st.policies {
		return profilef("certificatePolicies missing (RFC 6487 §4.8.9)")
	}
	if !st.sia {
		return profilef("subjectInfoAccess missing (RFC 6487 §4.8.8)")
	}
	// RFC 6487 §4.8.4: exactly keyCertSign+cRLSign for CAs, digitalSignature for EEs.
	if c.IsCA && (st.keyUsageBits != 0x06 || st.keyUsageLen != 1) {
		return profilef("CA keyUsage must be keyCertSign|cRLSign only")
	}
	if !c.IsCA && (st.keyUsageBits != 0x80 || st.keyUsageLen != 1) {
		return profilef("EE keyUsage must be digitalSignature only")
	}
	return nil
}

func wantCritical(oid encasn1.ObjectIdentifier, critical, want bool) error {
	if critical != want {
		return profilef("criticality %v, want %v (RFC 6487 §4.8)", critical, want)
	}
	return nil
}

// parseBasicConstraints: cA TRUE, no pathLenConstraint, critical (RFC 6487 §4.8.1).
func parseBasicConstraints(c *Certificate, st *certExtensions, critical bool, v cryptobyte.String) error {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, asn1.SEQUENCE) || !v.Empty() {
		return malformed("basicConstraints")
	}
	ca := false
	if seq.PeekASN1Tag(asn1.BOOLEAN) && !seq.ReadASN1Boolean(&ca) {
		return malformed("basicConstraints cA")
	}
	if !seq.Empty() {
		return profilef("pathLenConstraint present (RFC 6487 §4.8.1)")
	}
	if !ca {
		return profilef("basicConstraints without cA (must be absent on EE, RFC 6487 §4.8.1)")
	}
	st.basicConstraints, c.IsCA = true, true
	return wantCritical(oidExtBasicConstraints, critical, true)
}

func parseCertExtension(c *Certificate, st *certExtensions, oid encasn1.ObjectIdentifier, critical bool, v cryptobyte.String) error {
	switch {
	case oid.Equal(oidExtBasicConstraints):
		return parseBasicConstraints(c, st, critical, v)
	case oid.Equal(oidExtSKI):
		if !v.ReadASN1Bytes(&c.SKI, asn1.OCTET_STRING) || !v.Empty() {
			return malformed("subjectKeyIdentifier")
		}
		return wantCritical(oid, critical, false)
	case oid.Equal(oidExtAKI):
		var seq cryptobyte.String
		if !v.ReadASN1(&seq, asn1.SEQUENCE) || !v.Empty() || !seq.ReadASN1Bytes(&c.AKI, tagImplicit0) {
			return malformed("authorityKeyIdentifier")
		}
		if !seq.Empty() {
			return profilef("authorityCertIssuer/SerialNumber present (RFC 6487 §4.8.3)")
		}
		if len(c.AKI) != 20 {
			return profilef("AKI of %d octets, want a 160-bit SHA-1 (RFC 6487 §4.8.3)", len(c.AKI))
		}
		return wantCritical(oid, critical, false)
	case oid.Equal(oidExtKeyUsage):
		var bs encasn1.BitString
		if !v.ReadASN1BitString(&bs) || !v.Empty() || len(bs.Bytes) == 0 {
			return malformed("keyUsage")
		}
		st.keyUsage, st.keyUsageBits, st.keyUsageLen = true, bs.Bytes[0], len(bs.Bytes)
		return wantCritical(oid, critical, true)
	case oid.Equal(oidExtCRLDP):
		uri, err := parseCRLDP(v)
		if err != nil {
			return err
		}
		c.CRLDP = uri
		return wantCritical(oid, critical, false)
	case oid.Equal(oidExtAIA):
		uris, err := parseAccessDescriptions(v, map[string]bool{oidADCAIssuers.String(): true}, false)
		if err != nil {
			return err
		}
		if c.AIA = firstRsync(uris[oidADCAIssuers.String()]); c.AIA == "" {
			return profilef("AIA without rsync caIssuers (RFC 6487 §4.8.7)")
		}
		return wantCritical(oid, critical, false)
	case oid.Equal(oidExtSIA):
		if err := parseSIA(c, v); err != nil {
			return err
		}
		st.sia = true
		return wantCritical(oid, critical, false)
	case oid.Equal(oidExtCertPolicies):
		if err := parsePolicies(v); err != nil {
			return err
		}
		st.policies = true
		return wantCritical(oid, critical, true)
	case oid.Equal(oidExtIPAddrBlocks):
		r, err := ParseIPResources(v)
		if err != nil {
			return err
		}
		c.IP = &r
		return wantCritical(oid, critical, true)
	case oid.Equal(oidExtASIdentifiers):
		a, err := ParseASResources(v)
		if err != nil {
			return err
		}
		c.AS = &a
		return wantCritical(oid, critical, true)
	}
	// RFC 6487 §4.8: any extension not listed MUST be absent.
	return profilef("extension not allowed by RFC 6487 §4.8")
}

// parseCRLDP reads CRLDistributionPoints: exactly one DistributionPoint
// with a fullName and no reasons or cRLIssuer (RFC 6487 §4.8.6).
func parseCRLDP(v cryptobyte.String) (string, error) {
	var dps, dp, name, full cryptobyte.String
	if !v.ReadASN1(&dps, asn1.SEQUENCE) || !v.Empty() || !dps.ReadASN1(&dp, asn1.SEQUENCE) {
		return "", malformed("CRLDistributionPoints")
	}
	if !dps.Empty() {
		return "", profilef("more than one DistributionPoint")
	}
	if !dp.ReadASN1(&name, tagExplicit0) || !name.ReadASN1(&full, tagExplicit0) || !name.Empty() {
		return "", profilef("DistributionPoint without fullName")
	}
	if !dp.Empty() {
		return "", profilef("DistributionPoint with reasons or cRLIssuer")
	}
	uris, err := readGeneralNameURIs(full)
	if err != nil {
		return "", err
	}
	if u := firstRsync(uris); u != "" {
		return u, nil
	}
	return "", profilef("CRLDP without rsync URI")
}

func readGeneralNameURIs(s cryptobyte.String) ([]string, error) {
	var out []string
	for !s.Empty() {
		var u cryptobyte.String
		if !s.ReadASN1(&u, tagURI) {
			return nil, profilef("GeneralName is not a URI")
		}
		if err := checkIA5URI(u); err != nil {
			return nil, err
		}
		out = append(out, string(u))
	}
	if len(out) == 0 {
		return nil, profilef("no URI")
	}
	return out, nil
}

func checkIA5URI(u []byte) error {
	if len(u) == 0 || len(u) > maxURILength {
		return profilef("URI length %d", len(u))
	}
	for _, ch := range u {
		if ch <= 0x20 || ch >= 0x7f {
			return profilef("URI with byte %#x", ch)
		}
	}
	return nil
}

func firstRsync(uris []string) string {
	for _, u := range uris {
		if strings.HasPrefix(u, "rsync://") {
			return u
		}
	}
	return ""
}

// parseAccessDescriptions reads AIA/SIA syntax. Methods not in allowed are
// rejected when strict, skipped otherwise.
func parseAccessDescriptions(v cryptobyte.String, allowed map[string]bool, strictOthers bool) (map[string][]string, error) {
	var seq cryptobyte.String
	if !v.ReadASN1(&seq, asn1.SEQUENCE) || !v.Empty() || seq.Empty() {
		return nil, malformed("AccessDescriptions")
	}
	out := map[string][]string{}
	for !seq.Empty() {
		var ad, loc cryptobyte.String
		var method encasn1.ObjectIdentifier
		var tag asn1.Tag
		if !seq.ReadASN1(&ad, asn1.SEQUENCE) || !ad.ReadASN1ObjectIdentifier(&method) ||
			!ad.ReadAnyASN1(&loc, &tag) || !ad.Empty() {
			return nil, malformed("AccessDescription")
		}
		if !allowed[method.String()] {
			if strictOthers {
				return nil, profilef("access method %v not allowed", method)
			}
			continue
		}
		if tag != tagURI {
			continue // other GeneralName forms are not used; an rsync URI is required below
		}
		if err := checkIA5URI(loc); err != nil {
			return nil, err
		}
		out[method.String()] = append(out[method.String()], string(loc))
	}
	return out, nil
}

func parseSIA(c *Certificate, v cryptobyte.String) error {
	allowed := map[string]bool{oidADCARepository.String(): true, oidADManifest.String(): true,
		oidADNotify.String(): true, oidADSignedObject.String(): true}
	uris, err := parseAccessDescriptions(v, allowed, false)
	if err != nil {
		return err
	}
	c.SIA.CARepository = firstRsync(uris[oidADCARepository.String()])
	c.SIA.Manifest = firstRsync(uris[oidADManifest.String()])
	c.SIA.SignedObject = firstRsync(uris[oidADSignedObject.String()])
	for _, u := range uris[oidADNotify.String()] {
		if !strings.HasPrefix(u, "https://") {
			return profilef("rpkiNotify %q is not https (RFC 8182 §3.2)", u)
		}
		if c.SIA.Notify == "" {
			c.SIA.Notify = u
		}
	}
	if len(uris[oidADSignedObject.String()]) > 0 && c.SIA.SignedObject == "" {
		return profilef("signedObject without rsync URI")
	}
	return nil
}

// parsePolicies accepts exactly one policy, id-cp-ipAddr-asNumber, with at
// most one CPS qualifier (RFC 6487 §4.8.9, RFC 7318).
func parsePolicies(v cryptobyte.String) error {
	var seq, pi cryptobyte.String
	var oid encasn1.ObjectIdentifier
	if !v.ReadASN1(&seq, asn1.SEQUENCE) || !v.Empty() || !seq.ReadASN1(&pi, asn1.SEQUENCE) ||
		!pi.ReadASN1ObjectIdentifier(&oid) {
		return malformed("certificatePolicies")
	}
	if !seq.Empty() {
		return profilef("more than one policy")
	}
	if !oid.Equal(oidPolicyRPKI) {
		return profilef("policy %v, want %v", oid, oidPolicyRPKI)
	}
	if pi.Empty() {
		return nil
	}
	var quals, q cryptobyte.String
	var qid encasn1.ObjectIdentifier
	var qv cryptobyte.String
	var tag asn1.Tag
	if !pi.ReadASN1(&quals, asn1.SEQUENCE) || !pi.Empty() || !quals.ReadASN1(&q, asn1.SEQUENCE) ||
		!q.ReadASN1ObjectIdentifier(&qid) || !q.ReadAnyASN1(&qv, &tag) || !q.Empty() {
		return malformed("policyQualifiers")
	}
	if !quals.Empty() || !qid.Equal(oidQualCPS) || tag != asn1.IA5String {
		return profilef("policy qualifier must be a single CPS URI (RFC 7318)")
	}
	return nil
}
