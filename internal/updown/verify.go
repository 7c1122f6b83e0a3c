package updown

import (
	"bytes"
	"crypto/x509"
	encasn1 "encoding/asn1"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// parseAttrs enforces §3.1.1.6.4: content-type (id-ct-xml), message-digest
// and signing-time and/or binary-signing-time, each once with one value,
// the two times equal when both are present (1i); nothing else.
func parseAttrs(attrs cryptobyte.String) (digest []byte, signingTime time.Time, err error) {
	var haveCT bool
	var st, bst time.Time
	for !attrs.Empty() {
		var attr, values, value cryptobyte.String
		var oid encasn1.ObjectIdentifier
		var tag asn1.Tag
		if !attrs.ReadASN1(&attr, asn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) ||
			!attr.ReadASN1(&values, asn1.SET) || !attr.Empty() || !values.ReadAnyASN1Element(&value, &tag) || !values.Empty() {
			return nil, time.Time{}, malformedf("signed attribute must hold exactly one value")
		}
		switch {
		case oid.Equal(oidAttrContentType) && !haveCT:
			var v encasn1.ObjectIdentifier
			if !value.ReadASN1ObjectIdentifier(&v) || !v.Equal(OIDContentXML) { // (1g)
				return nil, time.Time{}, fail(ReasonCMSContentType, "content-type attribute is not id-ct-xml")
			}
			haveCT = true
		case oid.Equal(oidAttrDigest) && digest == nil:
			if !value.ReadASN1Bytes(&digest, asn1.OCTET_STRING) || digest == nil {
				return nil, time.Time{}, malformedf("message-digest attribute")
			}
		case oid.Equal(oidAttrSigningTime) && st.IsZero():
			if st, err = readTime(value, tag); err != nil {
				return nil, time.Time{}, err
			}
		case oid.Equal(oidAttrBinarySignTime) && bst.IsZero():
			var secs int64
			if !value.ReadASN1Int64WithTag(&secs, asn1.INTEGER) || secs <= 0 { // RFC 6019 §2
				return nil, time.Time{}, malformedf("binary-signing-time attribute")
			}
			bst = time.Unix(secs, 0).UTC()
		default:
			return nil, time.Time{}, malformedf("signed attribute %v not allowed or repeated (RFC 6492 §3.1.1.6.4)", oid)
		}
	}
	if !haveCT || digest == nil {
		return nil, time.Time{}, malformedf("content-type and message-digest attributes required")
	}
	switch {
	case st.IsZero() && bst.IsZero():
		return nil, time.Time{}, fail(ReasonCMSSigningTime, "no signing-time or binary-signing-time (RFC 6492 §3.1.1.6.4.3)")
	case !st.IsZero() && !bst.IsZero() && !st.Equal(bst):
		return nil, time.Time{}, fail(ReasonCMSSigningTime, "signing-time %s and binary-signing-time %s differ", st, bst)
	case st.IsZero():
		st = bst
	}
	return digest, st, nil
}

func readTime(v cryptobyte.String, tag asn1.Tag) (time.Time, error) {
	var t time.Time
	whole := v
	var ok bool
	switch tag {
	case asn1.UTCTime:
		ok = whole.ReadASN1UTCTime(&t)
	case asn1.GeneralizedTime:
		ok = whole.ReadASN1GeneralizedTime(&t)
	}
	if !ok {
		return time.Time{}, fail(ReasonCMSSigningTime, "signing-time is not a UTCTime or GeneralizedTime")
	}
	return t.UTC(), nil
}

// checkIdentity is §3.1.2 (3) and (4): the EE certificate is issued by the
// trusted identity certificate (the BPKI exchanged out of band, RFC 8183),
// both are valid at now, and a CRL of the identity does not list the EE
// certificate. It returns whether that CRL was stale (see Unwrapped).
func checkIdentity(ee *x509.Certificate, crls [][]byte, id *x509.Certificate, now time.Time) (stale bool, err error) {
	if id == nil {
		return false, fail(ReasonCMSWrongIdentity, "no trusted identity certificate")
	}
	if !bytes.Equal(ee.RawIssuer, id.RawSubject) || ee.CheckSignatureFrom(id) != nil {
		return false, fail(ReasonCMSWrongIdentity, "EE certificate %q is not issued by the identity %q", ee.Subject, id.Subject)
	}
	for _, c := range []*x509.Certificate{id, ee} {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return false, fail(ReasonCMSCertExpired, "certificate %q valid %s..%s, not at %s", c.Subject,
				c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	for _, der := range crls {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return false, fail(ReasonCMSCRL, "CRL: %v", err)
		}
		if !bytes.Equal(crl.RawIssuer, id.RawSubject) {
			continue // §3.1.1.5 allows CRLs of CA certificates in the certificates field
		}
		if err := crl.CheckSignatureFrom(id); err != nil {
			return false, fail(ReasonCMSCRL, "the identity's CRL does not verify: %v", err)
		}
		if crl.ThisUpdate.After(now.Add(MaxFutureSkew)) {
			return false, fail(ReasonCMSCRL, "the identity's CRL is issued in the future (thisUpdate %s, now %s)",
				crl.ThisUpdate.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		for _, r := range crl.RevokedCertificateEntries {
			if r.SerialNumber.Cmp(ee.SerialNumber) == 0 {
				return false, fail(ReasonCMSRevoked, "the EE certificate (serial %s) is revoked", ee.SerialNumber)
			}
		}
		return !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate), nil
	}
	return false, fail(ReasonCMSCRL, "no CRL of the identity %q", id.Subject)
}

// checkSigningTime is §3.1.2 (5) plus the clock bounds documented at
// MaxFutureSkew and MaxAge.
func checkSigningTime(st, now, last time.Time) error {
	switch {
	case !last.IsZero() && st.Before(last):
		return fail(ReasonCMSReplay, "signing-time %s before the last accepted %s",
			st.Format(time.RFC3339), last.UTC().Format(time.RFC3339))
	case st.After(now.Add(MaxFutureSkew)):
		return fail(ReasonCMSSigningTime, "signing-time %s more than %s after now (%s)",
			st.Format(time.RFC3339), MaxFutureSkew, now.UTC().Format(time.RFC3339))
	case st.Before(now.Add(-MaxAge)):
		return fail(ReasonCMSSigningTime, "signing-time %s more than %s before now (%s)",
			st.Format(time.RFC3339), MaxAge, now.UTC().Format(time.RFC3339))
	}
	return nil
}
