package oob

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"strings"
)

// maxBase64 is the schema's bound on a decoded base64 field (RFC 8183
// Appendix A: base64 maxLength 512000).
const maxBase64 = 512000

// Identity is a BPKI trust anchor: the X.509 CA certificate of a party,
// which signs the EE certificates of its CMS messages (RFC 8183 §5.1).
type Identity struct {
	DER  []byte
	Cert *x509.Certificate
	// SKI is the certificate's Subject Key Identifier extension as
	// written; nil when the certificate has none.
	SKI []byte
	// KeyID is the SHA-1 of the subjectPublicKey bits (RFC 5280
	// §4.2.1.2 method 1), computed here whatever the extension says: Go's
	// x509 no longer computes SKIs this way when it creates certificates
	// (since Go 1.25 a truncated SHA-256), so a caller comparing key
	// identifiers uses this field, never a recomputation by x509.
	KeyID []byte
	// SelfSigned: issuer equals subject and the signature verifies with
	// the certificate's own key. RFC 8183 §5.1 asks for self-signed
	// certificates; AFRINIC and APNIC send an intermediate (variant V4).
	SelfSigned bool
}

// NewIdentity parses der as a BPKI TA certificate: an X.509 certificate
// with basicConstraints cA true.
func NewIdentity(der []byte) (Identity, error) {
	if len(der) > maxBase64 {
		return Identity{}, fail(ErrTooLarge, "certificate of %d bytes", len(der))
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Identity{}, &Error{Code: ErrCertificate, Detail: "not an X.509 certificate", Err: err}
	}
	if !c.BasicConstraintsValid || !c.IsCA {
		return Identity{}, fail(ErrCertificate, "BPKI TA %q is not a CA certificate", c.Subject)
	}
	var spki struct {
		Algorithm asn1.RawValue
		Key       asn1.BitString
	}
	if rest, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil || len(rest) != 0 {
		return Identity{}, fail(ErrCertificate, "subjectPublicKeyInfo of %q unreadable", c.Subject)
	}
	sum := sha1.Sum(spki.Key.Bytes)
	self := bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
	return Identity{DER: bytes.Clone(der), Cert: c, SKI: c.SubjectKeyId, KeyID: sum[:], SelfSigned: self}, nil
}

// decodeBase64 reads RFC 4648 §4 Base64 with line breaks and other XML
// whitespace anywhere (RFC 8183 §5.1; xsd:base64Binary), padding required.
func decodeBase64(field, s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if base64.StdEncoding.DecodedLen(len(clean)) > maxBase64+2 {
		return nil, fail(ErrTooLarge, "<%s> above %d bytes", field, maxBase64)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(clean)
	if err != nil {
		return nil, &Error{Code: ErrMalformed, Detail: "<" + field + "> is not Base64", Err: err}
	}
	if len(b) > maxBase64 {
		return nil, fail(ErrTooLarge, "<%s> above %d bytes", field, maxBase64)
	}
	return b, nil
}

// encodeBase64 writes b in lines of 64 characters, each on its own line
// indented by indent.
func encodeBase64(b []byte, indent string) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 0 {
		n := min(64, len(s))
		out.WriteString("\n" + indent + s[:n])
		s = s[n:]
	}
	return out.String()
}
