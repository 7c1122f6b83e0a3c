package ca

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// rollTree walks the repository from the TA as a relying party does, one
// manifest per CA certificate (RFC 6489 puts the NEW CA's files beside the
// CURRENT one's, so a manifest lists only its own CA's files): signatures,
// hashes, revocations. It returns the VRPs, the CA certificates below the
// TA by SKI, and each manifest's file names by CA SKI.
func rollTree(t *testing.T, c *CA, objs map[string]store.Object) ([]vrp.VRP, map[string]*rpki.Certificate, map[string][]string) {
	t.Helper()
	ta, err := rpki.ParseCertificate(objs[c.TACertURI()].DER)
	if err != nil {
		t.Fatal(err)
	}
	var vrps []vrp.VRP
	cas, listed := map[string]*rpki.Certificate{}, map[string][]string{}
	var walk func(issuer *rpki.Certificate, depth int)
	walk = func(issuer *rpki.Certificate, depth int) {
		so, err := rpki.ParseSignedObject(objs[issuer.SIA.Manifest].DER)
		if err != nil {
			t.Fatalf("manifest %s: %v", issuer.SIA.Manifest, err)
		}
		if err := so.EE.CheckSignatureFrom(issuer); err != nil {
			t.Fatalf("manifest %s EE: %v", issuer.SIA.Manifest, err)
		}
		mft, err := rpki.ParseManifest(so.EContent)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := rpki.ParseCRL(objs[issuer.SIA.CARepository+rpki.KeyFileName(issuer.PublicKey, ".crl")].DER)
		if err != nil || crl.CheckSignatureFrom(issuer) != nil {
			t.Fatalf("CRL of %s: %v", issuer.Subject, err)
		}
		revoked := map[string]bool{}
		for _, r := range crl.Revoked {
			revoked[r.Serial.String()] = true
		}
		ski := hex.EncodeToString(issuer.SKI)
		for _, f := range mft.Files {
			listed[ski] = append(listed[ski], f.Name)
			o, ok := objs[issuer.SIA.CARepository+f.Name]
			if !ok || sha256.Sum256(o.DER) != f.Hash {
				t.Fatalf("%s on the manifest of %s: missing or hash mismatch", f.Name, issuer.Subject)
			}
			switch o.Kind {
			case "cer":
				cert, err := rpki.ParseCertificate(o.DER)
				if err != nil || cert.CheckSignatureFrom(issuer) != nil || revoked[cert.SerialNumber.String()] {
					t.Fatalf("%s: bad or revoked (%v)", f.Name, err)
				}
				if depth == 0 {
					cas[hex.EncodeToString(cert.SKI)] = cert
					walk(cert, 1)
				}
			case "roa":
				so, err := rpki.ParseSignedObject(o.DER)
				if err != nil || so.EE.CheckSignatureFrom(issuer) != nil || revoked[so.EE.SerialNumber.String()] {
					t.Fatalf("%s: bad or revoked (%v)", f.Name, err)
				}
				roa, err := rpki.ParseROA(so.EContent)
				if err != nil {
					t.Fatal(err)
				}
				vrps = append(vrps, roa.VRPs()...)
			}
		}
	}
	walk(ta, 0)
	return vrp.NewSet(vrps), cas, listed
}

func rollOf(t *testing.T, c *CA) *Roll {
	t.Helper()
	r, err := c.KeyRoll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func caNames(t *testing.T, st *store.Store) []string {
	t.Helper()
	var out []string
	for _, n := range []string{TAName, CAName, NextName, OldName} {
		if err := st.View(context.Background(), func(tx *store.Tx) error {
			_, err := tx.CA(n)
			if err == nil {
				out = append(out, n)
			}
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestKeyRollPhases: a key roll under the testbed TA, with a restart
// (a new CA over the same database) between every phase. Every phase keeps
// the VRPs, the NEW CA publishes only its CRL until activation, activation
// moves the ROAs and the child certificate to the NEW key and leaves the
// OLD CA its CRL alone, and the end revokes the OLD CA certificate; the
// history records every phase.
func TestKeyRollPhases(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	restart := func() {
		var err error
		if c, err = New(c.cfg, st); err != nil {
			t.Fatal(err)
		}
		if err := c.Init(ctx); err != nil {
			t.Fatal(err)
		}
	}
	apply(t, c, st, []string{"192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497"}, nil)
	childKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pub, sia, err := ParseCSR(childCSR(t, childKey, "rsync://127.0.0.1:8873/repo/B/"))
	if err != nil {
		t.Fatal(err)
	}
	ip, as := entitlement(t, "198.51.100.0/25")
	child, err := issueChild(t, c, st, ChildRequest{Key: pub, SIA: sia, IP: ip, AS: as})
	if err != nil {
		t.Fatal(err)
	}
	want := []vrp.VRP{mustVRP(t, "192.0.2.0/24 => AS64496"), mustVRP(t, "2001:db8::/32-48 => AS64497")}
	check := func(phase RollPhase, wantCAs int) (map[string]*rpki.Certificate, map[string][]string) {
		t.Helper()
		if r := rollOf(t, c); phase != "" && (r == nil || r.Phase != phase) {
			t.Fatalf("phase %+v, want %s", r, phase)
		}
		vrps, cas, listed := rollTree(t, c, objects(t, st))
		if !slices.Equal(vrps, want) {
			t.Fatalf("phase %s: VRPs %v, want %v", phase, vrps, want)
		}
		if len(cas) != wantCAs {
			t.Fatalf("phase %s: %d CA certificates under the TA, want %d", phase, len(cas), wantCAs)
		}
		return cas, listed
	}
	check("", 1)
	oldSKI, _ := c.KeyID(ctx)
	oldKey := hex.EncodeToString(oldSKI)

	r, err := c.StartRoll(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if r.Phase != RollPending || r.OldKey != oldKey || r.NewKey == oldKey || !r.ActivateAt.Equal(clk.t.Add(24*time.Hour)) {
		t.Fatalf("started %+v", r)
	}
	newKey := r.NewKey
	_, listed := check(RollPending, 2)
	if got := listed[newKey]; len(got) != 1 || !strings.HasSuffix(got[0], ".crl") {
		t.Fatalf("the NEW CA's manifest lists %v, want only its CRL (RFC 6489 §2 step 3)", got)
	}
	if len(listed[oldKey]) != 4 { // 2 ROAs, the child certificate, the CRL
		t.Fatalf("the CURRENT CA's manifest lists %v", listed[oldKey])
	}
	_, err = c.StartRoll(ctx, "bob")
	if fe, ok := fault.As(err); !ok || fe.Code != fault.Conflict || !errors.Is(err, ErrRollInProgress) && !strings.Contains(err.Error(), "key-roll-in-progress") {
		t.Fatalf("second roll: %v", err)
	}

	restart()
	clk.t = clk.t.Add(23 * time.Hour) // staging: not yet; the NEW CA's manifest is renewed
	if _, err := c.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	check(RollPending, 2)
	if r := rollOf(t, c); r.NewKey != newKey {
		t.Fatalf("restart changed the new key: %s, was %s", r.NewKey, newKey)
	}
	if got := caNames(t, st); !slices.Equal(got, []string{TAName, CAName, NextName}) {
		t.Fatalf("CAs %v", got)
	}

	restart()
	clk.t = clk.t.Add(time.Hour) // end of the staging period
	if _, err := c.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	cas, listed := check(RollActive, 2)
	if got := listed[oldKey]; len(got) != 1 || !strings.HasSuffix(got[0], ".crl") {
		t.Fatalf("the OLD CA's manifest lists %v, want only its CRL (RFC 6489 §2 step 5)", got)
	}
	if len(listed[newKey]) != 4 {
		t.Fatalf("the CURRENT CA's manifest lists %v", listed[newKey])
	}
	if ski, _ := c.KeyID(ctx); hex.EncodeToString(ski) != newKey {
		t.Fatalf("current key %x, want %s", ski, newKey)
	}
	moved, err := rpki.ParseCertificate(objects(t, st)[child.URI].DER)
	if err != nil || moved.CheckSignatureFrom(cas[newKey]) != nil || !moved.PublicKey.Equal(&childKey.PublicKey) || moved.SIA != sia {
		t.Fatalf("the child certificate was not reissued under the new key: %v", err)
	}
	var onOldCRL bool
	if err := st.View(ctx, func(tx *store.Tx) error {
		list, err := tx.RevokedList(OldName, clk.t)
		for _, r := range list {
			onOldCRL = onOldCRL || r.Serial == child.Cert.SerialNumber.String()
		}
		return err
	}); err != nil || !onOldCRL {
		t.Fatalf("the child certificate under the old key is not on the OLD CA's CRL (%v)", err)
	}

	restart()
	if _, err := c.Renew(ctx); err != nil { // testbed: the TA revokes the OLD CA certificate
		t.Fatal(err)
	}
	cas, _ = check(RollDone, 1)
	if cas[newKey] == nil {
		t.Fatalf("CA certificates %v", cas)
	}
	if got := caNames(t, st); !slices.Equal(got, []string{TAName, CAName}) {
		t.Fatalf("CAs %v after the roll", got)
	}
	for uri, o := range objects(t, st) {
		if o.CA == OldName || strings.Contains(uri, base64.RawURLEncoding.EncodeToString(oldSKI)) {
			t.Fatalf("an object of the old key is still published: %s", uri)
		}
	}
	var actions []string
	if err := st.View(ctx, func(tx *store.Tx) error {
		h, err := tx.History(0)
		for _, e := range h {
			if strings.HasPrefix(e.Action, "key-roll-") {
				actions = append(actions, e.Actor+" "+e.Action)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(actions)
	if w := []string{"alice key-roll-requested", "road key-roll-active", "road key-roll-done", "road key-roll-pending"}; !slices.Equal(actions, w) {
		t.Fatalf("history %v, want %v", actions, w)
	}
}

// TestKeyRollSchedule: [ca] roll_every starts a roll once the key is that
// old; the first look only records when the key became current.
func TestKeyRollSchedule(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c, _ := newTestCA(t, clk)
	c.cfg.RollEvery, c.cfg.RollStaging = 48*time.Hour, time.Hour
	if _, err := c.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(47 * time.Hour)
	if _, err := c.Renew(ctx); err != nil || rollOf(t, c) != nil {
		t.Fatalf("rolled before roll_every: %v %+v", err, rollOf(t, c))
	}
	clk.t = clk.t.Add(time.Hour)
	if _, err := c.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	if r := rollOf(t, c); r == nil || r.Phase != RollPending || r.Actor != "schedule" {
		t.Fatalf("scheduled roll %+v", r)
	}
	clk.t = clk.t.Add(time.Hour)
	for range 2 { // activation, then the TA's revocation
		if _, err := c.Renew(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r := rollOf(t, c); r.Phase != RollDone {
		t.Fatalf("phase %s", r.Phase)
	}
	clk.t = clk.t.Add(47 * time.Hour) // the schedule counts from the activation
	if _, err := c.Renew(ctx); err != nil || rollOf(t, c).Phase != RollDone {
		t.Fatalf("rolled again too early: %v", err)
	}
}

// TestRepositoryMoveWaitsForKeyRoll: a publication point move asked for
// during a roll happens once the roll is done.
func TestRepositoryMoveWaitsForKeyRoll(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c, _ := newTestCA(t, clk)
	if _, err := c.StartRoll(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	const moved = "rsync://repo.example/repo/road/"
	if changed, err := c.SetRepository(ctx, "road", moved, "https://repo.example/notification.xml"); err != nil || changed {
		t.Fatalf("move during the roll: changed %v, %v", changed, err)
	}
	if base, _, _ := c.Repository(ctx); base != "rsync://127.0.0.1:8873/repo/ca/" {
		t.Fatalf("the publication point moved during the roll to %s", base)
	}
	clk.t = clk.t.Add(DefaultRollStaging)
	for range 2 {
		if _, err := c.Renew(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if changed, err := c.SetRepository(ctx, "road", moved, "https://repo.example/notification.xml"); err != nil || !changed {
		t.Fatalf("move after the roll: changed %v, %v", changed, err)
	}
	if base, _, _ := c.Repository(ctx); base != moved {
		t.Fatalf("publication point %s, want %s", base, moved)
	}
}

// failingKeys is a KeyStore whose Generate fails once armed (a token
// that cannot make keys).
type failingKeys struct {
	signer.KeyStore
	armed bool
}

func (f *failingKeys) Generate(ctx context.Context) (signer.Key, error) {
	if f.armed {
		return nil, errors.New("token full")
	}
	return f.KeyStore.Generate(ctx)
}

// TestFailedRollStepDoesNotBlockRenewal: a scheduled roll whose key cannot
// be made is retried later; the manifest is renewed all the same.
func TestFailedRollStepDoesNotBlockRenewal(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	keys := &failingKeys{KeyStore: c.cfg.KeyStore}
	cfg := c.cfg
	cfg.KeyStore, cfg.RollEvery = keys, 48*time.Hour
	c, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Renew(ctx); err != nil { // records when the key became current
		t.Fatal(err)
	}
	keys.armed = true
	clk.t = clk.t.Add(48 * time.Hour) // a roll is due, and so is the manifest
	changed, err := c.Renew(ctx)
	if err != nil || !changed {
		t.Fatalf("renew with a failing roll step: changed %v, %v", changed, err)
	}
	if r := rollOf(t, c); r != nil {
		t.Fatalf("roll %+v despite the failing key store", r)
	}
	var next time.Time
	st.View(ctx, func(tx *store.Tx) error {
		row, err := tx.CA(CAName)
		next = row.MftNextUpdate
		return err
	})
	if !next.After(clk.t) {
		t.Fatalf("the manifest was not renewed: nextUpdate %s", next)
	}
	keys.armed = false
	if _, err := c.Renew(ctx); err != nil || rollOf(t, c) == nil || rollOf(t, c).Phase != RollPending {
		t.Fatalf("the roll was not retried: %v %+v", err, rollOf(t, c))
	}
}
