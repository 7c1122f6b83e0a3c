package rpki

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	encasn1 "encoding/asn1"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ParseCertificate parses a DER resource certificate and applies the RFC
// 6487 profile checks that need no issuer: v3, positive serial of at most 20
// octets, sha256WithRSAEncryption (RFC 7935), RSA-2048 with e=65537, names,
// and the exact extension set of §4.8 with the right criticality and values.
func ParseCertificate(der []byte) (*Certificate, error) {
	if len(der) > maxObjectSize {
		return nil, fmt.Errorf("%w: certificate of %d bytes", ErrTooLarge, len(der))
	}
	c := &Certificate{Raw: der}
	in := cryptobyte.String(der)
	var cert, tbsRaw cryptobyte.String
	if !in.ReadASN1(&cert, asn1.SEQUENCE) || !in.Empty() || !cert.ReadASN1Element(&tbsRaw, asn1.SEQUENCE) {
		return nil, malformed("Certificate")
	}
	c.RawTBS = tbsRaw
	alg, err := readAlgorithm(&cert)
	if err != nil {
		return nil, err
	}
	if !alg.Equal(oidSHA256WithRSA) {
		return nil, profilef("certificate signatureAlgorithm %v (RFC 7935 §2)", alg)
	}
	if c.Signature, err = readOctetAlignedBitString(&cert); err != nil {
		return nil, err
	}
	if !cert.Empty() {
		return nil, malformed("Certificate trailing data")
	}
	if err := parseTBSCertificate(c, tbsRaw); err != nil {
		return nil, err
	}
	return c, nil
}

func parseTBSCertificate(c *Certificate, raw cryptobyte.String) error {
	var tbs, ver cryptobyte.String
	if !raw.ReadASN1(&tbs, asn1.SEQUENCE) {
		return malformed("TBSCertificate")
	}
	var version int64
	if !tbs.ReadASN1(&ver, tagExplicit0) || !ver.ReadASN1Int64WithTag(&version, asn1.INTEGER) || !ver.Empty() {
		return profilef("certificate version missing (RFC 6487 §4.1)")
	}
	if version != 2 {
		return profilef("certificate version %d, want v3 (RFC 6487 §4.1)", version+1)
	}
	var err error
	if c.SerialNumber, err = readSerial(&tbs, "certificate serial", false); err != nil {
		return err
	}
	alg, err := readAlgorithm(&tbs)
	if err != nil {
		return err
	}
	if !alg.Equal(oidSHA256WithRSA) {
		return profilef("TBS signature algorithm %v (RFC 7935 §2)", alg)
	}
	if c.Issuer, _, err = readName(&tbs); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	var validity cryptobyte.String
	if !tbs.ReadASN1(&validity, asn1.SEQUENCE) {
		return malformed("Validity")
	}
	if c.NotBefore, err = readTime(&validity); err != nil {
		return err
	}
	if c.NotAfter, err = readTime(&validity); err != nil {
		return err
	}
	if !validity.Empty() {
		return malformed("Validity trailing data")
	}
	if c.NotAfter.Before(c.NotBefore) {
		return profilef("notAfter before notBefore")
	}
	if c.Subject, _, err = readName(&tbs); err != nil {
		return fmt.Errorf("subject: %w", err)
	}
	var spki cryptobyte.String
	if !tbs.ReadASN1Element(&spki, asn1.SEQUENCE) {
		return malformed("SubjectPublicKeyInfo")
	}
	c.RawSubjectPublicKeyInfo = spki
	if c.PublicKey, err = parseRSASPKI(spki); err != nil {
		return err
	}
	if tbs.PeekASN1Tag(asn1.Tag(1).ContextSpecific()) || tbs.PeekASN1Tag(asn1.Tag(2).ContextSpecific()) {
		return profilef("unique identifiers present (RFC 6487 §4)")
	}
	var exts cryptobyte.String
	if !tbs.ReadASN1(&exts, tagExplicit3) {
		return profilef("extensions missing")
	}
	if !tbs.Empty() {
		return malformed("TBSCertificate trailing data")
	}
	if err := parseCertExtensions(c, exts); err != nil {
		return err
	}
	return checkCertProfile(c)
}

// parseRSASPKI parses an rsaEncryption SubjectPublicKeyInfo holding a
// 2048-bit modulus and exponent 65537 (RFC 7935 §3).
func parseRSASPKI(spki []byte) (*rsa.PublicKey, error) {
	s := cryptobyte.String(spki)
	var body, keyDER, key cryptobyte.String
	if !s.ReadASN1(&body, asn1.SEQUENCE) || !s.Empty() {
		return nil, malformed("SubjectPublicKeyInfo")
	}
	alg, err := readAlgorithm(&body)
	if err != nil {
		return nil, err
	}
	if !alg.Equal(oidRSAEncryption) {
		return nil, profilef("public key algorithm %v, want rsaEncryption", alg)
	}
	kb, err := readOctetAlignedBitString(&body)
	if err != nil || !body.Empty() {
		return nil, malformed("subjectPublicKey")
	}
	keyDER = kb
	n := new(big.Int)
	var e int64
	if !keyDER.ReadASN1(&key, asn1.SEQUENCE) || !keyDER.Empty() || !key.ReadASN1Integer(n) ||
		!key.ReadASN1Int64WithTag(&e, asn1.INTEGER) || !key.Empty() {
		return nil, malformed("RSAPublicKey")
	}
	if n.BitLen() != 2048 || e != 65537 {
		return nil, profilef("RSA key of %d bits, exponent %d (RFC 7935 §3: 2048, 65537)", n.BitLen(), e)
	}
	return &rsa.PublicKey{N: n, E: int(e)}, nil
}

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

func parseCertExtension(c *Certificate, st *certExtensions, oid encasn1.ObjectIdentifier, critical bool, v cryptobyte.String) error {
	switch {
	case oid.Equal(oidExtBasicConstraints):
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
		return wantCritical(oid, critical, true)
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

// selfSigned reports whether the certificate names itself as issuer key:
// no AKI, or AKI equal to SKI (RFC 6487 §4.8.3).
func (c *Certificate) selfSigned() bool { return c.AKI == nil || bytes.Equal(c.AKI, c.SKI) }

func checkCertProfile(c *Certificate) error {
	if c.SKI == nil {
		return profilef("subjectKeyIdentifier missing (RFC 6487 §4.8.2)")
	}
	if !bytes.Equal(c.SKI, SubjectKeyID(c.PublicKey)) {
		return profilef("subjectKeyIdentifier is not the SHA-1 of the key (RFC 6487 §4.8.2)")
	}
	if c.selfSigned() {
		if c.Issuer != c.Subject {
			return profilef("AKI missing (RFC 6487 §4.8.3), or a self-signed certificate whose issuer differs from its subject")
		}
		if c.CRLDP != "" || c.AIA != "" {
			return profilef("self-signed certificate with CRLDP or AIA (RFC 6487 §4.8.6, §4.8.7)")
		}
	} else if c.CRLDP == "" || c.AIA == "" {
		return profilef("CRLDP and AIA required (RFC 6487 §4.8.6, §4.8.7)")
	}
	if c.IsCA {
		if c.SIA.CARepository == "" || c.SIA.Manifest == "" {
			return profilef("CA SIA needs rsync caRepository and rpkiManifest (RFC 6487 §4.8.8.1)")
		}
		if c.SIA.SignedObject != "" {
			return profilef("CA SIA with signedObject")
		}
	} else {
		if c.SIA.SignedObject == "" {
			return profilef("EE SIA needs signedObject (RFC 6487 §4.8.8.2)")
		}
		if c.SIA.CARepository != "" || c.SIA.Manifest != "" {
			return profilef("EE SIA with CA access methods (RFC 6487 §4.8.8.2)")
		}
	}
	if c.IP == nil && c.AS == nil {
		return profilef("no resource extension (RFC 6487 §4.8.10)")
	}
	return nil
}

// CheckSignatureFrom verifies that parent issued c: names and key
// identifiers chain and parent's key verifies the signature.
func (c *Certificate) CheckSignatureFrom(parent *Certificate) error {
	if parent == nil || parent.PublicKey == nil {
		return fmt.Errorf("%w: no issuer key", ErrSignature)
	}
	if c.Issuer != parent.Subject {
		return profilef("issuer %q is not the parent subject %q", c.Issuer, parent.Subject)
	}
	if c.AKI != nil && !bytes.Equal(c.AKI, parent.SKI) {
		return profilef("AKI %X is not the parent SKI %X", c.AKI, parent.SKI)
	}
	return verifyPKCS1(parent.PublicKey, c.RawTBS, c.Signature)
}

func verifyPKCS1(pub *rsa.PublicKey, data, sig []byte) error {
	d := sha256.Sum256(data)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}
