package updown

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	encasn1 "encoding/asn1"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/roadrpki/road/internal/rpki"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers of the RFC 6492 §3.1 CMS profile.
var (
	OIDContentXML         = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 28} // id-ct-xml, §3.1.1.3.1
	oidSignedData         = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256             = encasn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption      = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA      = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidAttrContentType    = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrDigest         = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime    = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidAttrBinarySignTime = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 46} // RFC 6019
)

var (
	tagExplicit0 = asn1.Tag(0).ContextSpecific().Constructed()
	tagExplicit1 = asn1.Tag(1).ContextSpecific().Constructed()
	tagImplicit0 = asn1.Tag(0).ContextSpecific()
)

// Signer is a BPKI identity that signs messages (RFC 6492 §3.1, RFC 8183
// §5.2.1): its self-signed identity certificate and key. Each message gets
// a fresh one-time EE key and certificate issued by the identity, and the
// identity's CRL, as RFC 6492 §3.1.1.4 and §3.1.1.5 require.
type Signer struct {
	ID *x509.Certificate
	// Key is the identity's private key: an *rsa.PrivateKey, or a key kept
	// elsewhere (an HSM, internal/signer) that signs SHA-256 with PKCS#1 v1.5.
	Key crypto.Signer
	// Now is the clock for the signing-time and the validity of the EE
	// certificate and CRL.
	Now func() time.Time
}

// eeLifetime is the validity of the one-time EE certificate and of the CRL:
// long enough for the exchange, short enough that a captured message is
// soon useless. The notBefore is backdated by the same amount for peers
// whose clocks lag.
const eeLifetime = 15 * time.Minute

// Wrap signs xml as RFC 6492 §3.1 CMS signed-data: eContentType id-ct-xml,
// one SHA-256 digest, the EE certificate, the identity's CRL, the signed
// attributes content-type, message-digest and signing-time, RSA PKCS#1 v1.5
// (RFC 6485 §2, §3). The encoding is DER.
func Wrap(xml []byte, s *Signer) ([]byte, error) {
	if len(xml) > MaxMessageSize {
		return nil, fail(ReasonTooLarge, "message of %d bytes over %d", len(xml), MaxMessageSize)
	}
	if s == nil || s.ID == nil || s.Key == nil || s.Now == nil {
		return nil, fail(ReasonCMSWrongIdentity, "a signer needs an identity certificate, its key and a clock")
	}
	if pub, ok := s.Key.Public().(*rsa.PublicKey); !s.ID.IsCA || !ok || !pub.Equal(s.ID.PublicKey) {
		return nil, fail(ReasonCMSWrongIdentity, "the identity certificate must be a CA certificate for the signer's key")
	}
	now := s.Now().UTC().Truncate(time.Second)
	eeKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	eeDER, ski, err := issueEE(s, &eeKey.PublicKey, now)
	if err != nil {
		return nil, err
	}
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(now.Unix()), ThisUpdate: now.Add(-eeLifetime), NextUpdate: now.Add(eeLifetime),
	}, s.ID, s.Key)
	if err != nil {
		return nil, err
	}
	attrs, err := rpki.SignedAttrs(OIDContentXML, xml, now) // sorted as a DER SET OF (§3.1.2 (1l))
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(attrs)
	sig, err := rsa.SignPKCS1v15(rand.Reader, eeKey, crypto.SHA256, digest[:])
	if err != nil {
		return nil, err
	}
	attrBody := attrs[setHeaderLen(attrs):]
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(3) // §3.1.1.1
				b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, oidSHA256) })
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(OIDContentXML)
					b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1OctetString(xml) })
				})
				b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddBytes(eeDER) })  // certificates
				b.AddASN1(tagExplicit1, func(b *cryptobyte.Builder) { b.AddBytes(crlDER) }) // crls
				b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(3) // §3.1.1.6.1
						b.AddASN1(tagImplicit0, func(b *cryptobyte.Builder) { b.AddBytes(ski) })
						addAlgorithm(b, oidSHA256)
						b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddBytes(attrBody) })
						addAlgorithm(b, oidRSAEncryption)
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return b.Bytes()
}

// issueEE makes the one-time EE certificate for pub, issued by the identity.
func issueEE(s *Signer, pub *rsa.PublicKey, now time.Time) (der, ski []byte, err error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       encasn1.BitString
	}
	if _, err := encasn1.Unmarshal(pubDER, &spki); err != nil {
		return nil, nil, err
	}
	sum := sha1.Sum(spki.Key.Bytes) // RFC 5280 §4.2.1.2 method (1)
	ski = sum[:]
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject:      pkix.Name{CommonName: hexString(ski)},
		NotBefore:    now.Add(-eeLifetime),
		NotAfter:     now.Add(eeLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		SubjectKeyId: ski,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, s.ID, pub, s.Key)
	return der, ski, err
}

func hexString(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// setHeaderLen is the length of the tag and length octets of a DER element.
func setHeaderLen(der []byte) int {
	if der[1] < 0x80 {
		return 2
	}
	return 2 + int(der[1]&0x7f)
}

func addAlgorithm(b *cryptobyte.Builder, oid encasn1.ObjectIdentifier) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if oid.Equal(oidRSAEncryption) {
			b.AddASN1NULL() // RFC 4055 §2.1 / RFC 7935 §2
		}
	})
}
