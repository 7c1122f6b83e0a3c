package rprun

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/vrp"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

var (
	talKeyOnce sync.Once
	talKey     *rsa.PrivateKey
	talKeyErr  error
)

// writeTAL writes a parseable TAL named name.tal into dir.
func writeTAL(t *testing.T, dir, name string) string {
	t.Helper()
	talKeyOnce.Do(func() { talKey, talKeyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if talKeyErr != nil {
		t.Fatal(talKeyErr)
	}
	spki, err := x509.MarshalPKIXPublicKey(&talKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".tal")
	data := "https://127.0.0.1/ta/" + name + ".cer\n\n" + base64.StdEncoding.EncodeToString(spki) + "\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// step is what the fake relying party returns for one run of one TAL set.
type step struct {
	vrps     []string
	aspas    []vrp.ASPA
	rejected int
	failTA   bool // the (only) trust anchor failed
	failOne  bool // one of several trust anchors failed
	err      error
}

// world is a fake relying party: per TAL name, a queue of steps (the last repeats).
type world struct {
	t     *testing.T
	mu    sync.Mutex
	steps map[string][]step
	calls []string
}

func (w *world) validate(ctx context.Context, o rp.Options, tals []rp.TAL) (*rp.Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	name := tals[0].Name
	w.calls = append(w.calls, name)
	q := w.steps[name]
	s := q[0]
	if len(q) > 1 {
		w.steps[name] = q[1:]
	}
	if s.err != nil {
		return nil, s.err
	}
	res := &rp.Result{Time: o.Clock()}
	set, err := vrp.ParseSet(s.vrps...)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, v := range set {
		res.VRPs = append(res.VRPs, rp.VRP{VRP: v, TA: name, Expires: testNow.Add(time.Hour)})
	}
	for _, a := range s.aspas {
		res.ASPAs = append(res.ASPAs, rp.ASPA{ASPA: a, TA: name, Expires: testNow.Add(time.Hour)})
	}
	for i := range s.rejected {
		res.Rejected = append(res.Rejected, rp.Rejection{URI: "rsync://h/m/x" + string(rune('a'+i)) + ".roa", Reason: "bad-hash"})
	}
	res.Stats.TALs = len(tals)
	if s.failTA || s.failOne {
		res.Stats.TALs, res.Stats.FailedTALs = len(tals)-1, 1
		res.Rejected = append(res.Rejected, rp.Rejection{URI: name + ".tal", Reason: "ta-unreachable", Detail: "timeout"})
	}
	return res, nil
}

// harness is a Runner over a fake world with a recorded RTR.
type harness struct {
	r        *Runner
	w        *world
	reg      *prometheus.Registry
	cfgMu    sync.Mutex
	cfg      vrp.Set
	served   []string
	aspas    []vrp.ASPA
	degraded []string
}

func newHarness(t *testing.T, configured []string, global bool, steps map[string][]step) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{w: &world{t: t, steps: steps}, reg: prometheus.NewRegistry()}
	h.setConfigured(t, configured...)
	c := Config{OwnTAL: writeTAL(t, dir, "road"), OwnCache: filepath.Join(dir, "rp-cache"),
		Configured: func(context.Context) (vrp.Set, error) {
			h.cfgMu.Lock()
			defer h.cfgMu.Unlock()
			return h.cfg, nil
		},
		Serve: func(vrps vrp.Set, aspas []vrp.ASPA) (uint32, bool) {
			h.served = nil
			for _, v := range vrps {
				h.served = append(h.served, v.String())
			}
			h.aspas = aspas
			return 1, true
		},
		OnDegraded: func(_ context.Context, e *DegradedError) { h.degraded = append(h.degraded, e.Feed+" "+e.Reason) },
		Validate:   h.w.validate, Clock: func() time.Time { return testNow }, Registry: h.reg}
	if global {
		c.GlobalTALs = []string{writeTAL(t, dir, "world")}
	}
	h.r = New(c)
	return h
}

func (h *harness) setConfigured(t *testing.T, ss ...string) {
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	h.cfgMu.Lock()
	h.cfg = s
	h.cfgMu.Unlock()
}

func (h *harness) run(t *testing.T, feed string) error {
	t.Helper()
	return h.r.RunOnce(context.Background(), feed)
}

func reasonOf(err error) string {
	var d *DegradedError
	if errors.As(err, &d) {
		return d.Reason
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// value reads a gauge or counter.
func value(m prometheus.Metric) float64 {
	var d dto.Metric
	m.Write(&d)
	if d.Gauge != nil {
		return d.Gauge.GetValue()
	}
	return d.Counter.GetValue()
}

const (
	vA = "192.0.2.0/24 => AS64496"
	vB = "198.51.100.0/24 => AS64497"
	vC = "203.0.113.0/24 => AS64498"
	vD = "2001:db8::/32 => AS64499"
)

// A run that loses more than the limit keeps the last good view until road's
// own approved removal explains the loss.
func TestLossKeepsLastGood(t *testing.T) {
	h := newHarness(t, []string{vA, vB}, false, map[string][]step{"road": {{vrps: []string{vA, vB}}, {vrps: []string{vA}}}})
	for i, c := range []struct {
		configured []string
		reason     string
		served     []string
		degraded   float64
	}{
		{[]string{vA, vB}, "", []string{vA, vB}, 0},
		{[]string{vA, vB}, ReasonVRPLoss, []string{vA, vB}, 1},
		{[]string{vA, vB}, ReasonVRPLoss, []string{vA, vB}, 1},
		{[]string{vA}, "", []string{vA}, 0}, // road removed vB: the loss is explained
	} {
		h.setConfigured(t, c.configured...)
		if got := reasonOf(h.run(t, FeedOwn)); got != c.reason || !slices.Equal(h.served, c.served) {
			t.Fatalf("run %d: reason %q served %q, want %q %q", i+1, got, h.served, c.reason, c.served)
		}
		if got := value(h.r.metrics.degraded.WithLabelValues(FeedOwn)); got != c.degraded {
			t.Fatalf("run %d: road_rp_degraded %v", i+1, got)
		}
	}
	if want := []string{"own rp-vrp-loss"}; !slices.Equal(h.degraded, want) {
		t.Fatalf("alarms %q, want %q (once, when the feed became degraded)", h.degraded, want)
	}
	st := h.r.Status()
	if st.Own.Runs != 4 || st.Own.Degraded() || st.Own.LastSuccess != testNow || st.Served != 1 {
		t.Fatalf("status %+v", st.Own)
	}
	if got := value(h.r.metrics.runs.WithLabelValues(FeedOwn, ReasonVRPLoss)); got != 2 {
		t.Fatalf("road_rp_runs_total{outcome=rp-vrp-loss} %v", got)
	}
}

// A small loss within the limit is accepted.
func TestLossWithinLimit(t *testing.T) {
	var ten []string
	for i := range 10 {
		ten = append(ten, "10.0."+string(rune('0'+i))+".0/24 => AS64496")
	}
	h := newHarness(t, nil, false, map[string][]step{"road": {{vrps: ten}, {vrps: ten[1:]}, {vrps: ten[3:]}}})
	for i, want := range []string{"", "", ReasonVRPLoss} {
		if got := reasonOf(h.run(t, FeedOwn)); got != want {
			t.Fatalf("run %d: %q, want %q", i+1, got, want)
		}
	}
	if len(h.served) != 9 {
		t.Fatalf("served %d VRPs, want the last good 9", len(h.served))
	}
}

// A failed run and a trust anchor that did not validate keep the last good view.
func TestFailedRunsKeepLastGood(t *testing.T) {
	h := newHarness(t, []string{vA}, false, map[string][]step{"road": {{vrps: []string{vA}},
		{err: errors.New("disk on fire")}, {failTA: true}, {vrps: []string{vA, vB}}}})
	for i, want := range []string{"", ReasonRunFailed, ReasonTAFailed, ""} {
		if got := reasonOf(h.run(t, FeedOwn)); got != want {
			t.Fatalf("run %d: %q, want %q", i+1, got, want)
		}
		if i == 2 && !slices.Equal(h.served, []string{vA}) {
			t.Fatalf("served %q while degraded", h.served)
		}
	}
	if !slices.Equal(h.served, []string{vA, vB}) {
		t.Fatalf("served %q after recovery", h.served)
	}
	if want := []string{"own rp-run-failed"}; !slices.Equal(h.degraded, want) {
		t.Fatalf("alarms %q, want %q", h.degraded, want)
	}
}

// A run with rejections in road's own repository drops its RRDP state and
// validates again in the same cycle.
func TestOwnHealsInOneRun(t *testing.T) {
	h := newHarness(t, []string{vA, vB}, false, map[string][]step{"road": {
		{vrps: []string{vA, vB}}, {vrps: []string{vA}, rejected: 1}, {vrps: []string{vA, vB, vC}}}})
	if err := h.run(t, FeedOwn); err != nil {
		t.Fatal(err)
	}
	rrdp := filepath.Join(h.r.cfg.OwnCache, ".rrdp")
	id := strings.Repeat("ab", 16)
	for _, p := range []string{filepath.Join(rrdp, id, "h", "m"), filepath.Join(rrdp, "stage-x")} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rrdp, id+".json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.setConfigured(t, vA, vB, vC)
	if err := h.run(t, FeedOwn); err != nil {
		t.Fatalf("after healing: %v", err)
	}
	if !slices.Equal(h.served, []string{vA, vB, vC}) || !slices.Equal(h.w.calls, []string{"road", "road", "road"}) {
		t.Fatalf("served %q, runs %q", h.served, h.w.calls)
	}
	ents, _ := os.ReadDir(rrdp)
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{"stage-x"}) {
		t.Fatalf("RRDP state left: %q", left)
	}
	st := h.r.Status()
	if st.Own.Heals != 1 || st.Own.Degraded() || len(st.Missing)+len(st.Extra) != 0 {
		t.Fatalf("status %+v missing %v extra %v", st.Own, st.Missing, st.Extra)
	}
}

// The configured TALs' VRPs and ASPAs reach RTR with road's own; a degraded
// global feed keeps its last good VRPs and ASPAs beside what it still sees.
func TestGlobalUnion(t *testing.T) {
	a1, a2 := vrp.NewASPA(64500, []uint32{64501, 64502}), vrp.NewASPA(64510, []uint32{64511})
	h := newHarness(t, []string{vA}, true, map[string][]step{
		"road":  {{vrps: []string{vA}}},
		"world": {{vrps: []string{vB, vC, vD}, aspas: []vrp.ASPA{a1, a2}}, {err: errors.New("fetch: timeout")}, {vrps: []string{vD}, aspas: []vrp.ASPA{a2}}},
	})
	if err := h.run(t, FeedOwn); err != nil {
		t.Fatal(err)
	}
	if err := h.run(t, FeedGlobal); err != nil {
		t.Fatal(err)
	}
	all := []string{vA, vB, vC, vD}
	wantASPAs := []vrp.ASPA{a1, a2}
	if !slices.Equal(h.served, all) || !slices.EqualFunc(h.aspas, wantASPAs, vrp.ASPA.Equal) {
		t.Fatalf("served %q %v", h.served, h.aspas)
	}
	for i, want := range []string{ReasonRunFailed, ReasonVRPLoss} {
		if got := reasonOf(h.run(t, FeedGlobal)); got != want {
			t.Fatalf("global run %d: %q, want %q", i+2, got, want)
		}
		if !slices.Equal(h.served, all) || !slices.EqualFunc(h.aspas, wantASPAs, vrp.ASPA.Equal) {
			t.Fatalf("served %q %v while degraded", h.served, h.aspas)
		}
	}
	if got := h.r.Degraded(); len(got) != 1 || got[0].Feed != FeedGlobal {
		t.Fatalf("degraded %v", got)
	}
	if got := h.r.LastGood(); len(got) != 4 {
		t.Fatalf("last good %v", got)
	}
	if err := h.r.RunOnce(context.Background(), FeedOwn); err != nil {
		t.Fatalf("own run while global is degraded: %v", err)
	}
}

// affectedRepos finds the repositories holding a rejected object.
func TestAffectedRepos(t *testing.T) {
	dir := t.TempDir()
	idA, idB := strings.Repeat("a", 32), strings.Repeat("b", 32)
	for _, p := range []string{idA + "/h1/m/pp/x.roa", idB + "/h2/m/pp/y.mft"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, p), nil, 0o644)
	}
	os.WriteFile(filepath.Join(dir, idA+".json"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, idB+".json"), nil, 0o644)
	got := affectedRepos(dir, []rp.Rejection{{URI: "rsync://h2/m/pp/gone.roa"}, {URI: "https://h1/notify.xml"},
		{URI: "rsync://h1/../../etc"}, {URI: "rsync://h3/m/x.roa"}})
	if !slices.Equal(got, []string{idB}) {
		t.Fatalf("affected %q, want [%s]", got, idB)
	}
}

// A configured TAL set's first view is taken without a failing trust anchor
// (part of the VRPs beats none); later, a failing trust anchor degrades.
func TestGlobalFirstViewWithoutOneTA(t *testing.T) {
	h := newHarness(t, []string{vA}, true, map[string][]step{
		"road":  {{vrps: []string{vA}}},
		"world": {{vrps: []string{vB}, failOne: true}, {vrps: []string{vB, vC}}, {vrps: []string{vC}, failOne: true}},
	})
	h.r.global.tals = append(h.r.global.tals, writeTAL(t, t.TempDir(), "rir2"))
	for i, c := range []struct {
		feed, reason string
		served       []string
	}{
		{FeedOwn, "", []string{vA}},
		{FeedGlobal, "", []string{vA, vB}},
		{FeedGlobal, "", []string{vA, vB, vC}},
		{FeedGlobal, ReasonTAFailed, []string{vA, vB, vC}},
	} {
		if got := reasonOf(h.run(t, c.feed)); got != c.reason || !slices.Equal(h.served, c.served) {
			t.Fatalf("run %d: %q %q, want %q %q", i+1, got, h.served, c.reason, c.served)
		}
	}
}
