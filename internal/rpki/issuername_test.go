package rpki

import (
	"bytes"
	"math/big"
	"testing"
	"time"
)

// A parent may name a child CA with a serialNumber beside the CommonName
// (RFC 6487 §4.5): ARIN's arin-to-afrinic.cer does. What that child issues
// must name its issuer with exactly those bytes, or every relying party
// rejects it (RFC 5280 §4.1.2.4, §6.1.3 (a)(4)).
func TestIssuedUnderANameWithSerialNumber(t *testing.T) {
	parent, err := ParseCertificate(readCorpus(t, rpkiClientRD+"cer/arin-to-afrinic.cer"))
	if err != nil {
		t.Fatal(err)
	}
	const wantSubject = "ARINTOAFRINIC/B87C5A75F3D957413AB998646946D4541D511455"
	if parent.Subject != wantSubject || len(parent.RawSubject) == 0 {
		t.Fatalf("subject %q, raw %x", parent.Subject, parent.RawSubject)
	}
	c := newTestChain(t) // any key signs: this test is about the names
	ip := NewIPResources(pfx("10.0.0.0/24"))
	tmpl := &Certificate{SerialNumber: big.NewInt(9), Subject: "ee", NotBefore: testTime, NotAfter: testTime.Add(time.Hour),
		PublicKey: &c.eeKey.PublicKey, CRLDP: "rsync://x.test/ca/ca.crl", AIA: "rsync://x.test/ca.cer",
		SIA: SIA{SignedObject: "rsync://x.test/ca/a.roa"}, IP: &ip}
	der, err := CreateCertificateUnder(tmpl, parent, c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	ee, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if ee.Issuer != wantSubject || !bytes.Contains(ee.RawTBS, parent.RawSubject) {
		t.Fatalf("issued certificate names its issuer %q, want the parent's subject bytes %q", ee.Issuer, wantSubject)
	}
	crlDER, err := CreateCRL(&CRL{Issuer: parent.Subject, RawIssuer: parent.RawSubject, ThisUpdate: testTime,
		NextUpdate: testTime.Add(time.Hour), Number: big.NewInt(1), AKI: parent.SKI}, c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRL(crlDER)
	if err != nil {
		t.Fatal(err)
	}
	if crl.Issuer != wantSubject || !bytes.Contains(crl.RawTBS, parent.RawSubject) {
		t.Fatalf("CRL issuer %q", crl.Issuer)
	}
	// A plain CommonName issuer is written as before.
	plain, err := CreateCertificate(tmpl, "ROAd test CA", c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := ParseCertificate(plain); err != nil || p.Issuer != "ROAd test CA" {
		t.Fatalf("plain issuer: %v %q", err, p.Issuer)
	}
}
