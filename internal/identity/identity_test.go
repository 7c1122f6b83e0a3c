package identity

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestGenerateIsSelfSignedBPKICA(t *testing.T) {
	id, err := Generate("road-b", t0)
	if err != nil {
		t.Fatal(err)
	}
	c := id.Cert
	if !c.IsCA || !c.BasicConstraintsValid || c.Subject.CommonName != "road-b" {
		t.Fatalf("IsCA %v CN %q", c.IsCA, c.Subject.CommonName)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	if !c.NotBefore.Equal(t0.Add(-5*time.Minute)) || !c.NotAfter.Equal(t0.Add(Validity)) {
		t.Fatalf("validity %s..%s", c.NotBefore, c.NotAfter)
	}
	o := id.OOB()
	// The SKI must be RFC 5280 method (1), what oob computes as KeyID.
	if !o.SelfSigned || !bytes.Equal(o.SKI, o.KeyID) || !bytes.Equal(c.AuthorityKeyId, o.KeyID) {
		t.Fatalf("self-signed %v SKI %x KeyID %x AKI %x", o.SelfSigned, o.SKI, o.KeyID, c.AuthorityKeyId)
	}
	// It round-trips through a real RFC 8183 child_request.
	xml, err := oob.EmitChildRequest(oob.ChildRequest{ChildHandle: "road-b", ChildBPKI: o})
	if err != nil {
		t.Fatal(err)
	}
	back, err := oob.ParseChildRequest(xml, oob.Options{})
	if err != nil || !bytes.Equal(back.ChildBPKI.DER, id.DER) {
		t.Fatalf("child_request round trip: %v", err)
	}
}

func TestSignerWrapsVerifiableCMS(t *testing.T) {
	id, err := Generate("road-b", t0)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := updown.Marshal(&updown.Message{Sender: "road-b", Recipient: "road-a", Type: updown.TypeList})
	if err != nil {
		t.Fatal(err)
	}
	cms, err := updown.Wrap(msg, id.Signer(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	u, err := updown.Unwrap(cms, id.Cert, t0.Add(time.Second), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(u.XML, msg) || !u.SigningTime.Equal(t0) {
		t.Fatalf("unwrapped %q at %s", u.XML, u.SigningTime)
	}
	other, _ := Generate("other", t0)
	if _, err := updown.Unwrap(cms, other.Cert, t0.Add(time.Second), time.Time{}); err == nil {
		t.Fatal("a message verified with another identity")
	}
}

func TestEnsureCreatesOnceAndKeepsHandle(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	a, err := Ensure(ctx, st, "first", t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Ensure(ctx, st, "second", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.DER, b.DER) || b.Handle != "first" || !b.Key.RSAPublicKey().Equal(a.Key.RSAPublicKey()) || !bytes.Equal(b.Key.Handle(), a.Key.Handle()) {
		t.Fatalf("second Ensure made a new identity (handle %q)", b.Handle)
	}
	l, err := Load(ctx, st, "active")
	if err != nil || !bytes.Equal(l.DER, a.DER) {
		t.Fatalf("Load: %v", err)
	}
	if _, err := Load(ctx, st, "next"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load next = %v, want not-found", err)
	}
}

func TestRollThenPromote(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	old, err := Ensure(ctx, st, "road", t0)
	if err != nil {
		t.Fatal(err)
	}
	next, err := Roll(ctx, st, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Roll(ctx, st, t0.Add(2*time.Hour))
	if err != nil || !bytes.Equal(again.DER, next.DER) {
		t.Fatalf("a second Roll did not return the roll under way: %v", err)
	}
	if bytes.Equal(next.DER, old.DER) || next.Handle != "road" {
		t.Fatal("roll kept the old certificate or changed the handle")
	}
	if cur, _ := Load(ctx, st, "active"); !bytes.Equal(cur.DER, old.DER) {
		t.Fatal("roll replaced the active identity before promotion")
	}
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PromoteIdentity() }); err != nil {
		t.Fatal(err)
	}
	if cur, _ := Load(ctx, st, "active"); !bytes.Equal(cur.DER, next.DER) {
		t.Fatal("promotion did not make the next identity active")
	}
	if _, err := Load(ctx, st, "next"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("next after promotion: %v", err)
	}
}

func TestFromRowRefusesMismatch(t *testing.T) {
	a, _ := Generate("a", t0)
	b, _ := Generate("b", t0)
	row := a.Row("active", t0)
	row.CertDER = b.DER
	if _, err := FromRow(row); !errors.Is(err, ErrBadIdentity) {
		t.Fatalf("mismatched key and certificate: %v", err)
	}
}
