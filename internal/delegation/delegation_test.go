package delegation

import (
	"context"
	"errors"
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
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updownsrv"
	"github.com/roadrpki/road/internal/vrp"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// node is one road: its store and CA.
type node struct {
	st *store.Store
	ca *ca.CA
}

func newNode(t *testing.T, clk *clock, host string) *node {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := ca.New(ca.Config{RsyncBase: "rsync://" + host + "/repo/", RRDPBase: "https://" + host + "/rrdp/",
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")},
		AS: []rpki.ASRange{{Min: 64496, Max: 64511}}, Clock: clk.now, Keys: ca.NewKeyPool(0)}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &node{st: st, ca: c}
}

func (n *node) objects(t *testing.T) map[string]store.Object {
	t.Helper()
	out := map[string]store.Object{}
	if err := n.st.View(context.Background(), func(tx *store.Tx) error {
		list, err := tx.Objects(ca.CAName)
		for _, o := range list {
			out[o.URI] = o
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (n *node) roa(t *testing.T, s string) error {
	t.Helper()
	v, err := vrp.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n.st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := n.ca.ApplyChange(context.Background(), tx, []ca.NewROA{{VRP: v}}, nil)
		return err
	})
}

// roaFiles are the ROA file names the CA publishes.
func (n *node) roaFiles(t *testing.T) []string {
	var out []string
	for uri, o := range n.objects(t) {
		if o.Kind == "roa" {
			out = append(out, uri[strings.LastIndexByte(uri, '/')+1:])
		}
	}
	slices.Sort(out)
	return out
}

// TestChildOfRealParent: road B becomes the child of road A's RFC 6492
// server (internal/updownsrv) through the RFC 8183 exchange, holds exactly
// the delegated resources, withdraws the ROAs they do not cover, and
// follows A when A shrinks them.
func TestChildOfRealParent(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	a, b := newNode(t, clk, "a.example"), newNode(t, clk, "b.example")
	aID, err := identity.Generate("A", clk.t)
	if err != nil {
		t.Fatal(err)
	}
	srv := updownsrv.New(updownsrv.Config{Store: a.st, CA: a.ca, Handle: "A", Identity: aID.OOB(), Signer: aID.Signer(clk.now),
		Clock: clk.now})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	srv = updownsrv.New(updownsrv.Config{Store: a.st, CA: a.ca, Handle: "A", Identity: aID.OOB(), Signer: aID.Signer(clk.now),
		ServiceBase: ts.URL + "/", Clock: clk.now})
	ts.Config.Handler = srv

	if err := b.roa(t, "198.51.100.0/24 => AS64496"); err != nil { // under B's testbed TA
		t.Fatal(err)
	}
	changes, alarms := 0, 0
	svc := New(Config{Store: b.st, CA: b.ca, Settings: config.Delegation{Handle: "B"}, RsyncBase: "rsync://b.example/repo/", Clock: clk.now,
		Changed: func(context.Context) error { changes++; return nil }, Withdrawn: func(context.Context) error { alarms++; return nil }})
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
	if p, c, ok := b.ca.Parent(); !ok || p != "A" || c != updownsrv.ClassName {
		t.Fatalf("B's CA parent = %q %q %v, want A %s", p, c, ok, updownsrv.ClassName)
	}
	ip, as := b.ca.Resources()
	if got := resourceKey(&ip, &as); got != "192.0.2.0/25,AS64500-64500" {
		t.Errorf("B holds %s, want 192.0.2.0/25,AS64500-64500", got)
	}
	if got := b.roaFiles(t); len(got) != 0 {
		t.Errorf("B still publishes %v: 198.51.100.0/24 is not delegated", got)
	}
	if changes != 1 || alarms != 1 {
		t.Errorf("Changed called %d times, Withdrawn %d, want 1 and 1 (198.51.100.0/24 went)", changes, alarms)
	}
	// The certificate B holds is the one A publishes, and chains to A's CA.
	bCert, _ := b.ca.CertDER(ctx)
	var aCA []byte
	var published bool
	a.st.View(ctx, func(tx *store.Tx) error {
		row, _ := tx.CA(ca.CAName)
		aCA = row.CertDER
		objs, _ := tx.Objects(ca.CAName)
		for _, o := range objs {
			published = published || o.Kind == "cer" && string(o.DER) == string(bCert)
		}
		return nil
	})
	if !published {
		t.Error("B's certificate is not in A's publication point")
	}
	checkChain(t, aCA, bCert)
	// The parent-issued certificate is not B's object, but its expiry is
	// watched with B's (the expiry audit and metrics read ObjectExpiries).
	bc, _ := rpki.ParseCertificate(bCert)
	var watched []store.ObjectExpiry
	b.st.View(ctx, func(tx *store.Tx) error {
		var err error
		watched, err = tx.ObjectExpiries("cer")
		return err
	})
	var fromA []store.ObjectExpiry
	for _, w := range watched {
		if strings.HasPrefix(w.URI, "rsync://a.example/") {
			fromA = append(fromA, w)
		}
	}
	if len(fromA) != 1 || fromA[0].CA != ca.CAName || !fromA[0].NotAfter.Equal(bc.NotAfter) {
		t.Errorf("B's watched certificates %+v, want the one A issued (not after %v)", watched, bc.NotAfter)
	}

	if err := b.roa(t, "192.0.2.0/24 => AS64500"); !errors.Is(err, ca.ErrNotHeld) {
		t.Errorf("a ROA beyond the delegation: %v, want %v", err, ca.ErrNotHeld)
	}
	for _, r := range []string{"192.0.2.0/25 => AS64500", "192.0.2.64/26 => AS64500"} {
		if err := b.roa(t, r); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"192-0-2-0_25-25_AS64500.roa", "192-0-2-64_26-26_AS64500.roa"}
	if got := b.roaFiles(t); !slices.Equal(got, want) {
		t.Fatalf("B publishes %v, want %v", got, want)
	}
	for uri, o := range b.objects(t) {
		if o.Kind == "roa" {
			checkROA(t, bCert, o.DER, uri)
		}
	}

	// A shrinks B: the ROA outside goes, history names it.
	clk.t = clk.t.Add(time.Minute)
	if _, err := srv.SetResources(ctx, "test", "B", "192.0.2.0/26, AS64500"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncPeers(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got, want := b.roaFiles(t), []string{"192-0-2-0_25-25_AS64500.roa"}; len(got) != 0 {
		t.Errorf("after the shrink B publishes %v, want none (%v is no longer covered either)", got, want)
	}
	if alarms != 2 {
		t.Errorf("Withdrawn called %d times, want 2", alarms)
	}
	notHeld, err := b.ca.NotHeld(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := vrpStrings(notHeld); !slices.Equal(got, []string{"192.0.2.0/25 => AS64500", "192.0.2.64/26 => AS64500", "198.51.100.0/24 => AS64496"}) {
		t.Errorf("not held %v", got)
	}
	var last store.HistoryEntry
	b.st.View(ctx, func(tx *store.Tx) error {
		h, err := tx.History(1)
		last = h[0]
		return err
	})
	if last.Action != "parent-cert" || !strings.Contains(string(last.Detail), `"withdrawn":["192.0.2.0/25 =\u003e AS64500","192.0.2.64/26 =\u003e AS64500"`) {
		t.Errorf("last history entry %s %s: %s", last.Action, last.Summary, last.Detail)
	}
	peers, err := svc.ListPeers(ctx, Parents)
	if err != nil || len(peers) != 1 || peers[0].LastError != "" || peers[0].LastContact.IsZero() ||
		len(peers[0].Classes) != 1 || !peers[0].Classes[0].Active || peers[0].Classes[0].Resources != "AS64500, 192.0.2.0/26" {
		t.Errorf("parents %+v (%v)", peers, err)
	}

	// A parent that refuses (it no longer knows B) or is gone changes
	// nothing in B's CA; the error is recorded with the parent.
	if err := b.roa(t, "192.0.2.0/26 => AS64500"); err != nil {
		t.Fatal(err)
	}
	before, lastContact := b.objects(t), peers[0].LastContact
	if err := srv.RemoveChild(ctx, "test", "B"); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Minute)
	if err := svc.SyncPeers(ctx, true); err == nil || !strings.Contains(err.Error(), updownsrv.ReasonUnknownChild) {
		t.Errorf("sync with a parent that forgot B: %v, want %s", err, updownsrv.ReasonUnknownChild)
	}
	ts.Close()
	if err := svc.SyncPeers(ctx, true); err == nil || !strings.Contains(err.Error(), "parent-unreachable") {
		t.Errorf("sync with a parent that is gone: %v", err)
	}
	if after := b.objects(t); len(after) != len(before) {
		t.Errorf("B's objects went from %d to %d while its parent was gone", len(before), len(after))
	}
	for uri, o := range before {
		if string(b.objects(t)[uri].DER) != string(o.DER) {
			t.Errorf("%s changed while the parent was gone", uri)
		}
	}
	peers, _ = svc.ListPeers(ctx, Parents)
	if !strings.Contains(peers[0].LastError, "parent-unreachable") || !peers[0].LastContact.Equal(lastContact) {
		t.Errorf("after the failures: last error %q, last contact %v (was %v)", peers[0].LastError, peers[0].LastContact, lastContact)
	}
}

func vrpStrings(vs []vrp.VRP) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.String())
	}
	slices.Sort(out)
	return out
}

func checkChain(t *testing.T, issuerDER, childDER []byte) {
	t.Helper()
	issuer, err := rpki.ParseCertificate(issuerDER)
	if err != nil {
		t.Fatal(err)
	}
	child, err := rpki.ParseCertificate(childDER)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("B's certificate does not verify with A's CA: %v", err)
	}
}

func checkROA(t *testing.T, caDER, roaDER []byte, uri string) {
	t.Helper()
	obj, err := rpki.ParseSignedObject(roaDER)
	if err != nil {
		t.Fatalf("%s: %v", uri, err)
	}
	issuer, _ := rpki.ParseCertificate(caDER)
	if err := obj.EE.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("%s: EE does not verify with B's certificate: %v", uri, err)
	}
	if obj.EE.AIA == "" {
		t.Errorf("%s: no AIA", uri)
	}
}
