package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

type emptyRoutes struct{}

func (emptyRoutes) Ready(context.Context) error { return nil }
func (emptyRoutes) Snapshot() route.Source      { return route.Slice(nil) }
func (emptyRoutes) Incomplete() []string        { return nil }

// realProposals serves the real proposal service (SQLite store, CA) behind
// the real API handlers.
func realProposals(t *testing.T) (env func(string) string, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }
	c, err := ca.New(ca.Config{RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://127.0.0.1:8443/rrdp/",
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, AS: []rpki.ASRange{{Min: 64496, Max: 64511}},
		Clock: clock, Keys: ca.NewKeyPool(0)}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	svc := proposal.New(proposal.Config{Store: st, CA: c, Routes: emptyRoutes{}, Publish: func(context.Context) error { return nil },
		Serial: func() uint64 { return 3 }, Clock: clock, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	r := chi.NewRouter()
	api.NewServer(api.Parts{Proposals: svc}, realTokens(t, "tok", nil), nil).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return func(k string) string { return map[string]string{"ROAD_SERVER": srv.URL, "ROAD_TOKEN": "tok"}[k] }, st
}

// TestDuplicateROAsAgainstRealServer: one ROA written twice in one request
// ("AS64496" and "64496", maxLength given equal to the prefix length and
// omitted) is added once, with one ROA object (one EE certificate).
func TestDuplicateROAsAgainstRealServer(t *testing.T) {
	env, st := realProposals(t)
	expect(t, runCLI(env, "roa", "add", "192.0.2.0/24 => AS64496", "192.0.2.0/24-24 => 64496", "--dry-run"), 0, ""+
		"SEVERITY  KIND       MESSAGE\n"+
		"info      duplicate  192.0.2.0/24 => AS64496 is listed twice (add[0] and add[1]); merged into one\n"+
		"info      unseen     192.0.2.0/24 => AS64496 authorizes no route seen in BGP and no intent\n"+
		"result: dry run, would add 1 and remove 0 ROA(s); nothing changed\n")
	expect(t, runCLI(env, "roa", "add", "192.0.2.0/24 => AS64496", "192.0.2.0/24-24 => 64496"), 0, ""+
		"SEVERITY  KIND       MESSAGE\n"+
		"info      duplicate  192.0.2.0/24 => AS64496 is listed twice (add[0] and add[1]); merged into one\n"+
		"info      unseen     192.0.2.0/24 => AS64496 authorizes no route seen in BGP and no intent\n"+
		"result: applied, added 1 and removed 0 ROA(s), RRDP serial 3, change 1\n")
	var roas []string
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		objs, err := tx.Objects(ca.CAName)
		for _, o := range objs {
			if o.Kind == "roa" {
				roas = append(roas, o.URI)
			}
		}
		return err
	}); err != nil || len(roas) != 1 {
		t.Fatalf("ROA objects %v %v, want one", roas, err)
	}
}

// TestIntentNoteKeptAgainstRealServer: intent add again without --note
// keeps the note; with --note it replaces it.
func TestIntentNoteKeptAgainstRealServer(t *testing.T) {
	env, _ := realProposals(t)
	expect(t, runCLI(env, "intent", "add", "192.0.2.0/24", "AS64496", "--note", "via transit A"), 0,
		"added intent 192.0.2.0/24 AS64496 (note: via transit A)\n")
	expect(t, runCLI(env, "intent", "add", "192.0.2.0/24", "64496"), 0, "added intent 192.0.2.0/24 AS64496 (note: via transit A)\n")
	expect(t, runCLI(env, "intent", "list"), 0, ""+
		"PREFIX        ORIGIN   NOTE           CREATED\n"+
		"192.0.2.0/24  AS64496  via transit A  2026-03-04T05:06:07Z\n")
	expect(t, runCLI(env, "intent", "add", "192.0.2.0/24", "AS64496", "--note", "via transit B"), 0,
		"added intent 192.0.2.0/24 AS64496 (note: via transit B)\n")
}
