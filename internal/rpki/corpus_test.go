package rpki

import (
	"bytes"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/vrp"
)

// Folders below ../shared/corpus.
const (
	rpkiRSDir    = "rpki-rs/test-data/repository/"
	rpkiClientRD = "rpki-client-openbsd/src/regress/usr.sbin/rpki-client/"
)

// readCorpus reads rel below ../shared/corpus (testshared.Corpus: skip when
// missing, fail under CI=true).
func readCorpus(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testshared.Corpus(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRealRIPETrustAnchor(t *testing.T) {
	ta, err := ParseCertificate(readCorpus(t, rpkiRSDir+"ta.cer"))
	if err != nil {
		t.Fatal(err)
	}
	if ta.Subject != "ripe-ncc-ta" || ta.Issuer != "ripe-ncc-ta" || ta.SerialNumber.Int64() != 0xC9 || !ta.IsCA {
		t.Errorf("TA header %q %q %v %v", ta.Subject, ta.Issuer, ta.SerialNumber, ta.IsCA)
	}
	if !ta.NotBefore.Equal(time.Date(2017, 11, 28, 14, 39, 55, 0, time.UTC)) ||
		!ta.NotAfter.Equal(time.Date(2117, 11, 28, 14, 39, 55, 0, time.UTC)) {
		t.Errorf("TA validity %v %v", ta.NotBefore, ta.NotAfter)
	}
	want := SIA{CARepository: "rsync://rpki.ripe.net/repository/", Manifest: "rsync://rpki.ripe.net/repository/ripe-ncc-ta.mft",
		Notify: "https://rrdp.ripe.net/notification.xml"}
	if ta.SIA != want {
		t.Errorf("SIA %+v", ta.SIA)
	}
	if p := ta.IP.Prefixes(); !slices.Equal(p, []netip.Prefix{pfx("0.0.0.0/0"), pfx("::/0")}) {
		t.Errorf("IP %v", p)
	}
	if !slices.Equal(ta.AS.Ranges, []ASRange{{0, 4294967295}}) {
		t.Errorf("AS %+v", ta.AS)
	}
	if err := ta.CheckSignatureFrom(ta); err != nil {
		t.Error(err)
	}
	crl, err := ParseCRL(readCorpus(t, rpkiRSDir+"ta.crl"))
	if err != nil {
		t.Fatal(err)
	}
	if crl.Number.Int64() != 50 || len(crl.Revoked) != 6 || crl.Revoked[0].Serial.Int64() != 0xCC ||
		!crl.Revoked[0].RevocationTime.Equal(time.Date(2018, 5, 1, 13, 33, 16, 0, time.UTC)) ||
		!crl.ThisUpdate.Equal(time.Date(2019, 2, 26, 13, 14, 44, 0, time.UTC)) {
		t.Errorf("CRL %v %d %+v", crl.Number, len(crl.Revoked), crl.Revoked[0])
	}
	if err := crl.CheckSignatureFrom(ta); err != nil {
		t.Error(err)
	}
	// The TAL in the same corpus holds the TA's key.
	tal, err := ParseTAL(readCorpus(t, rpkiRSDir+"ripe.tal"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tal.URIs, []string{"rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer"}) || string(tal.SPKI) != string(ta.RawSubjectPublicKeyInfo) {
		t.Errorf("TAL %q", tal.URIs)
	}
	ca1, err := ParseCertificate(readCorpus(t, rpkiRSDir+"ca1.cer"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ca1.CheckSignatureFrom(ta); err != nil {
		t.Errorf("ca1 issued by the TA: %v", err)
	}
	if !ta.IP.Covers(*ca1.IP) || !ta.AS.Covers(*ca1.AS) {
		t.Error("TA does not cover ca1")
	}
	crl1, err := ParseCRL(readCorpus(t, rpkiRSDir+"ca1.crl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := crl1.CheckSignatureFrom(ca1); err != nil {
		t.Error(err)
	}
}

func TestRealRPKIClientObjects(t *testing.T) {
	// Values cross-checked with `rpki-client -f` 8.2 on the same files.
	so, roa, err := ParseROAObject(readCorpus(t, rpkiClientRD+"roa/Hf1ZR31W9DN5QSF6xJEO5qgH4ac.roa"))
	if err != nil {
		t.Fatal(err)
	}
	want := []vrp.VRP{
		{Prefix: pfx("147.28.0.0/16"), MaxLen: 16, ASN: 3130}, {Prefix: pfx("192.83.230.0/24"), MaxLen: 24, ASN: 3130},
		{Prefix: pfx("198.180.151.0/24"), MaxLen: 24, ASN: 3130}, {Prefix: pfx("198.180.153.0/24"), MaxLen: 24, ASN: 3130},
	}
	if !slices.Equal(roa.VRPs(), want) {
		t.Errorf("VRPs %v", roa.VRPs())
	}
	if so.EE.IsCA || !strings.HasSuffix(so.EE.SIA.SignedObject, "Hf1ZR31W9DN5QSF6xJEO5qgH4ac.roa") {
		t.Errorf("EE %+v", so.EE.SIA)
	}
	so, mft, err := ParseManifestObject(readCorpus(t, rpkiClientRD+"mft/RjQZ5pSL7riIcFGhdm4iFtIalko.mft"))
	if err != nil {
		t.Fatal(err)
	}
	if mft.Number.Int64() != 0x11 || len(mft.Files) != 6 || mft.Files[0].Name != "4DAr1VXnjh69GoQkxjmIQdkRVtQ.roa" ||
		!mft.ThisUpdate.Equal(time.Date(2019, 6, 18, 3, 12, 23, 0, time.UTC)) ||
		!mft.NextUpdate.Equal(time.Date(2019, 6, 18, 9, 12, 23, 0, time.UTC)) {
		t.Errorf("manifest %v %d %v", mft.Number, len(mft.Files), mft.ThisUpdate)
	}
	if so.EE.SerialNumber.Int64() != 0x7A || so.EE.AIA != "rsync://rpki.ripe.net/repository/DEFAULT/RjQZ5pSL7riIcFGhdm4iFtIalko.cer" {
		t.Errorf("manifest EE %v %q", so.EE.SerialNumber, so.EE.AIA)
	}
	for _, ta := range []string{"AfriNIC.cer", "apnic-rpki-root-iana-origin.cer", "ripe-ncc-ta.cer"} {
		c, err := ParseCertificate(readCorpus(t, rpkiClientRD+"ta/"+ta))
		if err != nil {
			t.Errorf("%s: %v", ta, err)
			continue
		}
		if err := c.CheckSignatureFrom(c); err != nil {
			t.Errorf("%s self-signature: %v", ta, err)
		}
	}
	for _, tal := range []string{"afrinic.tal", "apnic.tal", "ripe.tal", "test.tal"} {
		if _, err := ParseTAL(readCorpus(t, rpkiClientRD+"tal/"+tal)); err != nil {
			t.Errorf("%s: %v", tal, err)
		}
	}
}

func TestRealMalformedRejected(t *testing.T) {
	cases := []struct{ file, reason string }{
		{rpkiRSDir + "maxlen-overflow.roa", "maxLength 124 out of range"},
		{rpkiRSDir + "maxlen-underflow.roa", "maxLength 2 out of range"},
		{rpkiRSDir + "prefix-len-overflow.roa", "IPAddress of 124 bits for a 32-bit family"},
		{rpkiRSDir + "router.cer", "not a PrintableString"}, // BGPsec router certificates are out of scope
		// BER too (accepted, see TestRealBERAccepted), but its eContent was edited.
		{rpkiRSDir + "ta.mft.bad-filename", "message-digest does not match eContent"},
	}
	for _, tc := range cases {
		b := readCorpus(t, tc.file)
		var err error
		if strings.HasSuffix(tc.file, ".cer") {
			_, err = ParseCertificate(b)
		} else if strings.Contains(tc.file, ".mft") {
			_, _, err = ParseManifestObject(b)
		} else {
			_, _, err = ParseROAObject(b)
		}
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v, want %q", tc.file, err, tc.reason)
		}
	}
}

// TestRealBERAccepted: 2019 RIPE NCC objects are BER (indefinite lengths,
// constructed OCTET STRINGs). RFC 6488 §3 asks for DER, but every deployed
// relying party decodes them, so road does too and records LenientBER.
func TestRealBERAccepted(t *testing.T) {
	for _, f := range []string{rpkiRSDir + "ca1.mft", rpkiRSDir + "example-ripe.roa"} {
		b := readCorpus(t, f)
		var so *SignedObject
		var err error
		if strings.Contains(f, ".mft") {
			so, _, err = ParseManifestObject(b)
		} else {
			so, _, err = ParseROAObject(b)
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !slices.Contains(so.Lenient, LenientBER) {
			t.Errorf("%s: leniencies %v, want %s among them", f, so.Lenient, LenientBER)
		}
		if !bytes.Equal(so.Raw, b) {
			t.Errorf("%s: Raw is not the file as read", f)
		}
	}
}
