package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/expiry"
)

var auditT0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

type auditBackend struct {
	api.Backend
	within []time.Duration
	ran    []string
}

func (b *auditBackend) Expiry(_ context.Context, within time.Duration) (*audit.ExpiryList, error) {
	b.within = append(b.within, within)
	return &audit.ExpiryList{Now: auditT0, Within: within, Items: []expiry.Item{
		{Kind: "mft", Name: "rsync://h/repo/ca/a.mft", Expires: auditT0.Add(24 * time.Hour), In: 24 * time.Hour}}}, nil
}

func (b *auditBackend) RunAudit(_ context.Context, kind string) (*audit.Result, error) {
	b.ran = append(b.ran, kind)
	return &audit.Result{ID: 7, Kind: kind, StartedAt: auditT0, FinishedAt: auditT0, OK: true, Summary: "fine"}, nil
}

func (b *auditBackend) Audits(_ context.Context, kind string, limit int) ([]audit.Result, error) {
	return []audit.Result{
		{ID: 2, Kind: "expiry", StartedAt: auditT0, FinishedAt: auditT0, Summary: "s2", FindingCount: 1},
		{ID: 1, Kind: "expiry", StartedAt: auditT0, FinishedAt: auditT0, OK: true, Summary: "s1"}}, nil
}

// TestExpiryAuditAgainstRealServer: roactl expiry and audit agree with the
// real handlers (within in days reaches the backend as a duration; audit
// list -o json carries each audit's kind).
func TestExpiryAuditAgainstRealServer(t *testing.T) {
	b := &auditBackend{}
	r := chi.NewRouter()
	api.NewServer(b, realTokens(t, "tok", nil), nil).Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	env := func(k string) string { return map[string]string{"ROAD_SERVER": srv.URL, "ROAD_TOKEN": "tok"}[k] }
	expect(t, runCLI(env, "expiry", "--within", "30d"), 0, ""+
		"now     2026-03-04T05:06:07Z\n"+
		"within  720h\n"+
		"\n"+
		"items:\n"+
		"KIND  NAME                     EXPIRES               IN\n"+
		"mft   rsync://h/repo/ca/a.mft  2026-03-05T05:06:07Z  24h0m0s\n")
	if len(b.within) != 1 || b.within[0] != 720*time.Hour {
		t.Fatalf("within %v", b.within)
	}
	expect(t, runCLI(env, "audit", "run", "bgp"), 0, ""+
		"id             7\n"+
		"kind           bgp\n"+
		"started_at     2026-03-04T05:06:07Z\n"+
		"finished_at    2026-03-04T05:06:07Z\n"+
		"ok             true\n"+
		"summary        fine\n"+
		"finding_count  0\n")
	res := runCLI(env, "audit", "list", "-o", "json")
	if res.code != 0 || strings.Count(res.stdout, `"kind": "expiry"`) != 2 {
		t.Fatalf("audit list -o json: %+v", res)
	}
	if len(b.ran) != 1 || b.ran[0] != "bgp" {
		t.Fatalf("ran %v", b.ran)
	}
}
