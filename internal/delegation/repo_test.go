package delegation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/identity"
	"github.com/roadrpki/road/internal/pubcli"
	"github.com/roadrpki/road/internal/pubsrv"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updowncli"
	"github.com/roadrpki/road/internal/updownsrv"
)

// parentRoad is road A: RFC 6492 parent and RFC 8181 server on one
// HTTP server, counting the RFC 8181 queries it answers.
type parentRoad struct {
	*node
	updown  *updownsrv.Server
	pub     *pubsrv.Server
	queries atomic.Int64
}

func newParentRoad(t *testing.T, clk *clock) *parentRoad {
	t.Helper()
	a := &parentRoad{node: newNode(t, clk, "a.example")}
	id, err := identity.Generate("A", clk.t)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	a.updown = updownsrv.New(updownsrv.Config{Store: a.st, CA: a.ca, Handle: "A", Identity: id.OOB(), Signer: id.Signer(clk.now),
		ServiceBase: ts.URL + "/", Clock: clk.now})
	a.pub = pubsrv.New(pubsrv.Config{Store: a.st, Identity: id.OOB(), Signer: id.Signer(clk.now), ServiceBase: ts.URL + "/",
		RsyncBase: "rsync://a.example/repo/", RRDPNotify: "https://a.example/rrdp/notification.xml", Clock: clk.now})
	mux.Handle("/rfc6492/", a.updown)
	mux.Handle("/rfc8181/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.queries.Add(1)
		a.pub.ServeHTTP(w, r)
	}))
	return a
}

// published is what A's repository holds for publisher: URI → hash.
func (a *parentRoad) published(t *testing.T, publisher string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := a.st.View(context.Background(), func(tx *store.Tx) error {
		list, err := tx.Published(publisher)
		for _, o := range list {
			out[o.URI] = o.Hash
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// want is what B's CA publishes: URI → hash.
func (n *node) want(t *testing.T) map[string]string {
	out := map[string]string{}
	for uri, o := range n.objects(t) {
		out[uri] = pubcli.Hash(o.DER)
	}
	return out
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestChildPublishesToRealRepository: road B, child of road A, publishes
// its CA in A's repository (internal/pubsrv) over RFC 8181: its
// certificate's SIA moves to the sia_base A gave, A holds exactly B's
// objects, a sync with nothing new publishes nothing, and after a crash
// that left A's copy wrong (an object missing, one stale, one extra) the
// next sync converges.
func TestChildPublishesToRealRepository(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	a, b := newParentRoad(t, clk), newNode(t, clk, "b.example")
	svc := New(Config{Store: b.st, CA: b.ca, Settings: config.Delegation{Handle: "B"}, RsyncBase: "rsync://b.example/repo/",
		Clock: clk.now})
	req, _ := svc.ChildRequest(ctx)
	added, err := a.updown.AddChild(ctx, "test", "B", req, "192.0.2.0/24, AS64500")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddParent(ctx, "admin", "A", added.ParentResponse); err != nil {
		t.Fatal(err)
	}
	preq, _ := svc.PublisherRequest(ctx)
	padded, err := a.pub.AddPublisher(ctx, "test", "B", preq)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddRepository(ctx, "admin", "A", padded.RepositoryResponse); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := b.roa(t, "192.0.2.0/24 => AS64500"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	const base = "rsync://a.example/repo/B/"
	repo, notify, _ := b.ca.Repository(ctx)
	if repo != base || notify != "https://a.example/rrdp/notification.xml" {
		t.Errorf("B's CA publishes at %s %s", repo, notify)
	}
	der, _ := b.ca.CertDER(ctx)
	cert, _ := rpki.ParseCertificate(der)
	if cert.SIA.CARepository != base || cert.SIA.Notify != notify || !strings.HasPrefix(cert.SIA.Manifest, base) {
		t.Errorf("B's certificate SIA %+v", cert.SIA)
	}
	want := b.want(t)
	if len(want) != 3 { // ROA, manifest, CRL
		t.Fatalf("B's CA objects: %v", want)
	}
	for uri := range want {
		if !strings.HasPrefix(uri, base) {
			t.Errorf("B object %s outside %s", uri, base)
		}
	}
	if got := a.published(t, "B"); !sameMap(got, want) {
		t.Fatalf("A holds %v\nwant %v", got, want)
	}
	if local := svc.Local(toObjects(b.objects(t))); len(local) != 0 {
		t.Errorf("B would publish %d of them itself", len(local))
	}

	// Nothing new: one list query, nothing published.
	before := a.queries.Load()
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if n := a.queries.Load() - before; n != 1 {
		t.Errorf("a sync with nothing new made %d RFC 8181 queries, want 1 (list)", n)
	}

	// A crash left A's copy wrong: the next sync lists and repairs it.
	var mft string
	for uri := range want {
		if strings.HasSuffix(uri, ".mft") {
			mft = uri
		}
	}
	a.st.Update(ctx, func(tx *store.Tx) error {
		tx.DeletePublished(mft)
		return tx.PutPublished(&store.PublishedObject{URI: base + "stale.roa", Publisher: "B", DER: []byte("x"),
			Hash: pubcli.Hash([]byte("x")), UpdatedAt: clk.t})
	})
	before = a.queries.Load()
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := a.published(t, "B"); !sameMap(got, want) {
		t.Errorf("after the repair A holds %v\nwant %v", got, want)
	}
	if n := a.queries.Load() - before; n != 2 {
		t.Errorf("the repair made %d queries, want 2 (list, then one publish and withdraw)", n)
	}
	peers, _ := svc.ListPeers(ctx, Repositories)
	if len(peers) != 1 || peers[0].LastError != "" || peers[0].LastContact.IsZero() || peers[0].SIABase != base {
		t.Errorf("repositories %+v", peers)
	}
}

func toObjects(m map[string]store.Object) []store.Object {
	var out []store.Object
	for _, o := range m {
		out = append(out, o)
	}
	return out
}

// TestRevokeAtParent: the RFC 6492 revoke of updowncli makes A revoke and
// withdraw the certificate of B's key (§3.5); A's next list shows the class
// without it, and a revoke of an unknown key is A's 1302 refusal.
func TestRevokeAtParent(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	a, b := newParentRoad(t, clk), newNode(t, clk, "b.example")
	svc := New(Config{Store: b.st, CA: b.ca, Settings: config.Delegation{Handle: "B"}, RsyncBase: "rsync://b.example/repo/",
		Clock: clk.now})
	req, _ := svc.ChildRequest(ctx)
	added, err := a.updown.AddChild(ctx, "test", "B", req, "192.0.2.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddParent(ctx, "admin", "A", added.ParentResponse); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	id, err := svc.identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var row store.Peer
	b.st.View(ctx, func(tx *store.Tx) error {
		p, err := tx.Peer(store.Parents, "A")
		row = *p
		return err
	})
	par, err := parentOf(&row)
	if err != nil {
		t.Fatal(err)
	}
	cli := &updowncli.Client{Signer: id.Signer(clk.now), Clock: clk.now}
	ski, _ := b.ca.KeyID(ctx)
	clk.t = clk.t.Add(time.Second)
	if _, err := cli.Revoke(ctx, par, updownsrv.ClassName, ski); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	clk.t = clk.t.Add(time.Second)
	classes, _, err := cli.List(ctx, par)
	if err != nil || len(classes) != 1 || len(classes[0].Certificates) != 0 {
		t.Fatalf("after the revoke A lists %+v (%v)", classes, err)
	}
	if n := len(a.objects(t)); n != 2 { // A's own manifest and CRL only
		t.Errorf("A still publishes %d objects", n)
	}
	clk.t = clk.t.Add(time.Second)
	if _, err := cli.Revoke(ctx, par, updownsrv.ClassName, []byte("no such key 20 bytes")); err == nil ||
		!strings.Contains(err.Error(), "1302") {
		t.Errorf("revoke of an unknown key: %v, want the 1302 refusal", err)
	}
}
