package identity

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/updown"
)

// TestIdentityInHSM: with a PKCS#11 KeyStore the identity key is made in
// the token, the store keeps its handle, and the CMS it signs (certificate,
// CRL of the one-time EE) verifies with the identity certificate, also
// after the token is reopened and for a rolled identity.
func TestIdentityInHSM(t *testing.T) {
	tok := testpeers.StartSoftHSM(t, "road-id")
	cfg := signer.HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}
	hsm, err := signer.OpenPKCS11(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	ctx := context.Background()
	a, err := EnsureIn(ctx, st, hsm, "road-b", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.Key.ID(), "pkcs11:") {
		t.Fatalf("identity key %s is not in the token", a.Key.ID())
	}
	wrapUnwrap(t, a, t0)
	hsm.Close()

	hsm, err = signer.OpenPKCS11(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer hsm.Close()
	b, err := LoadIn(ctx, st, hsm, "active")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.DER, a.DER) || !bytes.Equal(b.Key.Handle(), a.Key.Handle()) {
		t.Fatal("the reloaded identity differs")
	}
	wrapUnwrap(t, b, t0)
	if _, err := Load(ctx, st, "active"); !errors.Is(err, ErrBadIdentity) || !errors.Is(err, signer.ErrNoHSM) {
		t.Errorf("software Load of a token identity: %v, want %v and %v", err, ErrBadIdentity, signer.ErrNoHSM)
	}
	next, err := RollIn(ctx, st, hsm, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(next.Key.ID(), "pkcs11:") || next.Key.ID() == a.Key.ID() || next.Handle != "road-b" {
		t.Fatalf("rolled identity: key %s handle %q", next.Key.ID(), next.Handle)
	}
	wrapUnwrap(t, next, t0.Add(time.Hour))
}

func wrapUnwrap(t *testing.T, id *Identity, now time.Time) {
	t.Helper()
	msg, err := updown.Marshal(&updown.Message{Sender: "road-b", Recipient: "road-a", Type: updown.TypeList})
	if err != nil {
		t.Fatal(err)
	}
	cms, err := updown.Wrap(msg, id.Signer(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	u, err := updown.Unwrap(cms, id.Cert, now.Add(time.Second), time.Time{})
	if err != nil {
		t.Fatalf("CMS signed with %s does not verify: %v", id.Key.ID(), err)
	}
	if !bytes.Equal(u.XML, msg) {
		t.Fatalf("unwrapped %q", u.XML)
	}
	if err := id.Cert.CheckSignatureFrom(id.Cert); err != nil {
		t.Fatalf("identity certificate of %s: %v", id.Key.ID(), err)
	}
}
