package ca

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	encasn1 "encoding/asn1"
	"errors"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// childCSR makes an RFC 6487 §6 request for key with the SIA of a child
// publishing at repo.
func childCSR(t testing.TB, key *rsa.PrivateKey, repo string) []byte {
	t.Helper()
	type ad struct {
		Method   encasn1.ObjectIdentifier
		Location encasn1.RawValue
	}
	uri := func(s string) encasn1.RawValue {
		return encasn1.RawValue{Class: encasn1.ClassContextSpecific, Tag: 6, Bytes: []byte(s)}
	}
	sia, err := encasn1.Marshal([]ad{
		{oidADCARepository, uri(repo)},
		{oidADManifest, uri(repo + rpki.KeyFileName(&key.PublicKey, ".mft"))},
		{oidADNotify, uri("https://127.0.0.1:8443/rrdp/notification.xml")},
	})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:            pkix.Name{CommonName: "child"},
		SignatureAlgorithm: x509.SHA256WithRSA,
		ExtraExtensions:    []pkix.Extension{{Id: oidExtSIA, Value: sia}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func entitlement(t testing.TB, items ...string) (rpki.IPResources, rpki.ASResources) {
	var ps []netip.Prefix
	var as rpki.ASResources
	for _, s := range items {
		if n, ok := strings.CutPrefix(s, "AS"); ok {
			v, _ := new(big.Int).SetString(n, 10)
			as.Ranges = append(as.Ranges, rpki.ASRange{Min: uint32(v.Int64()), Max: uint32(v.Int64())})
			continue
		}
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return rpki.NewIPResources(ps...), as
}

func issueChild(t *testing.T, c *CA, st *store.Store, req ChildRequest) (*ChildCert, error) {
	var out *ChildCert
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = c.IssueChildCert(context.Background(), tx, req)
		return err
	})
	return out, err
}

// TestIssueChildCert: the child certificate carries the entitlement ∩ held,
// the SIA of the request, the CA's CRLDP and AIA, is signed by the CA, ends
// no later than the CA certificate, is on the CA's manifest; the same
// request again keeps it; a shrink reissues it and revokes the old one.
func TestIssueChildCert(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	repo := "rsync://127.0.0.1:8873/repo/B/"
	pub, sia, err := ParseCSR(childCSR(t, key, repo))
	if err != nil {
		t.Fatal(err)
	}
	if sia.CARepository != repo || sia.Manifest != repo+rpki.KeyFileName(&key.PublicKey, ".mft") ||
		sia.Notify != "https://127.0.0.1:8443/rrdp/notification.xml" {
		t.Fatalf("SIA %+v", sia)
	}
	ip, as := entitlement(t, "192.0.2.0/25", "10.0.0.0/8", "2001:db8:1::/48", "AS64500", "AS1")
	cc, err := issueChild(t, c, st, ChildRequest{Key: pub, SIA: sia, IP: ip, AS: as})
	if err != nil {
		t.Fatal(err)
	}
	wantURI := "rsync://127.0.0.1:8873/repo/ca/" + rpki.KeyFileName(&key.PublicKey, ".cer")
	if cc.URI != wantURI || !cc.Reissued {
		t.Fatalf("uri %s reissued %v", cc.URI, cc.Reissued)
	}
	got := cc.Cert
	if p := got.IP.Prefixes(); len(p) != 2 || p[0].String() != "192.0.2.0/25" || p[1].String() != "2001:db8:1::/48" {
		t.Fatalf("IP %v", p)
	}
	if got.AS == nil || len(got.AS.Ranges) != 1 || got.AS.Ranges[0] != (rpki.ASRange{Min: 64500, Max: 64500}) {
		t.Fatalf("AS %+v", got.AS)
	}
	if got.SIA != sia || !got.IsCA || !strings.HasPrefix(got.CRLDP, "rsync://127.0.0.1:8873/repo/ca/") {
		t.Fatalf("cert %+v", got)
	}
	var issuer *Issuer
	st.View(context.Background(), func(tx *store.Tx) error { issuer, err = c.ChildIssuer(tx); return err })
	ic, _ := rpki.ParseCertificate(issuer.DER)
	if err := got.CheckSignatureFrom(ic); err != nil {
		t.Fatalf("not signed by the CA: %v", err)
	}
	if got.AIA != issuer.URI || got.NotAfter.After(ic.NotAfter) {
		t.Fatalf("AIA %s (want %s), notAfter %s after the CA's %s", got.AIA, issuer.URI, got.NotAfter, ic.NotAfter)
	}
	objs := objects(t, st)
	if o := objs[wantURI]; o.Kind != "cer" || o.CA != CAName {
		t.Fatalf("object %+v", o)
	}
	mft := objs["rsync://127.0.0.1:8873/repo/ca/"+strings.TrimSuffix(fileName(got.CRLDP), ".crl")+".mft"]
	_, m, err := rpki.ParseManifestObject(mft.DER)
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, f := range m.Files {
		listed = listed || f.Name == fileName(wantURI)
	}
	if !listed {
		t.Fatalf("%s not on the manifest %+v", fileName(wantURI), m.Files)
	}

	// The same request: kept.
	again, err := issueChild(t, c, st, ChildRequest{Key: pub, SIA: sia, IP: ip, AS: as})
	if err != nil || again.Reissued || again.Cert.SerialNumber.Cmp(got.SerialNumber) != 0 {
		t.Fatalf("repeat: %v reissued=%v", err, again != nil && again.Reissued)
	}
	// Shrink: reissued, the old one revoked.
	ip2, as2 := entitlement(t, "192.0.2.0/26", "AS64500")
	shrunk, err := issueChild(t, c, st, ChildRequest{Key: pub, SIA: sia, IP: ip2, AS: as2})
	if err != nil || !shrunk.Reissued || shrunk.Cert.IP.Prefixes()[0].String() != "192.0.2.0/26" || shrunk.Cert.IP.V6 != nil {
		t.Fatalf("shrink: %v %+v", err, shrunk)
	}
	if !revoked(t, st, got.SerialNumber.String()) {
		t.Fatal("the replaced child certificate is not on the CRL")
	}
	// Revoke: withdrawn and on the CRL.
	if err := st.Update(context.Background(), func(tx *store.Tx) error { return c.RevokeChildCert(context.Background(), tx, wantURI) }); err != nil {
		t.Fatal(err)
	}
	if _, ok := objects(t, st)[wantURI]; ok || !revoked(t, st, shrunk.Cert.SerialNumber.String()) {
		t.Fatal("revoked child certificate still published or not on the CRL")
	}
	err = st.Update(context.Background(), func(tx *store.Tx) error { return c.RevokeChildCert(context.Background(), tx, wantURI) })
	if !errors.Is(err, ErrNoChildCert) {
		t.Fatalf("second revoke: %v", err)
	}
	// Nothing held: refused.
	ip3, as3 := entitlement(t, "10.0.0.0/8", "AS1")
	if _, err := issueChild(t, c, st, ChildRequest{Key: pub, SIA: sia, IP: ip3, AS: as3}); !errors.Is(err, ErrNoResources) {
		t.Fatalf("nothing held: %v", err)
	}
}

func revoked(t *testing.T, st *store.Store, serial string) bool {
	var found bool
	st.View(context.Background(), func(tx *store.Tx) error {
		list, err := tx.RevokedList(CAName, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		for _, r := range list {
			found = found || r.Serial == serial
		}
		return err
	})
	return found
}

// TestParseCSRRefuses: every broken request is ErrBadCSR.
func TestParseCSRRefuses(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := childCSR(t, key, "rsync://h/repo/B/")
	bad := append([]byte(nil), good...)
	bad[len(bad)-5] ^= 0xff // the signature
	noSIA, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, key)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, der := range map[string][]byte{"signature": bad, "no SIA": noSIA, "garbage": []byte("xx"),
		"1024-bit": childCSR(t, small, "rsync://h/repo/B/")} {
		if _, _, err := ParseCSR(der); !errors.Is(err, ErrBadCSR) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
