package ca

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// certify has parent issue the CSR for entitlement and returns the
// certificate and its URI.
func certify(t *testing.T, parent *CA, pst *store.Store, csr []byte, items ...string) ([]byte, string) {
	t.Helper()
	key, sia, err := ParseCSR(csr)
	if err != nil {
		t.Fatal(err)
	}
	ip, as := entitlement(t, items...)
	cc, err := issueChild(t, parent, pst, ChildRequest{Key: key, SIA: sia, IP: ip, AS: as})
	if err != nil {
		t.Fatal(err)
	}
	return cc.DER, cc.URI
}

// pointVRPs checks the publication point of the CA certificate der in
// objs (manifest and CRL signed by it, every listed file present with its
// hash, ROAs' EE certificates issued by it) and returns its ROAs' VRPs.
func pointVRPs(t *testing.T, der []byte, objs map[string]store.Object) []string {
	t.Helper()
	issuer, err := rpki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	so, err := rpki.ParseSignedObject(objs[issuer.SIA.Manifest].DER)
	if err != nil || so.EE.CheckSignatureFrom(issuer) != nil {
		t.Fatalf("manifest %s: %v", issuer.SIA.Manifest, err)
	}
	mft, err := rpki.ParseManifest(so.EContent)
	if err != nil {
		t.Fatal(err)
	}
	if crl, err := rpki.ParseCRL(objs[issuer.SIA.CARepository+rpki.KeyFileName(issuer.PublicKey, ".crl")].DER); err != nil || crl.CheckSignatureFrom(issuer) != nil {
		t.Fatalf("CRL of %s: %v", issuer.Subject, err)
	}
	out := []string{}
	for _, f := range mft.Files {
		o, ok := objs[issuer.SIA.CARepository+f.Name]
		if !ok || sha256.Sum256(o.DER) != f.Hash {
			t.Fatalf("%s on the manifest of %s: missing or hash mismatch", f.Name, issuer.Subject)
		}
		if o.Kind != "roa" {
			continue
		}
		so, err := rpki.ParseSignedObject(o.DER)
		if err != nil || so.EE.CheckSignatureFrom(issuer) != nil {
			t.Fatalf("%s: not issued by %s (%v)", f.Name, issuer.Subject, err)
		}
		roa, err := rpki.ParseROA(so.EContent)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range roa.VRPs() {
			out = append(out, v.String())
		}
	}
	slices.Sort(out)
	return out
}

// TestResourceClasses: a second class gets its own CA instance (key,
// certificate, publication point below the first's, manifest, CRL); each
// ROA is issued by the instance covering it, one spanning both classes is
// refused, a shrink of the second class withdraws what it no longer
// covers, the state survives a restart, and a class that disappears
// withdraws its CA's objects.
func TestResourceClasses(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	a, ast := newTestCA(t, clk)
	b, bst := newTestCA(t, clk)

	csr, err := b.CertificateRequest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	der1, uri1 := certify(t, a, ast, csr, "192.0.2.0/25", "AS64500")
	if _, err := b.InstallIssuedCert(ctx, "test", "A", "one", der1, uri1); err != nil {
		t.Fatal(err)
	}
	name, err := b.EnsureClassCA(ctx, "A", "two")
	if err != nil || name != "ca:A:two" {
		t.Fatalf("EnsureClassCA = %q, %v", name, err)
	}
	if again, err := b.EnsureClassCA(ctx, "A", "two"); err != nil || again != name {
		t.Fatalf("EnsureClassCA again = %q, %v", again, err)
	}
	repo, held, err := b.ClassRepository(ctx, name)
	if err != nil || repo != "rsync://127.0.0.1:8873/repo/ca/1/" || len(held) != 0 {
		t.Fatalf("ClassRepository = %q, %d bytes, %v", repo, len(held), err)
	}
	ski1, _ := b.KeyID(ctx)
	ski2, _ := b.ClassKeyID(ctx, name)
	if slices.Equal(ski1, ski2) {
		t.Fatal("the second class uses the first class's key")
	}
	csr2, err := b.ClassCertificateRequest(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	der2, uri2 := certify(t, a, ast, csr2, "192.0.2.128/25", "198.51.100.0/24")
	if _, err := b.InstallIssuedCert(ctx, "test", "A", "two", der2, uri2); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("the second class's certificate installed as the first's: %v", err)
	}
	inst, err := b.InstallClassCert(ctx, "test", name, der2, uri2)
	if err != nil || !inst.Changed || !slices.Equal(inst.Resources, []string{"192.0.2.128/25", "198.51.100.0/24"}) {
		t.Fatalf("InstallClassCert = %+v, %v", inst, err)
	}
	ip, as := b.Resources()
	if got := resourceStrings(ip, as); !slices.Equal(got, []string{"192.0.2.0/24", "198.51.100.0/24", "AS64500"}) {
		t.Fatalf("resources = %v", got)
	}

	apply(t, b, bst, []string{"192.0.2.0/25 => AS64500", "198.51.100.0/24 => AS64501", "192.0.2.128/26 => AS64502"}, nil)
	err = bst.Update(ctx, func(tx *store.Tx) error {
		_, err := b.ApplyChange(ctx, tx, []NewROA{{VRP: mustVRP(t, "192.0.2.0/24 => AS64503")}}, nil)
		return err
	})
	if !errors.Is(err, ErrNotHeld) {
		t.Fatalf("a ROA spanning two classes: %v", err)
	}
	objs := objects(t, bst)
	if got := pointVRPs(t, der1, objs); !slices.Equal(got, []string{"192.0.2.0/25 => AS64500"}) {
		t.Fatalf("first class's ROAs: %v", got)
	}
	if got := pointVRPs(t, der2, objs); !slices.Equal(got, []string{"192.0.2.128/26 => AS64502", "198.51.100.0/24 => AS64501"}) {
		t.Fatalf("second class's ROAs: %v", got)
	}
	for uri, o := range objs {
		if o.Kind == "roa" && (o.CA == name) != (uri[:len(repo)] == repo) {
			t.Fatalf("%s belongs to %s", uri, o.CA)
		}
	}

	// A restart reads both classes back.
	b2, err := New(b.cfg, bst)
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if ip2, as2 := b2.Resources(); !slices.Equal(resourceStrings(ip2, as2), resourceStrings(ip, as)) || !b2.Holds(mustVRP(t, "198.51.100.0/24 => AS1").Prefix) {
		t.Fatalf("after a restart: %v", resourceStrings(ip2, as2))
	}

	// The second class shrinks: its ROA outside is withdrawn.
	der3, uri3 := certify(t, a, ast, csr2, "192.0.2.128/25")
	inst, err = b2.InstallClassCert(ctx, "parent:A", name, der3, uri3)
	if err != nil || vrpStrings(inst.Withdrawn)[0] != "198.51.100.0/24 => AS64501" || len(inst.Withdrawn) != 1 {
		t.Fatalf("shrink: %+v, %v", inst, err)
	}
	objs = objects(t, bst)
	if got := pointVRPs(t, der3, objs); !slices.Equal(got, []string{"192.0.2.128/26 => AS64502"}) {
		t.Fatalf("second class's ROAs after the shrink: %v", got)
	}
	if nh, err := b2.NotHeld(ctx); err != nil || !slices.Equal(vrpStrings(nh), []string{"198.51.100.0/24 => AS64501"}) {
		t.Fatalf("NotHeld = %v, %v", nh, err)
	}

	// The class disappears: everything its CA published is withdrawn.
	inst, err = b2.DropClassCA(ctx, "parent:A", name)
	if err != nil || !slices.Equal(vrpStrings(inst.Withdrawn), []string{"192.0.2.128/26 => AS64502", "198.51.100.0/24 => AS64501"}) {
		t.Fatalf("drop: %+v, %v", inst, err)
	}
	for uri, o := range objects(t, bst) {
		if o.CA == name {
			t.Fatalf("%s still published after the class went", uri)
		}
	}
	if got := pointVRPs(t, der1, objects(t, bst)); !slices.Equal(got, []string{"192.0.2.0/25 => AS64500"}) {
		t.Fatalf("first class's ROAs after the drop: %v", got)
	}
}
