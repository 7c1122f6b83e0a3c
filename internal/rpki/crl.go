package rpki

import (
	"bytes"
	"crypto"
	encasn1 "encoding/asn1"
	"fmt"
	"math/big"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// RevokedCert is one CRL entry: serial and revocationDate only (RFC 6487 §5).
type RevokedCert struct {
	Serial         *big.Int
	RevocationTime time.Time
}

// CRL is an RFC 6487 §5 certificate revocation list.
type CRL struct {
	Raw    []byte
	Issuer string
	// RawIssuer, when set, is written as the issuer Name instead of a Name
	// of the CommonName Issuer: the issuing certificate's RawSubject.
	RawIssuer              []byte
	ThisUpdate, NextUpdate time.Time
	Number                 *big.Int
	AKI                    []byte
	Revoked                []RevokedCert
	Signature              []byte
	RawTBS                 []byte
	// Lenient lists the departures from the profile that were accepted.
	Lenient []Leniency

	indexOnce sync.Once
	index     map[string]struct{} // revoked serials (IsRevoked)
}

// CreateCRL signs a v2 CRL with only the AKI and CRLNumber extensions
// (RFC 6487 §5). The AKI is computed from issuerKey; c.AKI is ignored.
func CreateCRL(c *CRL, issuerKey crypto.Signer) ([]byte, error) {
	issuerPub, err := signerPublic(issuerKey)
	if err != nil {
		return nil, err
	}
	switch {
	case c == nil:
		return nil, invalidf("CRL: nil CRL or key")
	case c.RawIssuer == nil && (c.Issuer == "" || !isPrintableString(c.Issuer)):
		return nil, invalidf("CRL: issuer must be a PrintableString")
	case c.Number == nil || c.Number.Sign() < 0 || c.Number.BitLen() > 159:
		return nil, invalidf("CRL: number must be non-negative and fit 20 octets")
	case !c.NextUpdate.After(c.ThisUpdate) || !encodableTime(c.ThisUpdate) || !encodableTime(c.NextUpdate):
		return nil, invalidf("CRL: nextUpdate must follow thisUpdate, both within 1950..9999")
	}
	for _, r := range c.Revoked {
		if r.Serial == nil || r.Serial.Sign() <= 0 || r.Serial.BitLen() > 159 || !encodableTime(r.RevocationTime) {
			return nil, invalidf("CRL: bad revoked serial")
		}
	}
	var tbs cryptobyte.Builder
	tbs.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1) // v2
		addAlgorithm(b, oidSHA256WithRSA, true)
		addNameOrRaw(b, c.Issuer, c.RawIssuer)
		addTime(b, c.ThisUpdate)
		addTime(b, c.NextUpdate)
		if len(c.Revoked) > 0 { // DER: the OPTIONAL list is omitted when empty
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, r := range c.Revoked {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1BigInt(r.Serial)
						addTime(b, r.RevocationTime)
					})
				}
			})
		}
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addExtension(b, oidExtAKI, false, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(tagImplicit0, func(b *cryptobyte.Builder) { b.AddBytes(SubjectKeyID(issuerPub)) })
					})
				})
				addExtension(b, oidExtCRLNumber, false, func(b *cryptobyte.Builder) { b.AddASN1BigInt(c.Number) })
			})
		})
	})
	tbsDER, err := tbs.Bytes()
	if err != nil {
		return nil, err
	}
	return signTBS(tbsDER, issuerKey)
}

// ParseCRL parses a DER CRL in the RFC 6487 §5 profile: v2, sha256WithRSA,
// exactly the AKI and CRLNumber extensions, entries without extensions.
func ParseCRL(der []byte) (*CRL, error) {
	if len(der) > maxCRLSize {
		return nil, fmt.Errorf("%w: CRL of %d bytes", ErrTooLarge, len(der))
	}
	c := &CRL{Raw: der}
	in := cryptobyte.String(der)
	var outer, tbsRaw, tbs cryptobyte.String
	if !in.ReadASN1(&outer, asn1.SEQUENCE) || !in.Empty() || !outer.ReadASN1Element(&tbsRaw, asn1.SEQUENCE) {
		return nil, malformed("CertificateList")
	}
	c.RawTBS = tbsRaw
	alg, err := readAlgorithm(&outer)
	if err != nil {
		return nil, err
	}
	if !alg.Equal(oidSHA256WithRSA) {
		return nil, profilef("CRL signatureAlgorithm %v", alg)
	}
	if c.Signature, err = readOctetAlignedBitString(&outer); err != nil || !outer.Empty() {
		return nil, malformed("CRL signature")
	}
	if !tbsRaw.ReadASN1(&tbs, asn1.SEQUENCE) {
		return nil, malformed("TBSCertList")
	}
	var version int64
	if !tbs.ReadASN1Int64WithTag(&version, asn1.INTEGER) || version != 1 {
		return nil, profilef("CRL version must be v2 (RFC 6487 §5)")
	}
	if alg, err = readAlgorithm(&tbs); err != nil {
		return nil, err
	}
	if !alg.Equal(oidSHA256WithRSA) {
		return nil, profilef("CRL TBS signature %v", alg)
	}
	if c.Issuer, _, err = readName(&tbs); err != nil {
		return nil, fmt.Errorf("CRL issuer: %w", err)
	}
	if c.ThisUpdate, err = readTime(&tbs); err != nil {
		return nil, err
	}
	if !tbs.PeekASN1Tag(asn1.UTCTime) && !tbs.PeekASN1Tag(asn1.GeneralizedTime) {
		return nil, profilef("CRL nextUpdate missing")
	}
	if c.NextUpdate, err = readTime(&tbs); err != nil {
		return nil, err
	}
	if !c.NextUpdate.After(c.ThisUpdate) {
		return nil, profilef("CRL nextUpdate not after thisUpdate")
	}
	if tbs.PeekASN1Tag(asn1.SEQUENCE) {
		if err := parseRevoked(c, &tbs); err != nil {
			return nil, err
		}
	}
	var exts cryptobyte.String
	if !tbs.ReadASN1(&exts, tagExplicit0) || !tbs.Empty() {
		return nil, profilef("CRL extensions missing or trailing data")
	}
	if err := parseCRLExtensions(c, exts); err != nil {
		return nil, err
	}
	return c, nil
}

func parseCRLExtensions(c *CRL, exts cryptobyte.String) error {
	var list cryptobyte.String
	if !exts.ReadASN1(&list, asn1.SEQUENCE) || !exts.Empty() {
		return malformed("crlExtensions")
	}
	for !list.Empty() {
		var ext, value cryptobyte.String
		var oid encasn1.ObjectIdentifier
		if !list.ReadASN1(&ext, asn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&oid) {
			return malformed("CRL extension")
		}
		if ext.PeekASN1Tag(asn1.BOOLEAN) {
			return profilef("CRL extension %v marked critical", oid)
		}
		if !ext.ReadASN1(&value, asn1.OCTET_STRING) || !ext.Empty() {
			return malformed("CRL extension value")
		}
		switch {
		case oid.Equal(oidExtAKI) && c.AKI == nil:
			var seq cryptobyte.String
			if !value.ReadASN1(&seq, asn1.SEQUENCE) || !value.Empty() || !seq.ReadASN1Bytes(&c.AKI, tagImplicit0) || !seq.Empty() {
				return profilef("CRL AKI must hold keyIdentifier only")
			}
		case oid.Equal(oidExtCRLNumber) && c.Number == nil:
			n, err := readSerial(&value, "CRL number", true)
			if err != nil {
				return err
			}
			if !value.Empty() {
				return malformed("CRL number trailing data")
			}
			c.Number = n
		default:
			return profilef("CRL extension %v not allowed or repeated (RFC 6487 §5)", oid)
		}
	}
	if c.AKI == nil || c.Number == nil {
		return profilef("CRL needs AKI and CRLNumber (RFC 6487 §5)")
	}
	return nil
}

// CheckSignatureFrom verifies the CRL was issued by issuer's key.
func (c *CRL) CheckSignatureFrom(issuer *Certificate) error {
	if issuer == nil || issuer.PublicKey == nil {
		return fmt.Errorf("%w: no issuer key", ErrSignature)
	}
	if c.Issuer != issuer.Subject {
		return profilef("CRL issuer %q is not %q", c.Issuer, issuer.Subject)
	}
	if !bytes.Equal(c.AKI, issuer.SKI) {
		return profilef("CRL AKI is not the issuer SKI")
	}
	return verifyPKCS1(issuer.PublicKey, c.RawTBS, c.Signature)
}

// IsRevoked reports whether serial is listed. The first call indexes the
// list, so that checking every object of a publication point against a
// long CRL stays linear; it is safe for concurrent use.
func (c *CRL) IsRevoked(serial *big.Int) bool {
	c.indexOnce.Do(func() {
		c.index = make(map[string]struct{}, len(c.Revoked))
		for _, r := range c.Revoked {
			c.index[string(r.Serial.Bytes())+signByte(r.Serial)] = struct{}{}
		}
	})
	_, ok := c.index[string(serial.Bytes())+signByte(serial)]
	return ok
}

func signByte(n *big.Int) string {
	if n.Sign() < 0 {
		return "-"
	}
	return ""
}

// parseRevoked reads revokedCertificates: entries without extensions
// (RFC 6487 §5); an empty list is accepted as a leniency.
func parseRevoked(c *CRL, tbs *cryptobyte.String) error {
	var list cryptobyte.String
	if !tbs.ReadASN1(&list, asn1.SEQUENCE) {
		return malformed("revokedCertificates")
	}
	if list.Empty() {
		c.Lenient = append(c.Lenient, LenientCRLEmptyList)
	}
	for !list.Empty() {
		var e cryptobyte.String
		if !list.ReadASN1(&e, asn1.SEQUENCE) {
			return malformed("CRL entry")
		}
		var r RevokedCert
		var err error
		if r.Serial, err = readSerial(&e, "revoked serial", false); err != nil {
			return err
		}
		if r.RevocationTime, err = readTime(&e); err != nil {
			return err
		}
		if !e.Empty() {
			return profilef("CRL entry extensions (RFC 6487 §5)")
		}
		c.Revoked = append(c.Revoked, r)
	}
	return nil
}
