package ca

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/testpeers"
)

// TestKeyRollInHSM: with the CA key in a PKCS#11 token (softhsm2) the new
// key is made in the token, the store keeps only handles, and the old key
// is destroyed in the token once the TA revoked its certificate.
func TestKeyRollInHSM(t *testing.T) {
	ctx := context.Background()
	tok := testpeers.StartSoftHSM(t, "road-roll")
	hsm, err := signer.OpenPKCS11(signer.HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := &testClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	c, err := New(Config{RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://127.0.0.1:8443/rrdp/",
		TAURIs: []string{"https://127.0.0.1:8443/ta/ta.cer"}, IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
		Clock: clk.now, KeyStore: hsm}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	apply(t, c, st, []string{"192.0.2.0/24 => AS64496"}, nil)
	handle := func(name string) []byte {
		t.Helper()
		var h []byte
		if err := st.View(ctx, func(tx *store.Tx) error {
			row, err := tx.CA(name)
			if err == nil {
				h = row.KeyDER
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !signer.IsTokenHandle(h) {
			t.Fatalf("%s: the store keeps a key, not a token handle", name)
		}
		return h
	}
	old := handle(CAName)
	if _, err := c.StartRoll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	next := handle(NextName)
	if slices.Equal(next, old) {
		t.Fatal("the new key is the old one")
	}
	clk.t = clk.t.Add(DefaultRollStaging)
	for range 2 { // activation, then the TA's revocation
		if _, err := c.Renew(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r := rollOf(t, c); r.Phase != RollDone {
		t.Fatalf("phase %s", r.Phase)
	}
	if got := handle(CAName); !slices.Equal(got, next) {
		t.Fatalf("the CA's key is %s, want the new %s", got, next)
	}
	vrps, cas, _ := rollTree(t, c, objects(t, st))
	if len(vrps) != 1 || vrps[0] != mustVRP(t, "192.0.2.0/24 => AS64496") || len(cas) != 1 {
		t.Fatalf("after the roll: VRPs %v, %d CA certificates", vrps, len(cas))
	}
	if _, err := hsm.Load(ctx, old); err == nil {
		t.Fatal("the old key is still in the token")
	}
}
