package updownsrv

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	encasn1 "encoding/asn1"
	"math/big"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
)

// testID is a BPKI identity made for a test: a self-signed CA certificate.
type testID struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

func newTestID(t testing.TB, name string, now time.Time) *testID {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testID{cert: c, key: key}
}

func (id *testID) signer(clock func() time.Time) *updown.Signer {
	return &updown.Signer{ID: id.cert, Key: id.key, Now: clock}
}

func (id *testID) oob(t testing.TB) oob.Identity {
	o, err := oob.NewIdentity(id.cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (id *testID) childRequest(t testing.TB, handle string) []byte {
	b, err := oob.EmitChildRequest(oob.ChildRequest{ChildHandle: handle, ChildBPKI: id.oob(t)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type env struct {
	t    *testing.T
	now  time.Time
	st   *store.Store
	ca   *ca.CA
	srv  *Server
	road *testID
	pubs int // Publish calls
}

func (e *env) clock() time.Time { return e.now }

const rsyncBase = "rsync://127.0.0.1:8873/repo/"

func newEnv(t *testing.T, at time.Time, handle string) *env {
	t.Helper()
	e := &env{t: t, now: at}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.ca, err = ca.New(ca.Config{RsyncBase: rsyncBase, RRDPBase: "https://127.0.0.1:8443/rrdp/",
		IP:    []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")},
		AS:    []rpki.ASRange{{Min: 64496, Max: 64511}},
		Clock: e.clock, Keys: ca.NewKeyPool(0)}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ca.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.road = newTestID(t, handle, at)
	e.srv = New(Config{Store: st, CA: e.ca, Handle: handle, Identity: e.road.oob(t), Signer: e.road.signer(e.clock),
		ServiceBase: "http://127.0.0.1:8080/", Publish: func(context.Context) error { e.pubs++; return nil }, Clock: e.clock})
	return e
}

// wrap signs m as the child would.
func (e *env) wrap(id *testID, m *updown.Message) []byte {
	e.t.Helper()
	xml, err := updown.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	der, err := updown.Wrap(xml, id.signer(e.clock))
	if err != nil {
		e.t.Fatal(err)
	}
	return der
}

// send posts body as child and verifies the answer with road's identity.
func (e *env) send(child string, body []byte) (int, *updown.Message) {
	e.t.Helper()
	status, resp := e.srv.Handle(context.Background(), child, body)
	u, err := updown.Unwrap(resp, e.road.cert, e.now, time.Time{})
	if err != nil {
		e.t.Fatalf("response does not verify with road's identity: %v", err)
	}
	m, err := updown.Parse(u.XML)
	if err != nil {
		e.t.Fatalf("response does not parse: %v", err)
	}
	return status, m
}

// csr is an RFC 6487 §6 request for key publishing at repo.
func csr(t testing.TB, key *rsa.PrivateKey, repo string) []byte {
	t.Helper()
	type ad struct {
		Method   encasn1.ObjectIdentifier
		Location encasn1.RawValue
	}
	uri := func(s string) encasn1.RawValue {
		return encasn1.RawValue{Class: encasn1.ClassContextSpecific, Tag: 6, Bytes: []byte(s)}
	}
	sia, err := encasn1.Marshal([]ad{
		{encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}, uri(repo)},
		{encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}, uri(repo + rpki.KeyFileName(&key.PublicKey, ".mft"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "c"},
		SignatureAlgorithm: x509.SHA256WithRSA,
		ExtraExtensions:    []pkix.Extension{{Id: encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}, Value: sia}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (e *env) objectCount() int {
	n := 0
	e.st.View(context.Background(), func(tx *store.Tx) error {
		l, err := tx.Objects("")
		n = len(l)
		return err
	})
	return n
}

func (e *env) lastSigning(child string) time.Time {
	var at time.Time
	e.st.View(context.Background(), func(tx *store.Tx) error {
		c, err := tx.Child(child)
		if err == nil {
			at = c.LastSigningTime
		}
		return nil
	})
	return at
}
