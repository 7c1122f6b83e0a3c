package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/access"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/store"
)

// stubBackend answers for the real api.Server; embedding the interface keeps
// the test compiling as the Backend grows (unimplemented methods panic).
type stubBackend struct {
	api.Backend
	proposals []proposal.Request
	intents   []proposal.Intent
	actors    []string
}

func (b *stubBackend) Propose(_ context.Context, actor string, req *proposal.Request) (*proposal.Result, error) {
	b.proposals = append(b.proposals, *req)
	b.actors = append(b.actors, actor)
	if len(req.Add) > 0 && req.Add[0].MaxLength > 24 && !req.Force {
		return &proposal.Result{Blocked: true, Findings: []proposal.Finding{{Kind: "loose-maxlength", Severity: "block", Overridable: true,
			Message: "maxLength 25 is loose"}}}, nil
	}
	return &proposal.Result{Applied: !req.DryRun, DryRun: req.DryRun, Findings: []proposal.Finding{}, Added: req.Add, Serial: 2}, nil
}

func (b *stubBackend) AddIntent(_ context.Context, actor string, in *proposal.Intent) error {
	b.intents = append(b.intents, *in)
	return nil
}

func (b *stubBackend) RemoveIntent(_ context.Context, actor string, in *proposal.Intent) error {
	return api.NotFound("no intent %s AS%d", in.Prefix, in.Origin)
}

// realTokens is the token service over a fresh SQLite store whose admin
// token's secret is adminSecret.
func realTokens(t *testing.T, adminSecret string, clock func() time.Time) *access.Service {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens, err := access.Open(context.Background(), st, clock, adminSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// TestAgainstRealServer drives roactl against the real handlers, proving the
// wire formats agree (the server refuses unknown JSON fields).
func TestAgainstRealServer(t *testing.T) {
	b := &stubBackend{}
	r := chi.NewRouter()
	api.NewServer(b, realTokens(t, "tok", nil), nil).Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	env := func(k string) string {
		return map[string]string{"ROAD_SERVER": srv.URL, "ROAD_TOKEN": "tok", "USER": "alice"}[k]
	}
	expect(t, runCLI(env, "roa", "add", "192.0.2.0/24 => AS64496", "--dry-run"), 0,
		"no findings\nresult: dry run, would add 1 and remove 0 ROA(s); nothing changed\n")
	res := runCLI(env, "roa", "propose", "--add", "192.0.2.0/24-25 => 64496")
	expect(t, res, 3, "SEVERITY  KIND             MESSAGE\nblock     loose-maxlength  maxLength 25 is loose\n"+
		"result: blocked by 1 finding(s); nothing changed (override with --force --reason T)\n")
	expect(t, runCLI(env, "intent", "add", "2001:db8::/32", "AS64497", "--note", "v6"), 0, "added intent 2001:db8::/32 AS64497 (note: v6)\n")
	res = runCLI(env, "intent", "remove", "2001:db8::/32", "AS64497")
	if res.code != 2 || res.stderr != "roactl: server refused (404 not-found): no intent 2001:db8::/32 AS64497\n" {
		t.Fatalf("remove: %+v", res)
	}
	if len(b.proposals) != 2 || b.proposals[1].Add[0] != (proposal.ROA{Prefix: "192.0.2.0/24", MaxLength: 25, ASN: 64496}) ||
		len(b.intents) != 1 || b.intents[0] != (proposal.Intent{Prefix: "2001:db8::/32", Origin: 64497, Note: "v6"}) ||
		b.actors[0] != "admin (says: alice)" {
		t.Fatalf("backend saw %+v %+v %v", b.proposals, b.intents, b.actors)
	}
	res = runCLI(func(k string) string { return strings.ReplaceAll(env(k), "tok", "bad") }, "roa", "add", "192.0.2.0/24 => AS1")
	if res.code != 2 || !strings.Contains(res.stderr, "401 unauthorized") {
		t.Fatalf("bad token: %+v", res)
	}
}
