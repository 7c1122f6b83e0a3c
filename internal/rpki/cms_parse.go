package rpki

import (
	"bytes"
	"crypto/sha256"
	encasn1 "encoding/asn1"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ParseSignedObject parses an RFC 6488 signed object and runs the §3 checks
// that need no parent: DER, SignedData v3, one SHA-256 digest algorithm, one
// EE certificate, no CRLs, one SignerInfo v3 whose sid is the EE SKI, the
// RFC 9589 signed attributes, content-type equal to eContentType, no
// unsignedAttrs, the message digest and the signature with the EE key.
func ParseSignedObject(der []byte) (*SignedObject, error) {
	if len(der) > maxSignedObjectSize {
		return nil, fmt.Errorf("%w: signed object of %d bytes", ErrTooLarge, len(der))
	}
	o := &SignedObject{Raw: der}
	norm, ber, berErr := derFromBER(der)
	if berErr != nil {
		return nil, fmt.Errorf("ContentInfo: %w", berErr)
	}
	if ber {
		o.Lenient = append(o.Lenient, LenientBER)
	}
	in := cryptobyte.String(norm)
	var ci, content, sd cryptobyte.String
	var ct encasn1.ObjectIdentifier
	if !in.ReadASN1(&ci, asn1.SEQUENCE) || !in.Empty() || !ci.ReadASN1ObjectIdentifier(&ct) ||
		!ci.ReadASN1(&content, tagExplicit0) || !ci.Empty() || !content.ReadASN1(&sd, asn1.SEQUENCE) || !content.Empty() {
		return nil, malformed("ContentInfo")
	}
	if !ct.Equal(oidSignedData) { // RFC 6488 §3 (a)
		return nil, profilef("contentType %v is not signedData", ct)
	}
	var version int64
	if !sd.ReadASN1Int64WithTag(&version, asn1.INTEGER) || version != 3 { // (b)
		return nil, profilef("SignedData version must be 3")
	}
	var digestAlgs cryptobyte.String
	if !sd.ReadASN1(&digestAlgs, asn1.SET) {
		return nil, malformed("digestAlgorithms")
	}
	alg, err := readAlgorithm(&digestAlgs)
	if err != nil || !digestAlgs.Empty() || !alg.Equal(oidSHA256) { // (c)
		return nil, profilef("digestAlgorithms must be exactly SHA-256")
	}
	var eci, ecWrap cryptobyte.String
	if !sd.ReadASN1(&eci, asn1.SEQUENCE) || !eci.ReadASN1ObjectIdentifier(&o.ContentType) {
		return nil, malformed("encapContentInfo")
	}
	if !eci.ReadASN1(&ecWrap, tagExplicit0) || !ecWrap.ReadASN1Bytes(&o.EContent, asn1.OCTET_STRING) ||
		!ecWrap.Empty() || !eci.Empty() {
		return nil, profilef("eContent missing or not a primitive OCTET STRING")
	}
	var certs, certDER cryptobyte.String
	if !sd.ReadASN1(&certs, tagExplicit0) || !certs.ReadASN1Element(&certDER, asn1.SEQUENCE) || !certs.Empty() { // (d)
		return nil, profilef("certificates must hold exactly one EE certificate")
	}
	if sd.PeekASN1Tag(asn1.Tag(1).ContextSpecific().Constructed()) { // (e)
		return nil, profilef("crls present")
	}
	var signerInfos, si cryptobyte.String
	if !sd.ReadASN1(&signerInfos, asn1.SET) || !sd.Empty() || !signerInfos.ReadASN1(&si, asn1.SEQUENCE) || !signerInfos.Empty() {
		return nil, profilef("signerInfos must hold exactly one SignerInfo")
	}
	if o.EE, err = ParseCertificate(certDER); err != nil {
		return nil, fmt.Errorf("EE certificate: %w", err)
	}
	if o.EE.IsCA {
		return nil, profilef("embedded certificate is a CA certificate")
	}
	if err := parseSignerInfo(o, si); err != nil {
		return nil, err
	}
	return o, nil
}

func parseSignerInfo(o *SignedObject, si cryptobyte.String) error {
	var version int64
	if !si.ReadASN1Int64WithTag(&version, asn1.INTEGER) || version != 3 { // (f)
		return profilef("SignerInfo version must be 3")
	}
	var sid []byte
	if !si.ReadASN1Bytes(&sid, tagImplicit0) { // (g)
		return profilef("sid must be subjectKeyIdentifier")
	}
	if !bytes.Equal(sid, o.EE.SKI) {
		return profilef("sid is not the EE SKI")
	}
	alg, err := readAlgorithm(&si)
	if err != nil || !alg.Equal(oidSHA256) { // (h)
		return profilef("SignerInfo digestAlgorithm must be SHA-256")
	}
	var attrs cryptobyte.String
	if !si.ReadASN1(&attrs, tagExplicit0) { // (i)
		return profilef("signedAttrs missing")
	}
	if alg, err = readAlgorithm(&si); err != nil {
		return err
	}
	if !alg.Equal(oidRSAEncryption) && !alg.Equal(oidSHA256WithRSA) { // (k), RFC 7935 §2
		return profilef("signatureAlgorithm %v", alg)
	}
	var sig []byte
	if !si.ReadASN1Bytes(&sig, asn1.OCTET_STRING) {
		return malformed("signature")
	}
	if !si.Empty() { // (l)
		return profilef("unsignedAttrs or other data after the signature")
	}
	digest, err := parseSignedAttrs(o, attrs)
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(o.EContent); !bytes.Equal(digest, sum[:]) {
		return fmt.Errorf("%w: message-digest does not match eContent", ErrSignature)
	}
	// RFC 5652 §5.4: the signature covers the EXPLICIT SET OF encoding.
	var set cryptobyte.Builder
	set.AddASN1(asn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(attrs) })
	return verifyPKCS1(o.EE.PublicKey, set.BytesOrPanic(), sig)
}

// parseSignedAttrs enforces RFC 9589: only content-type, message-digest and
// signing-time, each once with one value, in DER SET OF order.
func parseSignedAttrs(o *SignedObject, attrs cryptobyte.String) ([]byte, error) {
	var digest []byte
	var haveCT, haveTime bool
	var prev []byte
	for !attrs.Empty() {
		var raw, attr, values cryptobyte.String
		var oid encasn1.ObjectIdentifier
		if !attrs.ReadASN1Element(&raw, asn1.SEQUENCE) {
			return nil, malformed("Attribute")
		}
		if prev != nil && bytes.Compare(prev, raw) >= 0 {
			return nil, profilef("signedAttrs repeated or not in DER SET OF order")
		}
		prev = raw
		outer := raw
		if !outer.ReadASN1(&attr, asn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, asn1.SET) || !attr.Empty() {
			return nil, malformed("Attribute")
		}
		switch {
		case oid.Equal(oidAttrContentType) && !haveCT:
			var v encasn1.ObjectIdentifier
			if !values.ReadASN1ObjectIdentifier(&v) || !values.Empty() {
				return nil, profilef("content-type attribute must hold one OID")
			}
			if !v.Equal(o.ContentType) { // (j)
				return nil, profilef("content-type attribute %v differs from eContentType %v", v, o.ContentType)
			}
			haveCT = true
		case oid.Equal(oidAttrDigest) && digest == nil:
			if !values.ReadASN1Bytes(&digest, asn1.OCTET_STRING) || !values.Empty() || digest == nil {
				return nil, profilef("message-digest attribute must hold one OCTET STRING")
			}
		case oid.Equal(oidAttrSigningTime) && !haveTime:
			t, err := readTime(&values)
			if err != nil || !values.Empty() {
				return nil, profilef("signing-time attribute must hold one Time")
			}
			o.SigningTime, haveTime = t, true
		default:
			return nil, profilef("signed attribute %v not allowed or repeated (RFC 9589)", oid)
		}
	}
	// RFC 9589 obliges issuers to add signing-time; objects made under the
	// original RFC 6488 §2.1.6.4.3 may lack it, so its absence is tolerated
	// (SigningTime stays zero).
	if !haveCT || digest == nil {
		return nil, profilef("signedAttrs need content-type and message-digest (RFC 6488 §2.1.6.4)")
	}
	return digest, nil
}
