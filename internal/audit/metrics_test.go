package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/store"
)

type failingBGP struct{}

func (failingBGP) Analysis(context.Context) (conflict.Analysis, error) {
	return conflict.Analysis{}, errors.New("no routes")
}

// samples gathers reg as "name{label=value,...} value" lines, sorted.
func samples(t *testing.T, reg *prometheus.Registry, prefix string) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), prefix) {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			out = append(out, fmt.Sprintf("%s{%s} %v", mf.GetName(), strings.Join(ls, ","), m.GetGauge().GetValue()))
		}
	}
	slices.Sort(out)
	return out
}

func metricsService(t *testing.T, st *store.Store, reg prometheus.Registerer, view RPView, bgp Analyzer, now *time.Time) *Service {
	t.Helper()
	return New(Config{Store: st, RP: view, BGP: bgp, Timing: ca.DefaultTiming(), RPInterval: 5 * time.Minute,
		Clock: func() time.Time { return *now }, Logger: slog.New(slog.DiscardHandler), Registry: reg,
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e"}, []string{"component"})})
}

// TestAuditMetrics: each audit's last run, last success and finding count,
// road_consistency_ok, a failed run moving only the last run, and a
// restarted service reading them back from the stored results.
func TestAuditMetrics(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	now := t0
	view := &fakeRP{}
	s := metricsService(t, st, reg, view, failingBGP{}, &now)
	ts := func(t time.Time) string { return fmt.Sprint(float64(t.Unix())) }
	want := []string{
		"road_audit_last_run_timestamp_seconds{audit=bgp} 0", "road_audit_last_run_timestamp_seconds{audit=consistency} 0",
		"road_audit_last_run_timestamp_seconds{audit=expiry} 0", "road_audit_last_success_timestamp_seconds{audit=bgp} 0",
		"road_audit_last_success_timestamp_seconds{audit=consistency} 0", "road_audit_last_success_timestamp_seconds{audit=expiry} 0",
	}
	if got := samples(t, reg, "road_"); !slices.Equal(got, want) {
		t.Fatalf("before any audit:\n%s", strings.Join(got, "\n"))
	}

	// Not run yet: one finding (rp-not-run), not consistent.
	if _, err := s.RunAudit(ctx, Consistency); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(time.Minute)
	view.s = RPSnapshot{Last: &rp.Result{}, LastRun: now}
	if _, err := s.RunAudit(ctx, Expiry); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(2 * time.Minute)
	if _, err := s.RunAudit(ctx, BGP); err == nil {
		t.Fatal("the BGP audit ran without routes")
	}
	want = []string{
		"road_audit_findings{audit=consistency} 1", "road_audit_findings{audit=expiry} 0",
		"road_audit_last_run_timestamp_seconds{audit=bgp} " + ts(t0.Add(2*time.Minute)),
		"road_audit_last_run_timestamp_seconds{audit=consistency} " + ts(t0),
		"road_audit_last_run_timestamp_seconds{audit=expiry} " + ts(t0.Add(time.Minute)),
		"road_audit_last_success_timestamp_seconds{audit=bgp} 0",
		"road_audit_last_success_timestamp_seconds{audit=consistency} " + ts(t0),
		"road_audit_last_success_timestamp_seconds{audit=expiry} " + ts(t0.Add(time.Minute)),
		"road_consistency_ok{} 0",
	}
	if got := samples(t, reg, "road_"); !slices.Equal(got, want) {
		t.Fatalf("after three audits:\n got %q\nwant %q", got, want)
	}

	// The relying party validated exactly the configured ROAs: consistent.
	now = t0.Add(3 * time.Minute)
	if _, err := s.RunAudit(ctx, Consistency); err != nil {
		t.Fatal(err)
	}
	want[0] = "road_audit_findings{audit=consistency} 0"
	want[3] = "road_audit_last_run_timestamp_seconds{audit=consistency} " + ts(now)
	want[6] = "road_audit_last_success_timestamp_seconds{audit=consistency} " + ts(now)
	want[8] = "road_consistency_ok{} 1"
	if got := samples(t, reg, "road_"); !slices.Equal(got, want) {
		t.Fatalf("consistent:\n got %q\nwant %q", got, want)
	}

	// A restarted road reads the stored results back (the failed BGP
	// audit was not stored: it stays at 0).
	reg2 := prometheus.NewRegistry()
	s2 := metricsService(t, st, reg2, view, failingBGP{}, &now)
	if err := s2.met.seed(ctx, s2); err != nil {
		t.Fatal(err)
	}
	want[2] = "road_audit_last_run_timestamp_seconds{audit=bgp} 0"
	if got := samples(t, reg2, "road_"); !slices.Equal(got, want) {
		t.Fatalf("after a restart:\n got %q\nwant %q", got, want)
	}
}

// TestObjectExpiryMetric: every stored object with its type (ta for the
// trust anchor's certificate) and its notAfter or nextUpdate.
func TestObjectExpiryMetric(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const base = "rsync://127.0.0.1:8873/repo/"
	put := func(tx *store.Tx, uri, caName, kind string, notAfter time.Time) error {
		return tx.PutObject(&store.Object{URI: base + uri, CA: caName, Kind: kind, DER: []byte(uri), NotAfter: notAfter,
			SigningTime: t0, UpdatedAt: t0})
	}
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutCA(&store.CA{Name: ca.TAName, KeyDER: []byte{1}, CertDER: []byte{2}, CertURI: base + "ta/ta.cer",
			RepoURI: base + "root/", NextSerial: 2, UpdatedAt: t0}); err != nil {
			return err
		}
		if err := tx.PutCA(&store.CA{Name: ca.CAName, KeyDER: []byte{1}, CertDER: []byte{2}, CertURI: base + "root/ca.cer",
			RepoURI: base + "ca/", NextSerial: 2, UpdatedAt: t0}); err != nil {
			return err
		}
		return errors.Join(put(tx, "ta/ta.cer", ca.TAName, "cer", t0.AddDate(10, 0, 0)),
			put(tx, "root/ca.cer", ca.TAName, "cer", t0.AddDate(1, 0, 0)),
			put(tx, "root/ta.mft", ca.TAName, "mft", t0.Add(24*time.Hour)),
			put(tx, "ca/ca.crl", ca.CAName, "crl", t0.Add(25*time.Hour)),
			put(tx, "ca/x.roa", ca.CAName, "roa", t0.Add(8736*time.Hour)))
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	now := t0
	metricsService(t, st, reg, &fakeRP{}, nil, &now)
	u := func(d time.Time) string { return fmt.Sprint(float64(d.Unix())) }
	want := []string{
		"road_object_expiry_timestamp_seconds{type=cer,uri=" + base + "root/ca.cer} " + u(t0.AddDate(1, 0, 0)),
		"road_object_expiry_timestamp_seconds{type=crl,uri=" + base + "ca/ca.crl} " + u(t0.Add(25*time.Hour)),
		"road_object_expiry_timestamp_seconds{type=mft,uri=" + base + "root/ta.mft} " + u(t0.Add(24*time.Hour)),
		"road_object_expiry_timestamp_seconds{type=roa,uri=" + base + "ca/x.roa} " + u(t0.Add(8736*time.Hour)),
		"road_object_expiry_timestamp_seconds{type=ta,uri=" + base + "ta/ta.cer} " + u(t0.AddDate(10, 0, 0)),
	}
	if got := samples(t, reg, "road_object_"); !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
