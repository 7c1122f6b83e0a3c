package rpki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	encasn1 "encoding/asn1"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Content types of RPKI signed objects (RFC 6488 §2.1.3.1).
var (
	OIDROA      = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 24} // RFC 9582 §3
	OIDManifest = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 26} // RFC 9286 §4.1
	OIDASPA     = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 49} // draft-ietf-sidrops-aspa-profile
)

var (
	oidSignedData      = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidAttrContentType = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrDigest      = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
)

const maxSignedObjectSize = 128 << 20 // a manifest of 10^6 entries fits

// SignedObject is a parsed RFC 6488 CMS signed object.
type SignedObject struct {
	Raw         []byte
	ContentType encasn1.ObjectIdentifier
	EContent    []byte
	EE          *Certificate
	SigningTime time.Time
	// Lenient lists the departures from the profile that were accepted.
	Lenient []Leniency
}

// SignObject wraps eContent in an RFC 6488 SignedData signed by eeKey, whose
// certificate eeCertDER is embedded. signedAttrs are content-type,
// message-digest and signing-time (RFC 9589), sorted as a DER SET OF.
func SignObject(contentType encasn1.ObjectIdentifier, eContent, eeCertDER []byte, eeKey *rsa.PrivateKey, signingTime time.Time) ([]byte, error) {
	if eeKey == nil || len(contentType) == 0 || !encodableTime(signingTime) {
		return nil, invalidf("sign: key, content type and a signing time within 1950..9999 required")
	}
	ee, err := ParseCertificate(eeCertDER)
	if err != nil {
		return nil, fmt.Errorf("sign: EE certificate: %w", err)
	}
	if !ee.PublicKey.Equal(&eeKey.PublicKey) || ee.IsCA {
		return nil, invalidf("sign: the certificate must be an EE certificate for the signing key")
	}
	attrs, err := SignedAttrs(contentType, eContent, signingTime)
	if err != nil {
		return nil, err
	}
	// RFC 5652 §5.4: the signature covers the DER of the SET OF (tag 0x31).
	digest := sha256.Sum256(attrs)
	sig, err := rsa.SignPKCS1v15(rand.Reader, eeKey, crypto.SHA256, digest[:])
	if err != nil {
		return nil, err
	}
	var attrBody cryptobyte.String
	if in := cryptobyte.String(attrs); !in.ReadASN1(&attrBody, asn1.SET) {
		return nil, malformed("signedAttrs")
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(3)
				b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, oidSHA256, false) })
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(contentType)
					b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1OctetString(eContent) })
				})
				b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddBytes(eeCertDER) }) // [0] IMPLICIT SET OF
				b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(3)
						b.AddASN1(tagImplicit0, func(b *cryptobyte.Builder) { b.AddBytes(ee.SKI) })
						addAlgorithm(b, oidSHA256, false)
						b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddBytes(attrBody) })
						addAlgorithm(b, oidRSAEncryption, true) // RFC 7935 §2
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return b.Bytes()
}

// SignedAttrs returns the DER SET OF the three CMS signed attributes RPKI
// objects (RFC 9589) and the up-down/publication protocols (RFC 6492
// §3.1.1.6.4) carry: content-type, message-digest and signing-time.
func SignedAttrs(contentType encasn1.ObjectIdentifier, eContent []byte, signingTime time.Time) ([]byte, error) {
	digest := sha256.Sum256(eContent)
	enc := func(oid encasn1.ObjectIdentifier, value func(*cryptobyte.Builder)) []byte {
		var b cryptobyte.Builder
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(asn1.SET, value)
		})
		return b.BytesOrPanic()
	}
	list := [][]byte{
		enc(oidAttrContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(contentType) }),
		enc(oidAttrDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest[:]) }),
		enc(oidAttrSigningTime, func(b *cryptobyte.Builder) { addTime(b, signingTime) }),
	}
	slices.SortFunc(list, bytes.Compare) // X.690 §11.6: SET OF sorted by encoding
	var b cryptobyte.Builder
	b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range list {
			b.AddBytes(a)
		}
	})
	return b.Bytes()
}
