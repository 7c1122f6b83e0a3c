package delegation

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/identity"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/updownsrv"
)

// TestChildOfRealParentWithHSM is TestChildOfRealParent's exchange with
// B's CA key and BPKI identity key in softhsm2: the PKCS#10 request, the
// up-down CMS and B's ROAs are signed in the token, A certifies the token's
// key, B's ROAs verify under it, and B's store keeps only handles.
func TestChildOfRealParentWithHSM(t *testing.T) {
	ctx := context.Background()
	tok := testpeers.StartSoftHSM(t, "road-b")
	hsm, err := signer.OpenPKCS11(signer.HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile})
	if err != nil {
		t.Fatal(err)
	}
	defer hsm.Close()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	a := newNode(t, clk, "a.example")
	b := newNodeIn(t, clk, "b.example", hsm)
	aID, err := identity.Generate("A", clk.t)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(nil)
	defer ts.Close()
	srv := updownsrv.New(updownsrv.Config{Store: a.st, CA: a.ca, Handle: "A", Identity: aID.OOB(), Signer: aID.Signer(clk.now),
		ServiceBase: ts.URL + "/", Clock: clk.now})
	ts.Config.Handler = srv

	svc := New(Config{Store: b.st, CA: b.ca, Settings: config.Delegation{Handle: "B"}, Keys: hsm,
		RsyncBase: "rsync://b.example/repo/", Clock: clk.now, Changed: func(context.Context) error { return nil }})
	req, err := svc.ChildRequest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	added, err := srv.AddChild(ctx, "test", "B", req, "192.0.2.0/25, AS64500")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddParent(ctx, "admin", "A", added.ParentResponse); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if p, _, ok := b.ca.Parent(); !ok || p != "A" {
		t.Fatalf("B's CA parent = %q %v, want A", p, ok)
	}
	if err := b.roa(t, "192.0.2.0/25 => AS64500"); err != nil {
		t.Fatal(err)
	}
	if got, want := b.roaFiles(t), []string{"192-0-2-0_25-25_AS64500.roa"}; !slices.Equal(got, want) {
		t.Fatalf("B publishes %v, want %v", got, want)
	}
	bCert, err := b.ca.CertDER(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var aCA []byte
	var bRow *store.CA
	var idRow store.IdentityRow
	a.st.View(ctx, func(tx *store.Tx) error {
		row, err := tx.CA(ca.CAName)
		aCA = row.CertDER
		return err
	})
	if err := b.st.View(ctx, func(tx *store.Tx) error {
		var err error
		if bRow, err = tx.CA(ca.CAName); err != nil {
			return err
		}
		idRow, err = tx.Identity("active")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	checkChain(t, aCA, bCert)
	for uri, o := range b.objects(t) {
		if o.Kind == "roa" {
			checkROA(t, bCert, o.DER, uri)
		}
	}
	for name, h := range map[string][]byte{"CA": bRow.KeyDER, "identity": idRow.KeyDER} {
		if !strings.HasPrefix(string(h), "pkcs11:id=") {
			t.Fatalf("B's %s key is not a token handle", name)
		}
	}
	k, err := hsm.Load(ctx, bRow.KeyDER)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := rpki.ParseCertificate(bCert)
	if err != nil || !cert.PublicKey.Equal(k.RSAPublicKey()) {
		t.Fatalf("A certified another key than B's token key (%v)", err)
	}
}

// newNodeIn is newNode with the CA's keys in ks.
func newNodeIn(t *testing.T, clk *clock, host string, ks signer.KeyStore) *node {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := ca.New(ca.Config{RsyncBase: "rsync://" + host + "/repo/", RRDPBase: "https://" + host + "/rrdp/",
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")},
		AS: []rpki.ASRange{{Min: 64496, Max: 64511}}, Clock: clk.now, KeyStore: ks}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &node{st: st, ca: c}
}
