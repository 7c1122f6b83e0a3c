package rpki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// SIA holds the Subject Information Access URIs (RFC 6487 §4.8.8):
// caRepository, rpkiManifest and rpkiNotify on CA certificates, signedObject
// on EE certificates.
type SIA struct{ CARepository, Manifest, Notify, SignedObject string }

// Certificate is an RFC 6487 resource certificate.
type Certificate struct {
	Raw, RawTBS, RawSubjectPublicKeyInfo []byte
	// RawSubject is the subject Name as encoded (set by ParseCertificate).
	// What a CA issues names its issuer with these bytes: a parent may give
	// a name with a serialNumber beside the CommonName (RFC 6487 §4.5;
	// ARIN does), which Subject only summarises as "CN/serial".
	RawSubject []byte

	SerialNumber        *big.Int
	Issuer, Subject     string // CommonName
	NotBefore, NotAfter time.Time
	PublicKey           *rsa.PublicKey
	SKI, AKI            []byte // AKI nil when absent (self-signed)
	IsCA                bool
	CRLDP               string // rsync URI; empty on self-signed
	AIA                 string // rsync caIssuers URI; empty on self-signed
	SIA                 SIA
	IP                  *IPResources
	AS                  *ASResources
	Signature           []byte
}

// SubjectKeyID is the RFC 6487 §4.8.2 key identifier: SHA-1 over the DER
// RSAPublicKey, the contents of the SPKI subjectPublicKey BIT STRING.
func SubjectKeyID(pub *rsa.PublicKey) []byte {
	h := sha1.Sum(marshalRSAPublicKey(pub))
	return h[:]
}

// KeyFileName is the RFC 6481 §2.2 file name derived from the key: the
// unpadded base64url of the SHA-1 key hash (27 characters) followed by ext
// (".mft", ".crl", ".cer").
func KeyFileName(pub *rsa.PublicKey, ext string) string {
	return base64.RawURLEncoding.EncodeToString(SubjectKeyID(pub)) + ext
}

func marshalRSAPublicKey(pub *rsa.PublicKey) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(pub.N)
		b.AddASN1Int64(int64(pub.E))
	})
	return b.BytesOrPanic()
}

// addSPKI writes SubjectPublicKeyInfo with rsaEncryption (RFC 7935 §3).
func addSPKI(b *cryptobyte.Builder, pub *rsa.PublicKey) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addAlgorithm(b, oidRSAEncryption, true)
		addBitString(b, marshalRSAPublicKey(pub), 0)
	})
}

// CreateCertificate issues a resource certificate for tmpl.PublicKey signed
// by issuerKey. It computes the SKI; the AKI, CRLDP and AIA are set unless
// the certificate is self-signed (issuerKey's public key is tmpl.PublicKey).
// Extensions follow RFC 6487 §4.8 in its order.
func CreateCertificate(tmpl *Certificate, issuerName string, issuerKey crypto.Signer) ([]byte, error) {
	return createCertificate(tmpl, issuerName, nil, issuerKey)
}

// CreateCertificateUnder is CreateCertificate with the issuer named exactly
// as issuer's certificate names its subject (RFC 5280 §4.1.2.4: the issuer
// field must match the issuing certificate's subject), whatever attributes
// that name holds.
func CreateCertificateUnder(tmpl *Certificate, issuer *Certificate, issuerKey crypto.Signer) ([]byte, error) {
	if issuer == nil {
		return nil, invalidf("certificate: issuer certificate required")
	}
	return createCertificate(tmpl, issuer.Subject, issuer.RawSubject, issuerKey)
}

func createCertificate(tmpl *Certificate, issuerName string, rawIssuer []byte, issuerKey crypto.Signer) ([]byte, error) {
	if rawIssuer != nil {
		issuerName = "x" // checked as bytes below, not as a CommonName
	}
	issuerPub, err := signerPublic(issuerKey)
	if err != nil {
		return nil, err
	}
	if err := checkTemplate(tmpl, issuerName); err != nil {
		return nil, err
	}
	selfSigned := issuerPub.Equal(tmpl.PublicKey)
	if !selfSigned && (tmpl.CRLDP == "" || tmpl.AIA == "") {
		return nil, invalidf("certificate: CRLDP and AIA required unless self-signed")
	}
	var exts cryptobyte.Builder
	if err := addCertExtensions(&exts, tmpl, selfSigned, issuerPub); err != nil {
		return nil, err
	}
	extDER, err := exts.Bytes()
	if err != nil {
		return nil, err
	}
	var tbs cryptobyte.Builder
	tbs.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Int64(2) }) // RFC 6487 §4.1: v3
		b.AddASN1BigInt(tmpl.SerialNumber)
		addAlgorithm(b, oidSHA256WithRSA, true)
		addNameOrRaw(b, issuerName, rawIssuer)
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addTime(b, tmpl.NotBefore)
			addTime(b, tmpl.NotAfter)
		})
		addName(b, tmpl.Subject)
		addSPKI(b, tmpl.PublicKey)
		b.AddASN1(tagExplicit3, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(extDER) })
		})
	})
	tbsDER, err := tbs.Bytes()
	if err != nil {
		return nil, err
	}
	return signTBS(tbsDER, issuerKey)
}

// signerPublic returns the RSA public key of an issuer's signer (an
// *rsa.PrivateKey, or a key kept elsewhere such as in an HSM).
func signerPublic(key crypto.Signer) (*rsa.PublicKey, error) {
	if key == nil {
		return nil, invalidf("issuer key required")
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, invalidf("issuer key is not RSA (RFC 7935 §3)")
	}
	return pub, nil
}

// signTBS wraps a TBSCertificate or TBSCertList with its sha256WithRSA
// signature (RFC 7935 §2): PKCS#1 v1.5 over the SHA-256 digest.
func signTBS(tbsDER []byte, key crypto.Signer) ([]byte, error) {
	digest := sha256.Sum256(tbsDER)
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbsDER)
		addAlgorithm(b, oidSHA256WithRSA, true)
		addBitString(b, sig, 0)
	})
	return b.Bytes()
}

func checkTemplate(t *Certificate, issuerName string) error {
	switch {
	case t == nil || t.PublicKey == nil:
		return invalidf("certificate: template, public key and issuer key required")
	case t.SerialNumber == nil || t.SerialNumber.Sign() <= 0 || t.SerialNumber.BitLen() > 159:
		return invalidf("certificate: serial must be positive and fit 20 octets")
	case t.Subject == "" || issuerName == "" || !isPrintableString(t.Subject) || !isPrintableString(issuerName):
		return invalidf("certificate: names must be non-empty PrintableStrings")
	case !t.NotAfter.After(t.NotBefore) || !encodableTime(t.NotBefore) || !encodableTime(t.NotAfter):
		return invalidf("certificate: validity must be increasing and within 1950..9999")
	case t.IP == nil && t.AS == nil:
		return invalidf("certificate: no IP or AS resources (RFC 6487 §4.8.10)")
	case t.IsCA && (t.SIA.CARepository == "" || t.SIA.Manifest == "" || t.SIA.SignedObject != ""):
		return invalidf("certificate: CA SIA needs caRepository and rpkiManifest only")
	case !t.IsCA && (t.SIA.SignedObject == "" || t.SIA.CARepository != "" || t.SIA.Manifest != "" || t.SIA.Notify != ""):
		return invalidf("certificate: EE SIA needs signedObject only")
	}
	for _, u := range []string{t.CRLDP, t.AIA, t.SIA.CARepository, t.SIA.Manifest, t.SIA.SignedObject} {
		if u != "" && !strings.HasPrefix(u, "rsync://") {
			return invalidf("certificate: %q is not an rsync URI", u)
		}
	}
	if t.SIA.Notify != "" && !strings.HasPrefix(t.SIA.Notify, "https://") {
		return invalidf("certificate: rpkiNotify %q is not an https URI", t.SIA.Notify)
	}
	return nil
}

func addExtension(b *cryptobyte.Builder, oid []int, critical bool, value func(*cryptobyte.Builder)) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if critical {
			b.AddASN1Boolean(true) // DER omits the DEFAULT FALSE
		}
		b.AddASN1(asn1.OCTET_STRING, value)
	})
}

func addAccessDescription(b *cryptobyte.Builder, method []int, uri string) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(method)
		b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte(uri)) })
	})
}

func addCertExtensions(b *cryptobyte.Builder, t *Certificate, selfSigned bool, issuerPub *rsa.PublicKey) error {
	if t.IsCA { // RFC 6487 §4.8.1: cA TRUE, no pathLenConstraint
		addExtension(b, oidExtBasicConstraints, true, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Boolean(true) })
		})
	}
	addExtension(b, oidExtSKI, false, func(b *cryptobyte.Builder) { b.AddASN1OctetString(SubjectKeyID(t.PublicKey)) })
	if !selfSigned { // RFC 6487 §4.8.3: keyIdentifier only
		addExtension(b, oidExtAKI, false, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(tagImplicit0, func(b *cryptobyte.Builder) { b.AddBytes(SubjectKeyID(issuerPub)) })
			})
		})
	}
	// RFC 6487 §4.8.4: keyCertSign|cRLSign (bits 5,6) or digitalSignature (bit 0).
	addExtension(b, oidExtKeyUsage, true, func(b *cryptobyte.Builder) {
		if t.IsCA {
			addBitString(b, []byte{0x06}, 1)
		} else {
			addBitString(b, []byte{0x80}, 7)
		}
	})
	if !selfSigned {
		// RFC 6487 §4.8.6: one DistributionPoint, fullName only.
		addExtension(b, oidExtCRLDP, false, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
						b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
							b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte(t.CRLDP)) })
						})
					})
				})
			})
		})
		addExtension(b, oidExtAIA, false, func(b *cryptobyte.Builder) { // RFC 6487 §4.8.7
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { addAccessDescription(b, oidADCAIssuers, t.AIA) })
		})
	}
	addExtension(b, oidExtSIA, false, func(b *cryptobyte.Builder) { // RFC 6487 §4.8.8
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if t.IsCA {
				addAccessDescription(b, oidADCARepository, t.SIA.CARepository)
				addAccessDescription(b, oidADManifest, t.SIA.Manifest)
				if t.SIA.Notify != "" {
					addAccessDescription(b, oidADNotify, t.SIA.Notify)
				}
				return
			}
			addAccessDescription(b, oidADSignedObject, t.SIA.SignedObject)
		})
	})
	addExtension(b, oidExtCertPolicies, true, func(b *cryptobyte.Builder) { // RFC 6487 §4.8.9
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidPolicyRPKI) })
		})
	})
	if t.IP != nil {
		der, err := t.IP.Encode()
		if err != nil {
			return err
		}
		addExtension(b, oidExtIPAddrBlocks, true, func(b *cryptobyte.Builder) { b.AddBytes(der) })
	}
	if t.AS != nil {
		der, err := t.AS.Encode()
		if err != nil {
			return err
		}
		addExtension(b, oidExtASIdentifiers, true, func(b *cryptobyte.Builder) { b.AddBytes(der) })
	}
	return nil
}
