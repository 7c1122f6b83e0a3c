package delegation

import (
	"context"
	"encoding/hex"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/identity"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updowncli"
	"github.com/roadrpki/road/internal/updownsrv"
)

// childKeys lists the SKIs (hex) of the certificates A holds for child B.
func childKeys(t *testing.T, a *node) []string {
	t.Helper()
	var out []string
	if err := a.st.View(context.Background(), func(tx *store.Tx) error {
		certs, err := tx.ChildCerts("B")
		for _, c := range certs {
			out = append(out, c.SKI)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestKeyRollUnderParent: B, a child of road A's RFC 6492 server, rolls
// its CA key: the new key's certificate is requested from A (A then holds
// two certificates for B), staging survives a restart of B without a
// second key being requested, activation moves B's ROA to the new key, and
// the old key's certificate is revoked at A (a revocation whose answer was
// lost, error 1302, also ends the roll).
func TestKeyRollUnderParent(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	a, b := newNode(t, clk, "a.example"), newNode(t, clk, "b.example")
	aID, err := identity.Generate("A", clk.t)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(nil)
	defer ts.Close()
	srv := updownsrv.New(updownsrv.Config{Store: a.st, CA: a.ca, Handle: "A", Identity: aID.OOB(), Signer: aID.Signer(clk.now),
		ServiceBase: ts.URL + "/", Clock: clk.now})
	ts.Config.Handler = srv
	newSvc := func() *Service {
		return New(Config{Store: b.st, CA: b.ca, Settings: config.Delegation{Handle: "B"}, RsyncBase: "rsync://b.example/repo/", Clock: clk.now})
	}
	svc := newSvc()
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
	if err := b.roa(t, "192.0.2.0/25 => AS64500"); err != nil {
		t.Fatal(err)
	}
	oldSKI, _ := b.ca.KeyID(ctx)
	oldKey := hex.EncodeToString(oldSKI)
	if got := childKeys(t, a); !slices.Equal(got, []string{oldKey}) {
		t.Fatalf("A certifies %v", got)
	}

	r, err := svc.StartRoll(ctx, "alice")
	if err != nil || r.Phase != ca.RollRequested {
		t.Fatalf("start: %+v %v", r, err)
	}
	// The issue request reaches A but its answer is lost (a crash of B):
	// the next sync asks again for the same key and A answers with the
	// certificate it issued, not a second one.
	p, err := parentPeer(ctx, b.st)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := identity.Load(ctx, b.st, "active")
	cli := &updowncli.Client{Signer: id.Signer(clk.now), Clock: clk.now}
	par, _ := parentOf(p)
	csr, ok, err := b.ca.NextCertificateRequest(ctx)
	if err != nil || !ok {
		t.Fatalf("next CSR: %v %v", ok, err)
	}
	if _, _, err := cli.Issue(ctx, par, updownsrv.ClassName, csr); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Second)
	b.ca = restartCA(t, b)
	svc = newSvc()
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	newKey := r.NewKey
	if got, want := childKeys(t, a), sorted(oldKey, newKey); !slices.Equal(got, want) {
		t.Fatalf("A certifies %v, want %v (both keys while staging)", got, want)
	}
	if r, _ := svc.KeyRoll(ctx); r.Phase != ca.RollPending || !r.ActivateAt.Equal(clk.t.Add(24*time.Hour)) {
		t.Fatalf("after the issue: %+v", r)
	}

	// A restart of B during staging: nothing is asked again.
	clk.t = clk.t.Add(time.Hour)
	b.ca = restartCA(t, b)
	svc = newSvc()
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := childKeys(t, a); len(got) != 2 {
		t.Fatalf("A certifies %v after B's restart", got)
	}
	if r, _ := svc.KeyRoll(ctx); r.Phase != ca.RollPending || r.NewKey != newKey {
		t.Fatalf("after the restart: %+v", r)
	}

	clk.t = clk.t.Add(23 * time.Hour)
	if _, err := b.ca.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	if r, _ := svc.KeyRoll(ctx); r.Phase != ca.RollActive {
		t.Fatalf("after the staging period: %+v", r)
	}
	bCert, _ := b.ca.CertDER(ctx)
	if c, _ := rpki.ParseCertificate(bCert); hex.EncodeToString(c.SKI) != newKey {
		t.Fatalf("B's certificate is for key %x, want %s", c.SKI, newKey)
	}
	for uri, o := range b.objects(t) {
		if o.Kind == "roa" {
			checkROA(t, bCert, o.DER, uri)
		}
	}

	// The revocation reaches A but its answer is lost: the next sync's
	// error 1302 ends the roll all the same.
	if p, err = parentPeer(ctx, b.st); err != nil {
		t.Fatal(err)
	}
	par, _ = parentOf(p)
	if _, err := cli.Revoke(ctx, par, updownsrv.ClassName, oldSKI); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Minute)
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := childKeys(t, a); !slices.Equal(got, []string{newKey}) {
		t.Fatalf("A certifies %v after the roll, want only %s", got, newKey)
	}
	if r, _ := svc.KeyRoll(ctx); r.Phase != ca.RollDone {
		t.Fatalf("after the revocation: %+v", r)
	}
	for _, o := range b.allObjects(t) {
		if o.CA == ca.OldName || o.CA == ca.NextName {
			t.Fatalf("%s of %s is still published", o.URI, o.CA)
		}
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func restartCA(t *testing.T, n *node) *ca.CA {
	t.Helper()
	c, err := ca.New(n.ca.Config(), n.st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func parentPeer(ctx context.Context, st *store.Store) (*store.Peer, error) {
	var p store.Peer
	err := st.View(ctx, func(tx *store.Tx) error {
		ps, err := tx.Peers(store.Parents)
		if err == nil {
			p = ps[0]
		}
		return err
	})
	return &p, err
}

func (n *node) allObjects(t *testing.T) []store.Object {
	t.Helper()
	var out []store.Object
	if err := n.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = tx.Objects("")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIdentityRoll: the next identity's requests carry its certificate;
// the active one signs until the activation.
func TestIdentityRoll(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	b := newNode(t, clk, "b.example")
	svc := New(Config{Store: b.st, CA: b.ca, Settings: config.Delegation{Handle: "B"}, RsyncBase: "rsync://b.example/repo/", Clock: clk.now})
	if _, err := svc.ChildRequest(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ := identity.Load(ctx, b.st, "active")
	creq, preq, err := svc.IdentityRoll(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	cr, err := oob.ParseChildRequest(creq, oob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := oob.ParsePublisherRequest(preq, oob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	next, _ := identity.Load(ctx, b.st, "next")
	if string(cr.ChildBPKI.DER) != string(next.DER) || string(pr.PublisherBPKI.DER) != string(next.DER) || cr.ChildHandle != "B" {
		t.Fatal("the requests do not carry the next identity")
	}
	if again, _, _ := svc.IdentityRoll(ctx, "alice"); string(again) != string(creq) {
		t.Fatal("a second roll made another identity")
	}
	if now, _ := svc.ChildRequest(ctx); string(now) == string(creq) {
		t.Fatal("the child_request changed before the activation")
	}
	if err := svc.IdentityActivate(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	active, _ := identity.Load(ctx, b.st, "active")
	if string(active.DER) != string(next.DER) || string(active.DER) == string(cur.DER) {
		t.Fatal("the next identity is not active")
	}
	if err := svc.IdentityActivate(ctx, "alice"); err == nil {
		t.Fatal("a second activation without a roll succeeded")
	}
}

// TestTestbedRollEndsWhenParented: a roll under B's testbed TA is
// cancelled when A first certifies B's CA: the new CA and its TA
// certificate are gone, and a new roll asks A.
func TestTestbedRollEndsWhenParented(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	a, b := newNode(t, clk, "a.example"), newNode(t, clk, "b.example")
	aID, err := identity.Generate("A", clk.t)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(nil)
	defer ts.Close()
	ts.Config.Handler = updownsrv.New(updownsrv.Config{Store: a.st, CA: a.ca, Handle: "A", Identity: aID.OOB(),
		Signer: aID.Signer(clk.now), ServiceBase: ts.URL + "/", Clock: clk.now})
	svc := New(Config{Store: b.st, CA: b.ca, Settings: config.Delegation{Handle: "B"}, RsyncBase: "rsync://b.example/repo/", Clock: clk.now})
	if r, err := svc.StartRoll(ctx, "alice"); err != nil || r.Phase != ca.RollPending {
		t.Fatalf("testbed roll: %+v %v", r, err)
	}
	req, _ := svc.ChildRequest(ctx)
	added, err := ts.Config.Handler.(*updownsrv.Server).AddChild(ctx, "test", "B", req, "192.0.2.0/25")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddParent(ctx, "admin", "A", added.ParentResponse); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if r, _ := svc.KeyRoll(ctx); r.Phase != ca.RollCancelled {
		t.Fatalf("after the first parent certificate: %+v", r)
	}
	for _, o := range b.allObjects(t) {
		if o.CA == ca.NextName || o.Kind == "cer" && o.CA == ca.TAName && o.URI != "rsync://b.example/repo/ta/ta.cer" {
			t.Fatalf("left behind: %s (%s)", o.URI, o.CA)
		}
	}
	if r, err := svc.StartRoll(ctx, "alice"); err != nil || r.Phase != ca.RollRequested {
		t.Fatalf("a roll under A: %+v %v", r, err)
	}
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := childKeys(t, a); len(got) != 2 {
		t.Fatalf("A certifies %v", got)
	}
}
