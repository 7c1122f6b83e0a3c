package rpki

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"

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
	if c.Subject, c.RawSubject, err = readName(&tbs); err != nil {
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
