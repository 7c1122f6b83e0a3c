package rpki

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/big"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

func TestCertificateRoundTrip(t *testing.T) {
	c := newTestChain(t)
	ta, ca := c.ta, c.ca
	if ta.AKI != nil || ta.CRLDP != "" || ta.AIA != "" || !ta.IsCA {
		t.Errorf("TA: AKI %x CRLDP %q AIA %q CA %v", ta.AKI, ta.CRLDP, ta.AIA, ta.IsCA)
	}
	if ta.Subject != "ROAd test TA" || ta.Issuer != "ROAd test TA" || ta.SerialNumber.Int64() != 1 {
		t.Errorf("TA names/serial: %q %q %v", ta.Subject, ta.Issuer, ta.SerialNumber)
	}
	if !ta.NotBefore.Equal(testTime.Add(-time.Hour)) || !ta.NotAfter.Equal(testTime.AddDate(1, 0, 0)) {
		t.Errorf("TA validity %v %v", ta.NotBefore, ta.NotAfter)
	}
	if !ta.PublicKey.Equal(&c.taKey.PublicKey) || !bytes.Equal(ta.SKI, SubjectKeyID(&c.taKey.PublicKey)) {
		t.Error("TA key or SKI")
	}
	if want := (SIA{CARepository: "rsync://example.test/repo/ta/", Manifest: "rsync://example.test/repo/ta/" +
		KeyFileName(&c.taKey.PublicKey, ".mft"), Notify: "https://example.test/rrdp/notification.xml"}); ta.SIA != want {
		t.Errorf("TA SIA %+v", ta.SIA)
	}
	if got := ta.IP.Prefixes(); !slices.Equal(got, []netip.Prefix{pfx("10.0.0.0/8"), pfx("192.0.2.0/24"), pfx("2001:db8::/32")}) {
		t.Errorf("TA prefixes %v", got)
	}
	if !reflect.DeepEqual(*ta.AS, ASResources{Ranges: []ASRange{{64496, 64511}}}) {
		t.Errorf("TA AS %+v", ta.AS)
	}
	if err := ta.CheckSignatureFrom(ta); err != nil {
		t.Errorf("TA self signature: %v", err)
	}
	if err := ca.CheckSignatureFrom(ta); err != nil {
		t.Errorf("CA signature: %v", err)
	}
	if err := ca.CheckSignatureFrom(ca); err == nil {
		t.Error("CA verified against itself")
	}
	if !bytes.Equal(ca.AKI, ta.SKI) || ca.Issuer != "ROAd test TA" || !ca.AS.Inherit {
		t.Errorf("CA AKI/issuer/AS: %x %q %+v", ca.AKI, ca.Issuer, ca.AS)
	}
	if !ta.IP.Covers(*ca.IP) || ca.IP.Covers(*ta.IP) || !ta.AS.Covers(*ca.AS) {
		t.Error("Covers")
	}
	// Tampering with one TBS byte breaks the signature.
	bad := bytes.Clone(c.caDER)
	i := bytes.Index(bad, []byte("ROAd test CA"))
	bad[i] = 'X'
	bc, err := ParseCertificate(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := bc.CheckSignatureFrom(ta); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered: %v", err)
	}
}

func TestKeyFileName(t *testing.T) {
	k := testKey(t, 0)
	n := KeyFileName(&k.PublicKey, ".mft")
	if len(n) != 27+4 || n[27:] != ".mft" || bytes.ContainsAny([]byte(n[:27]), "+/=") {
		t.Errorf("KeyFileName %q", n)
	}
}

func TestCRLRoundTrip(t *testing.T) {
	c := newTestChain(t)
	in := &CRL{Issuer: "ROAd test CA", ThisUpdate: testTime, NextUpdate: testTime.Add(24 * time.Hour),
		Number: big.NewInt(7), Revoked: []RevokedCert{{big.NewInt(3), testTime.Add(-time.Minute)}, {big.NewInt(300), testTime}}}
	der, err := CreateCRL(in, c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	if out.Issuer != in.Issuer || !out.ThisUpdate.Equal(in.ThisUpdate) || !out.NextUpdate.Equal(in.NextUpdate) ||
		out.Number.Int64() != 7 || !bytes.Equal(out.AKI, c.ca.SKI) || len(out.Revoked) != 2 ||
		out.Revoked[1].Serial.Int64() != 300 || !out.Revoked[0].RevocationTime.Equal(testTime.Add(-time.Minute)) {
		t.Errorf("CRL %+v", out)
	}
	if err := out.CheckSignatureFrom(c.ca); err != nil {
		t.Error(err)
	}
	if err := out.CheckSignatureFrom(c.ta); err == nil {
		t.Error("CRL verified with the wrong issuer")
	}
	if !out.IsRevoked(big.NewInt(300)) || out.IsRevoked(big.NewInt(4)) {
		t.Error("IsRevoked")
	}
	empty, err := CreateCRL(&CRL{Issuer: "X", ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour), Number: big.NewInt(0)}, c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if e, err := ParseCRL(empty); err != nil || len(e.Revoked) != 0 || e.Number.Sign() != 0 {
		t.Errorf("empty CRL: %v %+v", err, e)
	}
}

func TestROASignedObjectRoundTrip(t *testing.T) {
	c := newTestChain(t)
	roa := &ROA{ASID: 64496, Prefixes: []ROAPrefix{
		{Prefix: pfx("2001:db8::/48"), MaxLength: 56},
		{Prefix: pfx("192.0.2.0/24")},
		{Prefix: pfx("10.0.0.0/16"), MaxLength: 24},
		{Prefix: pfx("192.0.2.0/24"), MaxLength: 24}, // duplicate of the second
	}}
	ec, err := roa.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ip := NewIPResources(pfx("10.0.0.0/16"), pfx("192.0.2.0/24"), pfx("2001:db8::/48"))
	ee := c.issueEE(t, 10, "rsync://example.test/repo/ca/a.roa", &ip, nil)
	der, err := SignObject(OIDROA, ec, ee, c.eeKey, testTime)
	if err != nil {
		t.Fatal(err)
	}
	so, err := ParseSignedObject(der)
	if err != nil {
		t.Fatal(err)
	}
	if !so.ContentType.Equal(OIDROA) || !bytes.Equal(so.EContent, ec) || !so.SigningTime.Equal(testTime) ||
		so.EE.SIA.SignedObject != "rsync://example.test/repo/ca/a.roa" {
		t.Errorf("signed object %+v", so)
	}
	if err := so.EE.CheckSignatureFrom(c.ca); err != nil {
		t.Error(err)
	}
	got, err := ParseROA(so.EContent)
	if err != nil {
		t.Fatal(err)
	}
	want := []vrp.VRP{
		{Prefix: pfx("10.0.0.0/16"), MaxLen: 24, ASN: 64496},
		{Prefix: pfx("192.0.2.0/24"), MaxLen: 24, ASN: 64496},
		{Prefix: pfx("2001:db8::/48"), MaxLen: 56, ASN: 64496},
	}
	if !slices.Equal(got.VRPs(), want) {
		t.Errorf("VRPs %v", got.VRPs())
	}
}

func TestManifestRoundTrip(t *testing.T) {
	c := newTestChain(t)
	m := &Manifest{Number: new(big.Int).Lsh(big.NewInt(1), 158), ThisUpdate: testTime, NextUpdate: testTime.Add(24 * time.Hour),
		Files: []FileAndHash{{Name: "a.roa", Hash: sha256.Sum256([]byte("a"))}, {Name: KeyFileName(&c.caKey.PublicKey, ".crl")}}}
	ec, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ee := c.issueEE(t, 11, "rsync://example.test/repo/ca/x.mft",
		&IPResources{V4: &IPFamily{Inherit: true}, V6: &IPFamily{Inherit: true}}, &ASResources{Inherit: true})
	der, err := SignObject(OIDManifest, ec, ee, c.eeKey, testTime)
	if err != nil {
		t.Fatal(err)
	}
	so, err := ParseSignedObject(der)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(so.EContent)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("manifest %+v, want %+v", got, m)
	}
}

func TestTALRoundTrip(t *testing.T) {
	c := newTestChain(t)
	tal := &TAL{Comments: []string{"ROAd test"}, URIs: []string{"https://example.test/ta.cer", "rsync://example.test/ta.cer"},
		SPKI: c.ta.RawSubjectPublicKeyInfo}
	enc := tal.Encode()
	got, err := ParseTAL(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tal) {
		t.Errorf("TAL %+v", got)
	}
	lines := bytes.Split(enc, []byte("\n"))
	if string(lines[0]) != "# ROAd test" || len(lines[3]) != 0 || len(lines[4]) != 64 {
		t.Errorf("TAL layout %q", enc)
	}
	inj := (&TAL{Comments: []string{"a\nrsync://evil.test/x.cer"}, URIs: tal.URIs, SPKI: tal.SPKI}).Encode()
	if got, err := ParseTAL(inj); err != nil || len(got.URIs) != 2 || got.Comments[0] != "a rsync://evil.test/x.cer" {
		t.Errorf("comment with a line break: %v %+v", err, got)
	}
	crlf := bytes.ReplaceAll(enc, []byte("\n"), []byte("\r\n"))
	if got, err := ParseTAL(crlf); err != nil || !bytes.Equal(got.SPKI, tal.SPKI) {
		t.Errorf("CRLF TAL: %v", err)
	}
}

func TestSelfSignedAndValidAt(t *testing.T) {
	c := newTestChain(t)
	if !c.ta.SelfSigned() || c.ca.SelfSigned() {
		t.Error("SelfSigned")
	}
	if !c.ca.ValidAt(testTime) || !c.ca.ValidAt(c.ca.NotAfter) || c.ca.ValidAt(c.ca.NotAfter.Add(time.Second)) ||
		c.ca.ValidAt(c.ca.NotBefore.Add(-time.Second)) {
		t.Error("ValidAt")
	}
}

// DER sorts SET OF by encoding (X.690 §11.6), so the RFC 9589 attributes
// appear as content-type (30 1a), signing-time (30 1c), message-digest (30 2f).
func TestSignedAttrsDEROrder(t *testing.T) {
	attrs, err := SignedAttrs(OIDROA, []byte("x"), testTime)
	if err != nil {
		t.Fatal(err)
	}
	ct := bytes.Index(attrs, unhex(t, "301a 0609 2a864886f70d010903"))
	st := bytes.Index(attrs, unhex(t, "301c 0609 2a864886f70d010905"))
	md := bytes.Index(attrs, unhex(t, "302f 0609 2a864886f70d010904"))
	if !(ct == 2 && ct < st && st < md) {
		t.Errorf("order content-type@%d signing-time@%d message-digest@%d in %x", ct, st, md, attrs)
	}
}
