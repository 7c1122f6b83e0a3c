package updown

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	encasn1 "encoding/asn1"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/roadrpki/road/internal/rpki"
)

// Signing-time bounds of Unwrap. RFC 6492 §3.1.2 (5) requires only that
// the signing-time not go back (replay); §4 lets peers' clocks differ
// arbitrarily. road bounds it on both sides as well, so that a captured
// message cannot be replayed to a peer that has not seen a later one:
//   - MaxFutureSkew: a signing-time later than now by more than this is
//     refused (updown-cms-signing-time);
//   - MaxAge: a signing-time earlier than now by more than this is refused
//     (updown-cms-signing-time). Up-down and publication are synchronous
//     HTTP exchanges, so a message is normally seconds old;
//   - a signing-time before lastSigningTime, the latest accepted from the
//     same peer, is refused (updown-cms-replay); an equal one is accepted,
//     as §3.1.2 (5) says "greater than or equal".
const (
	MaxFutureSkew = 5 * time.Minute
	MaxAge        = 1 * time.Hour
)

// Unwrapped is a verified CMS message.
type Unwrapped struct {
	XML         []byte
	SigningTime time.Time
	EE          *x509.Certificate
	// BER is true when the message was BER, not DER (RFC 6492 §3.1.2 (1l)
	// asks for DER; rpkid and others send BER). It was decoded as DER.
	BER bool
	// StaleCRL is true when the identity's CRL was past its nextUpdate.
	// RFC 6492 §3.1.2 (4) asks for a current CRL, but AFRINIC's responses
	// carry one that expired 18 months before (afrinic-response.der), so a
	// stale CRL is accepted: it is still verified with the identity and
	// still checked for the EE serial; only its freshness is waived.
	StaleCRL bool
}

type signedData struct {
	eContentType encasn1.ObjectIdentifier
	content      []byte
	certs        [][]byte
	crls         [][]byte
	signerInfo   cryptobyte.String
}

// Unwrap parses and verifies an RFC 6492 §3.1 CMS message (also the RFC
// 8181 §2 wrapper): the profile of §3.1.1, the signature with the EE
// certificate (§3.1.2 (2)), the EE certificate issued by trustedID and
// valid at now (3), the CRL issued by trustedID and not listing the EE
// certificate (4; see StaleCRL), and the signing-time bounds above (5).
// It does not parse the XML.
func Unwrap(der []byte, trustedID *x509.Certificate, now, lastSigningTime time.Time) (*Unwrapped, error) {
	if len(der) > MaxMessageSize {
		return nil, fail(ReasonTooLarge, "CMS message of %d bytes over %d", len(der), MaxMessageSize)
	}
	norm, ber, err := rpki.DERFromBER(der)
	if err != nil {
		return nil, fail(ReasonCMSMalformed, "not BER: %v", err)
	}
	sd, err := parseSignedData(norm)
	if err != nil {
		return nil, err
	}
	u := &Unwrapped{XML: sd.content, BER: ber}
	if u.EE, u.SigningTime, err = verifySigner(sd); err != nil {
		return nil, err
	}
	if u.StaleCRL, err = checkIdentity(u.EE, sd.crls, trustedID, now); err != nil {
		return nil, err
	}
	if err := checkSigningTime(u.SigningTime, now, lastSigningTime); err != nil {
		return nil, err
	}
	return u, nil
}

func malformedf(format string, args ...any) error { return fail(ReasonCMSMalformed, format, args...) }

// parseSignedData reads ContentInfo and SignedData (§3.1.1, §3.1.2 (1a-d,
// g, j)).
func parseSignedData(der []byte) (*signedData, error) {
	in := cryptobyte.String(der)
	var ci, content, sd, algs, eci, ecWrap, certs, crls, signerInfos cryptobyte.String
	var ct encasn1.ObjectIdentifier
	var version int64
	if !in.ReadASN1(&ci, asn1.SEQUENCE) || !in.Empty() || !ci.ReadASN1ObjectIdentifier(&ct) ||
		!ci.ReadASN1(&content, tagExplicit0) || !ci.Empty() || !content.ReadASN1(&sd, asn1.SEQUENCE) || !content.Empty() {
		return nil, malformedf("not a CMS ContentInfo")
	}
	if !ct.Equal(oidSignedData) { // (1a)
		return nil, malformedf("contentType %v is not signedData", ct)
	}
	if !sd.ReadASN1Int64WithTag(&version, asn1.INTEGER) || version != 3 { // (1b)
		return nil, malformedf("SignedData version must be 3")
	}
	if !sd.ReadASN1(&algs, asn1.SET) {
		return nil, malformedf("digestAlgorithms")
	}
	if alg, ok := readAlgorithm(&algs); !ok || !algs.Empty() || !alg.Equal(oidSHA256) { // (1j), §3.1.1.2
		return nil, malformedf("digestAlgorithms must be exactly SHA-256")
	}
	out := &signedData{}
	if !sd.ReadASN1(&eci, asn1.SEQUENCE) || !eci.ReadASN1ObjectIdentifier(&out.eContentType) ||
		!eci.ReadASN1(&ecWrap, tagExplicit0) || !eci.Empty() ||
		!ecWrap.ReadASN1Bytes(&out.content, asn1.OCTET_STRING) || !ecWrap.Empty() {
		return nil, malformedf("encapContentInfo without an OCTET STRING eContent")
	}
	if !out.eContentType.Equal(OIDContentXML) { // (1g), §3.1.1.3.1
		return nil, fail(ReasonCMSContentType, "eContentType %v is not id-ct-xml", out.eContentType)
	}
	if !sd.ReadASN1(&certs, tagExplicit0) || certs.Empty() { // (1c), §3.1.1.4
		return nil, malformedf("certificates missing")
	}
	for !certs.Empty() {
		var c cryptobyte.String
		if !certs.ReadASN1Element(&c, asn1.SEQUENCE) {
			return nil, malformedf("certificates: not a Certificate")
		}
		out.certs = append(out.certs, c)
	}
	if !sd.ReadASN1(&crls, tagExplicit1) || crls.Empty() { // (1d), §3.1.1.5
		return nil, fail(ReasonCMSCRL, "crls missing")
	}
	for !crls.Empty() {
		var c cryptobyte.String
		if !crls.ReadASN1Element(&c, asn1.SEQUENCE) {
			return nil, malformedf("crls: not a CertificateList")
		}
		out.crls = append(out.crls, c)
	}
	if !sd.ReadASN1(&signerInfos, asn1.SET) || !sd.Empty() ||
		!signerInfos.ReadASN1(&out.signerInfo, asn1.SEQUENCE) || !signerInfos.Empty() {
		return nil, malformedf("signerInfos must hold exactly one SignerInfo")
	}
	return out, nil
}

func readAlgorithm(s *cryptobyte.String) (encasn1.ObjectIdentifier, bool) {
	var seq cryptobyte.String
	var oid encasn1.ObjectIdentifier
	if !s.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil, false
	}
	var null cryptobyte.String
	if !seq.Empty() && (!seq.ReadASN1(&null, asn1.NULL) || !seq.Empty()) { // parameters: absent or NULL
		return nil, false
	}
	return oid, true
}

// verifySigner checks the SignerInfo (§3.1.1.6, §3.1.2 (1c, e, f, h, i, k),
// (2)) and returns the EE certificate and the signing-time.
func verifySigner(sd *signedData) (*x509.Certificate, time.Time, error) {
	si := sd.signerInfo
	var version int64
	var sid, sig []byte
	var attrs cryptobyte.String
	if !si.ReadASN1Int64WithTag(&version, asn1.INTEGER) || version != 3 { // (1e)
		return nil, time.Time{}, malformedf("SignerInfo version must be 3")
	}
	if !si.ReadASN1Bytes(&sid, tagImplicit0) { // §3.1.1.6.2
		return nil, time.Time{}, malformedf("sid must be a subjectKeyIdentifier")
	}
	if alg, ok := readAlgorithm(&si); !ok || !alg.Equal(oidSHA256) { // (1j)
		return nil, time.Time{}, malformedf("SignerInfo digestAlgorithm must be SHA-256")
	}
	if !si.ReadASN1(&attrs, tagExplicit0) { // (1f)
		return nil, time.Time{}, malformedf("signedAttrs missing")
	}
	alg, ok := readAlgorithm(&si)
	if !ok || (!alg.Equal(oidRSAEncryption) && !alg.Equal(oidSHA256WithRSA)) { // (1k), RFC 6485 §2
		return nil, time.Time{}, malformedf("signatureAlgorithm must be RSA")
	}
	if !si.ReadASN1Bytes(&sig, asn1.OCTET_STRING) || !si.Empty() { // (1h)
		return nil, time.Time{}, malformedf("unsignedAttrs or data after the signature")
	}
	ee, err := findEE(sd.certs, sid)
	if err != nil {
		return nil, time.Time{}, err
	}
	digest, signingTime, err := parseAttrs(attrs)
	if err != nil {
		return nil, time.Time{}, err
	}
	if sum := sha256.Sum256(sd.content); !bytes.Equal(digest, sum[:]) {
		return nil, time.Time{}, fail(ReasonCMSBadSignature, "message-digest does not match the content")
	}
	// RFC 5652 §5.4: the signature covers the DER of the SET OF.
	var set cryptobyte.Builder
	set.AddASN1(asn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(attrs) })
	h := sha256.Sum256(set.BytesOrPanic())
	pub, ok := ee.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, time.Time{}, malformedf("EE key is not RSA")
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil { // (2)
		return nil, time.Time{}, fail(ReasonCMSBadSignature, "signature does not verify with the EE key")
	}
	return ee, signingTime, nil
}

// findEE returns the certificate whose SKI is sid; it must not be a CA
// (§3.1.1.4, (1c)).
func findEE(certs [][]byte, sid []byte) (*x509.Certificate, error) {
	for _, der := range certs {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, malformedf("certificate: %v", err)
		}
		if bytes.Equal(c.SubjectKeyId, sid) {
			if c.IsCA {
				return nil, malformedf("the signer's certificate is a CA certificate")
			}
			return c, nil
		}
	}
	return nil, malformedf("no certificate with the sid's subjectKeyIdentifier")
}
