package audit

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

type fakeRP struct{ s RPSnapshot }

func (f *fakeRP) Snapshot() RPSnapshot { return f.s }

type fakeBGP struct{ a conflict.Analysis }

func (f fakeBGP) Analysis(context.Context) (conflict.Analysis, error) { return f.a, nil }

func newService(t *testing.T, view RPView, bgp Analyzer, now *time.Time) *Service {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Config{Store: st, RP: view, BGP: bgp, Timing: ca.DefaultTiming(), RPInterval: 5 * time.Minute,
		Clock: func() time.Time { return *now }, Logger: slog.New(slog.DiscardHandler),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e"}, []string{"component"})})
}

func codes(r *Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code+" "+f.Subject)
	}
	return out
}

func mustVRP(t *testing.T, s string) vrp.VRP {
	t.Helper()
	v, err := vrp.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestConsistencyReadsTheRPView: the audit sees the relying party only
// through RPView.Snapshot, and reports each state with its code.
func TestConsistencyReadsTheRPView(t *testing.T) {
	now := t0
	view := &fakeRP{}
	s := newService(t, view, nil, &now)
	ctx := context.Background()
	res, err := s.RunAudit(ctx, Consistency)
	if err != nil || res.OK || !slices.Equal(codes(res), []string{CodeRPNotRun + " "}) || res.ID != 1 {
		t.Fatalf("%v %+v", err, res)
	}

	miss, extra := mustVRP(t, "192.0.2.0/24 => AS64496"), mustVRP(t, "198.51.100.0/24 => AS64497")
	view.s = RPSnapshot{Last: &rp.Result{Rejected: []rp.Rejection{{URI: "rsync://h/r/x.roa", Reason: "bad"}}},
		LastRun: t0, Missing: []vrp.VRP{miss}, Extra: []vrp.VRP{extra}}
	res, _ = s.RunAudit(ctx, Consistency)
	want := []string{CodeMissing + " " + miss.String(), CodeExtra + " " + extra.String(), CodeRejected + " rsync://h/r/x.roa"}
	if !slices.Equal(codes(res), want) || res.Counts[CodeMissing] != 1 || res.Counts[CodeRejected] != 1 {
		t.Fatalf("%q %v", codes(res), res.Counts)
	}

	view.s = RPSnapshot{Last: &rp.Result{}, LastRun: t0, LastErr: errors.New("fetch failed")}
	now = t0.Add(11*time.Minute + time.Second) // two missed 5-minute runs and a minute
	res, _ = s.RunAudit(ctx, Consistency)
	if !slices.Equal(codes(res), []string{CodeRPError + " ", CodeRPStale + " "}) {
		t.Fatalf("%q", codes(res))
	}

	view.s = RPSnapshot{Last: &rp.Result{}, LastRun: now}
	if res, _ = s.RunAudit(ctx, Consistency); !res.OK {
		t.Fatalf("fresh and equal: %+v", res)
	}
	l, err := s.Audits(ctx, Consistency, 10)
	if err != nil || len(l) != 4 || l[0].ID != 4 || l[0].Findings != nil || l[1].FindingCount != 2 {
		t.Fatalf("%v %+v", err, l)
	}
}

func TestBGPAuditCodes(t *testing.T) {
	loose, gone := mustVRP(t, "192.0.2.0/24-25 => AS64496"), mustVRP(t, "198.51.100.0/24 => AS64497")
	r := route.Route{Prefix: gone.Prefix, Origin: 64500}
	an := conflict.Analysis{
		ROAs: []conflict.ROAReport{{ROA: loose, State: conflict.ROATooPermissive}, {ROA: gone, State: conflict.ROADisallowing,
			Disallows: []route.Route{r}}},
		Routes:    []conflict.RouteReport{{Route: r, State: vrp.ReasonInvalidASN}},
		ROAStates: map[string]int{conflict.ROATooPermissive: 1, conflict.ROADisallowing: 1}, RouteStates: map[string]int{"invalid-asn": 1},
	}
	now := t0
	res, err := newService(t, &fakeRP{}, fakeBGP{an}, &now).RunAudit(context.Background(), BGP)
	want := []string{CodeTooPermissive + " " + loose.String(), CodeDisallowing + " " + gone.String(), CodeInvalidRoute + " 198.51.100.0/24 AS64500"}
	if err != nil || !slices.Equal(codes(res), want) || res.Counts["roa:too-permissive"] != 1 {
		t.Fatalf("%v %q %v", err, codes(res), res.Counts)
	}
}

func TestUnknownKind(t *testing.T) {
	now := t0
	_, err := newService(t, &fakeRP{}, nil, &now).RunAudit(context.Background(), "nope")
	if e, ok := fault.As(err); !ok || e.Code != fault.Invalid {
		t.Fatalf("%v", err)
	}
}
