package ca

import (
	"context"
	"crypto/sha256"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func newTestCA(t testing.TB, clk *testClock) (*CA, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pool := NewKeyPool(0)
	c, err := New(Config{
		RsyncBase: "rsync://127.0.0.1:8873/repo/",
		RRDPBase:  "https://127.0.0.1:8443/rrdp/",
		TAURIs:    []string{"https://127.0.0.1:8443/ta/ta.cer"},
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
			netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")},
		AS:    []rpki.ASRange{{Min: 64496, Max: 64511}},
		Clock: clk.now,
		Keys:  pool,
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, st
}

func mustVRP(t testing.TB, s string) vrp.VRP {
	t.Helper()
	v, err := vrp.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func objects(t testing.TB, st *store.Store) map[string]store.Object {
	t.Helper()
	out := map[string]store.Object{}
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		list, err := tx.Objects("")
		for _, o := range list {
			out[o.URI] = o
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func apply(t testing.TB, c *CA, st *store.Store, add []string, remove []string) Change {
	t.Helper()
	var adds []NewROA
	for _, s := range add {
		adds = append(adds, NewROA{VRP: mustVRP(t, s)})
	}
	var rems []vrp.VRP
	for _, s := range remove {
		rems = append(rems, mustVRP(t, s))
	}
	var ch Change
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		ch, err = c.ApplyChange(context.Background(), tx, adds, rems)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestROAFileName(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.0/24 => AS64496":           "192-0-2-0_24-24_AS64496.roa",
		"2001:db8::/32-48 => AS64497":       "2001-db8--_32-48_AS64497.roa",
		"2001:db8:100::/40 => AS4200000000": "2001-db8-100--_40-40_AS4200000000.roa",
		"203.0.113.0/24 => AS0":             "203-0-113-0_24-24_AS0.roa",
	} {
		if got := ROAFileName(mustVRP(t, in)); got != want {
			t.Errorf("ROAFileName(%s) = %s, want %s", in, got, want)
		}
	}
}

// verifyRepository checks every published object as a strict relying party
// would: chain signatures, manifests listing exactly the other files of their
// publication point with correct hashes, CRLs revoking what was replaced.
func verifyRepository(t *testing.T, c *CA, objs map[string]store.Object) (vrps []vrp.VRP) {
	t.Helper()
	ta, err := rpki.ParseCertificate(objs[c.TACertURI()].DER)
	if err != nil {
		t.Fatalf("TA: %v", err)
	}
	if err := ta.CheckSignatureFrom(ta); err != nil {
		t.Fatalf("TA self-signature: %v", err)
	}
	certs := map[string]*rpki.Certificate{"rsync://127.0.0.1:8873/repo/root/": ta}
	var walk func(repo string, issuer *rpki.Certificate)
	walk = func(repo string, issuer *rpki.Certificate) {
		mftURI := issuer.SIA.Manifest
		mo, ok := objs[mftURI]
		if !ok {
			t.Fatalf("no manifest %s", mftURI)
		}
		so, err := rpki.ParseSignedObject(mo.DER)
		if err != nil {
			t.Fatalf("manifest %s: %v", mftURI, err)
		}
		if err := so.EE.CheckSignatureFrom(issuer); err != nil {
			t.Fatalf("manifest EE: %v", err)
		}
		mft, err := rpki.ParseManifest(so.EContent)
		if err != nil {
			t.Fatal(err)
		}
		if !so.EE.NotBefore.Equal(mft.ThisUpdate) || !so.EE.NotAfter.Equal(mft.NextUpdate) {
			t.Errorf("manifest EE validity %v..%v != %v..%v (RFC 9286 §5.1)", so.EE.NotBefore, so.EE.NotAfter, mft.ThisUpdate, mft.NextUpdate)
		}
		var inDir []string
		for uri := range objs {
			if strings.HasPrefix(uri, repo) && uri != mftURI && !strings.Contains(uri[len(repo):], "/") {
				inDir = append(inDir, uri[len(repo):])
			}
		}
		slices.Sort(inDir)
		var listed []string
		for _, f := range mft.Files {
			listed = append(listed, f.Name)
			if sha256.Sum256(objs[repo+f.Name].DER) != f.Hash {
				t.Errorf("%s: hash mismatch on the manifest", f.Name)
			}
		}
		if !slices.Equal(listed, inDir) {
			t.Errorf("manifest %s lists %v, publication point holds %v", mftURI, listed, inDir)
		}
		crl, err := rpki.ParseCRL(objs[issuer.SIA.CARepository+rpki.KeyFileName(issuer.PublicKey, ".crl")].DER)
		if err != nil {
			t.Fatalf("CRL: %v", err)
		}
		if err := crl.CheckSignatureFrom(issuer); err != nil {
			t.Fatalf("CRL signature: %v", err)
		}
		revoked := map[string]bool{}
		for _, r := range crl.Revoked {
			revoked[r.Serial.String()] = true
		}
		for _, name := range listed {
			o := objs[repo+name]
			switch o.Kind {
			case "cer":
				child, err := rpki.ParseCertificate(o.DER)
				if err != nil {
					t.Fatal(err)
				}
				if err := child.CheckSignatureFrom(issuer); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if revoked[child.SerialNumber.String()] {
					t.Errorf("%s is revoked", name)
				}
				walk(child.SIA.CARepository, child)
			case "roa":
				so, err := rpki.ParseSignedObject(o.DER)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := so.EE.CheckSignatureFrom(issuer); err != nil {
					t.Fatalf("%s EE: %v", name, err)
				}
				if revoked[so.EE.SerialNumber.String()] {
					t.Errorf("%s EE is revoked", name)
				}
				roa, err := rpki.ParseROA(so.EContent)
				if err != nil {
					t.Fatal(err)
				}
				if so.EE.SIA.SignedObject != repo+name {
					t.Errorf("%s: EE SIA %s", name, so.EE.SIA.SignedObject)
				}
				vrps = append(vrps, roa.VRPs()...)
			}
		}
	}
	walk("rsync://127.0.0.1:8873/repo/root/", ta)
	_ = certs
	return vrp.NewSet(vrps)
}

func TestIssueRemoveAndRepositoryIsConsistent(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	want := []string{"192.0.2.0/24 => AS64496", "198.51.100.0/24-25 => AS64497", "2001:db8::/32 => AS64498",
		"2001:db8:100::/40 => AS4200000000", "203.0.113.0/24 => AS0"}
	ch := apply(t, c, st, want, nil)
	if len(ch.Issued) != 5 {
		t.Fatalf("issued %v", ch.Issued)
	}
	objs := objects(t, st)
	got := verifyRepository(t, c, objs)
	var wantSet []vrp.VRP
	for _, s := range want {
		wantSet = append(wantSet, mustVRP(t, s))
	}
	if !slices.Equal(got, []vrp.VRP(vrp.NewSet(wantSet))) {
		t.Fatalf("VRPs %v, want %v", got, wantSet)
	}
	oldROA := objs["rsync://127.0.0.1:8873/repo/ca/203-0-113-0_24-24_AS0.roa"]
	oldMft := ""
	for uri, o := range objs {
		if o.Kind == "mft" && o.CA == CAName {
			oldMft = uri
		}
	}
	clk.t = clk.t.Add(time.Minute)
	apply(t, c, st, []string{"198.51.100.0/25 => AS64497"}, []string{"203.0.113.0/24 => AS0"})
	objs2 := objects(t, st)
	if _, ok := objs2[oldROA.URI]; ok {
		t.Fatal("removed ROA still published")
	}
	got2 := verifyRepository(t, c, objs2)
	if len(got2) != 5 || !slices.Contains(got2, mustVRP(t, "198.51.100.0/25 => AS64497")) {
		t.Fatalf("after change: %v", got2)
	}
	// The new CRL revokes the removed ROA's EE and the replaced manifest's EE.
	crl, _ := rpki.ParseCRL(objs2[strings.TrimSuffix(oldMft, ".mft")+".crl"].DER)
	revoked := map[string]bool{}
	for _, r := range crl.Revoked {
		revoked[r.Serial.String()] = true
	}
	if !revoked[oldROA.EESerial] || !revoked[objs[oldMft].EESerial] {
		t.Errorf("CRL revokes %v; want ROA EE %s and old manifest EE %s", revoked, oldROA.EESerial, objs[oldMft].EESerial)
	}
	m1, _ := rpki.ParseSignedObject(objs[oldMft].DER)
	m2, _ := rpki.ParseSignedObject(objs2[oldMft].DER)
	mf1, _ := rpki.ParseManifest(m1.EContent)
	mf2, _ := rpki.ParseManifest(m2.EContent)
	if mf2.Number.Cmp(mf1.Number) <= 0 || !mf2.ThisUpdate.After(mf1.ThisUpdate) {
		t.Errorf("manifest number/thisUpdate did not increase: %v→%v, %v→%v", mf1.Number, mf2.Number, mf1.ThisUpdate, mf2.ThisUpdate)
	}
}

func TestApplyRefusesNotHeldAndUnknownRemoval(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := c.ApplyChange(context.Background(), tx, []NewROA{{VRP: mustVRP(t, "10.0.0.0/8 => AS1")}}, nil)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "not-held") {
		t.Errorf("not held: %v", err)
	}
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := c.ApplyChange(context.Background(), tx, nil, []vrp.VRP{mustVRP(t, "192.0.2.0/24 => AS1")})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "roa-not-configured") {
		t.Errorf("unknown removal: %v", err)
	}
}

func TestRenewReissuesManifestAndROAsInTime(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	apply(t, c, st, []string{"192.0.2.0/24 => AS64496"}, nil)
	before := objects(t, st)
	// Nothing due right after issuing.
	if changed, err := c.Renew(context.Background()); err != nil || changed {
		t.Fatalf("renew right away: changed=%v err=%v", changed, err)
	}
	// 17 h later the 24 h manifests are within the 8 h margin.
	clk.t = clk.t.Add(17 * time.Hour)
	if changed, err := c.Renew(context.Background()); err != nil || !changed {
		t.Fatalf("renew at +17h: changed=%v err=%v", changed, err)
	}
	after := objects(t, st)
	for uri, o := range after {
		if o.Kind == "mft" && o.NotAfter.Sub(clk.t) != 24*time.Hour {
			t.Errorf("%s nextUpdate %v", uri, o.NotAfter)
		}
	}
	roaURI := "rsync://127.0.0.1:8873/repo/ca/192-0-2-0_24-24_AS64496.roa"
	if string(after[roaURI].DER) != string(before[roaURI].DER) {
		t.Error("ROA reissued although far from expiry")
	}
	// 49 weeks later the ROA is within 4 weeks of expiry: reissued in place.
	clk.t = clk.t.Add(49 * 7 * 24 * time.Hour)
	if _, err := c.Renew(context.Background()); err != nil {
		t.Fatal(err)
	}
	final := objects(t, st)
	if final[roaURI].EESerial == before[roaURI].EESerial || !final[roaURI].NotAfter.After(before[roaURI].NotAfter) {
		t.Errorf("ROA not reissued: %+v", final[roaURI])
	}
	verifyRepository(t, c, final)
}
