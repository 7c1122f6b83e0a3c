package ca

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/testpeers"
)

// TestKeysInHSM: with a PKCS#11 KeyStore the TA and CA keys are made in the
// token, the store keeps only their handles, and what the CA signs (its
// certificate, CRL, manifest, ROA EE certificates) verifies with the
// token's public keys, also after the token and the CA are reopened.
func TestKeysInHSM(t *testing.T) {
	tok := testpeers.StartSoftHSM(t, "road-ca")
	cfg := signer.HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}
	hsm, err := signer.OpenPKCS11(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := &testClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	newCA := func(ks signer.KeyStore) *CA {
		c, err := New(Config{RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://127.0.0.1:8443/rrdp/",
			TAURIs: []string{"https://127.0.0.1:8443/ta/ta.cer"}, IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
			Clock: clk.now, KeyStore: ks}, st)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Init(context.Background()); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newCA(hsm)
	apply(t, c, st, []string{"192.0.2.0/24 => AS64496"}, nil)
	check := func(ks signer.KeyStore) {
		t.Helper()
		var ta, ca *store.CA
		st.View(context.Background(), func(tx *store.Tx) error {
			ta, _ = tx.CA(TAName)
			ca, _ = tx.CA(CAName)
			return nil
		})
		for _, row := range []*store.CA{ta, ca} {
			if !signer.IsTokenHandle(row.KeyDER) || !strings.HasPrefix(string(row.KeyDER), "pkcs11:id=") {
				t.Fatalf("%s: the store keeps %q, not a token handle", row.Name, row.KeyDER[:min(12, len(row.KeyDER))])
			}
			k, err := ks.Load(context.Background(), row.KeyDER)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := rpki.ParseCertificate(row.CertDER)
			if err != nil {
				t.Fatal(err)
			}
			if !cert.PublicKey.Equal(k.RSAPublicKey()) {
				t.Fatalf("%s: the certificate is not for the token's key", row.Name)
			}
		}
		taCert, _ := rpki.ParseCertificate(ta.CertDER)
		caCert, _ := rpki.ParseCertificate(ca.CertDER)
		verify(t, "TA certificate", taCert.PublicKey, taCert.RawTBS, taCert.Signature)
		verify(t, "CA certificate", taCert.PublicKey, caCert.RawTBS, caCert.Signature)
		n := 0
		for uri, o := range objects(t, st) {
			switch o.Kind {
			case "crl":
				crl, err := rpki.ParseCRL(o.DER)
				if err != nil {
					t.Fatal(err)
				}
				issuer := caCert.PublicKey
				if strings.Contains(uri, "/root/") {
					issuer = taCert.PublicKey
				}
				verify(t, uri, issuer, crl.RawTBS, crl.Signature)
				n++
			case "roa", "mft":
				if !strings.Contains(uri, "/ca/") {
					continue
				}
				so, err := rpki.ParseSignedObject(o.DER)
				if err != nil {
					t.Fatal(err)
				}
				verify(t, uri, caCert.PublicKey, so.EE.RawTBS, so.EE.Signature)
				n++
			}
		}
		if n != 4 { // two CRLs, the CA's manifest, one ROA
			t.Errorf("checked %d objects, want 4", n)
		}
	}
	check(hsm)
	if err := hsm.Close(); err != nil {
		t.Fatal(err)
	}
	hsm2, err := signer.OpenPKCS11(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer hsm2.Close()
	before := manifestNumber(t, st)
	clk.t = clk.t.Add(20 * time.Hour) // manifests and CRLs are due: Init re-signs them in the token
	newCA(hsm2)
	if after := manifestNumber(t, st); after != before+1 {
		t.Fatalf("manifest number %d after reopening, want %d", after, before+1)
	}
	check(hsm2)
	// A software KeyStore cannot use the token's keys: it says [hsm] is missing.
	soft, err := New(Config{RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://127.0.0.1:8443/rrdp/",
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, Clock: clk.now}, st)
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(20 * time.Hour)
	if _, err := soft.Renew(context.Background()); !errors.Is(err, signer.ErrNoHSM) {
		t.Errorf("a software CA on token handles: %v, want %v", err, signer.ErrNoHSM)
	}
}

func manifestNumber(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var n int64
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		row, err := tx.CA(CAName)
		if err == nil {
			n = row.ManifestNumber
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func verify(t *testing.T, what string, pub *rsa.PublicKey, tbs, sig []byte) {
	t.Helper()
	d := sha256.Sum256(tbs)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
		t.Errorf("%s: signature does not verify: %v", what, err)
	}
}
