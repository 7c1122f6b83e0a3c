package proposal

import (
	"context"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

var svcT0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// noRoutes is a route table that is complete and empty.
type noRoutes struct{}

func (noRoutes) Ready(context.Context) error { return nil }
func (noRoutes) Snapshot() route.Source      { return route.Slice(nil) }
func (noRoutes) Incomplete() []string        { return nil }

// newService is a Service over a real store and CA (holding 192.0.2.0/24
// and 2001:db8::/32) that publishes nothing.
func newService(t *testing.T) (*Service, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := func() time.Time { return svcT0 }
	c, err := ca.New(ca.Config{RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://127.0.0.1:8443/rrdp/",
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")},
		AS: []rpki.ASRange{{Min: 64496, Max: 64511}}, Clock: clock, Keys: ca.NewKeyPool(0)}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Store: st, CA: c, Routes: noRoutes{}, Publish: func(context.Context) error { return nil },
		Serial: func() uint64 { return 1 }, Clock: clock, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	return s, st
}

// roaObjects counts the ROA objects the CA signed (one EE certificate each).
func roaObjects(t *testing.T, st *store.Store) []string {
	t.Helper()
	var uris []string
	err := st.View(context.Background(), func(tx *store.Tx) error {
		objs, err := tx.Objects(ca.CAName)
		for _, o := range objs {
			if o.Kind == "roa" {
				uris = append(uris, o.URI)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return uris
}

// TestProposeMergesDuplicates: one ROA written three ways in one request
// ("AS64496" and "64496" reach the API as the same number; maxLength
// omitted or equal to the prefix length) is one ROA with one EE
// certificate, reported as added once, with a duplicate finding per repeat.
func TestProposeMergesDuplicates(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	res, err := s.Propose(ctx, "admin:alice", &Request{Add: []ROA{
		{Prefix: "192.0.2.0/24", ASN: 64496, Comment: "core"},
		{Prefix: "192.0.2.0/24", MaxLength: 24, ASN: 64496},
		{Prefix: "192.0.2.0/24", MaxLength: 24, ASN: 64496, Comment: "core"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied || len(res.Added) != 1 || res.Added[0] != (ROA{Prefix: "192.0.2.0/24", MaxLength: 24, ASN: 64496, Comment: "core"}) {
		t.Fatalf("result %+v", res)
	}
	var msgs []string
	for _, f := range res.Findings {
		msgs = append(msgs, f.Severity+" "+f.Kind+": "+f.Message)
	}
	want := []string{
		"info duplicate: 192.0.2.0/24 => AS64496 is listed twice (add[0] and add[1]); merged into one",
		"info duplicate: 192.0.2.0/24 => AS64496 is listed twice (add[0] and add[2]); merged into one",
		"info unseen: 192.0.2.0/24 => AS64496 authorizes no route seen in BGP and no intent",
	}
	if len(msgs) != len(want) {
		t.Fatalf("findings %q", msgs)
	}
	for i := range want {
		if msgs[i] != want[i] {
			t.Fatalf("finding %d: %q, want %q", i, msgs[i], want[i])
		}
	}
	if uris := roaObjects(t, st); len(uris) != 1 {
		t.Fatalf("ROA objects %v, want one", uris)
	}
	h, err := s.History(ctx, 0)
	if err != nil || len(h) != 3 || h[0].Action != "roa-change" || h[0].Summary != "1 ROA(s) added, 0 removed" {
		t.Fatalf("history %+v %v", h, err)
	}

	// A repeated removal is merged too (it used to fail the second delete).
	res, err = s.Propose(ctx, "admin:alice", &Request{Remove: []ROA{
		{Prefix: "192.0.2.0/24", ASN: 64496}, {Prefix: "192.0.2.0/24", MaxLength: 24, ASN: 64496}}})
	if err != nil || !res.Applied || len(res.Removed) != 1 {
		t.Fatalf("remove twice: %+v %v", res, err)
	}
	if uris := roaObjects(t, st); len(uris) != 0 {
		t.Fatalf("ROA objects after removal %v", uris)
	}
}

// TestProposeDuplicateConflicts: copies of one ROA with different comments
// or exceptions are refused: which one the operator meant is unknown.
func TestProposeDuplicateConflicts(t *testing.T) {
	s, st := newService(t)
	_, err := s.Propose(context.Background(), "a", &Request{Add: []ROA{
		{Prefix: "192.0.2.0/24", ASN: 64496, Comment: "core"}, {Prefix: "192.0.2.0/24", MaxLength: 24, ASN: 64496, Comment: "edge"}}})
	if err == nil || err.Error() != "bad-request: add[1] repeats add[0] (192.0.2.0/24 => AS64496) with a different comment" {
		t.Fatalf("err %v", err)
	}
	_, err = s.Propose(context.Background(), "a", &Request{Add: []ROA{
		{Prefix: "192.0.2.0/24", MaxLength: 25, ASN: 64496, Exception: "ddos"}, {Prefix: "192.0.2.0/24", MaxLength: 25, ASN: 64496, Exception: "other"}}})
	if err == nil || err.Error() != "bad-request: add[1] repeats add[0] (192.0.2.0/24-25 => AS64496) with a different exception" {
		t.Fatalf("err %v", err)
	}
	if uris := roaObjects(t, st); len(uris) != 0 {
		t.Fatalf("ROA objects %v", uris)
	}
}

// TestAddIntentKeepsNote: recording an intent again without a note keeps
// the note; a new note replaces it.
func TestAddIntentKeepsNote(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for _, step := range []struct{ note, want string }{{"peering with AS64500", "peering with AS64500"}, {"", "peering with AS64500"}, {"moved to transit", "moved to transit"}} {
		in := &Intent{Prefix: "2001:db8::/32", Origin: 64497, Note: step.note}
		if err := s.AddIntent(ctx, "admin:alice", in); err != nil {
			t.Fatal(err)
		}
		if *in != (Intent{Prefix: "2001:db8::/32", Origin: 64497, Note: step.want, CreatedAt: svcT0}) {
			t.Fatalf("add %q answered %+v", step.note, *in)
		}
		l, err := s.Intents(ctx)
		if err != nil || len(l) != 1 || l[0].Note != step.want {
			t.Fatalf("after add %q: %+v %v", step.note, l, err)
		}
	}
}
