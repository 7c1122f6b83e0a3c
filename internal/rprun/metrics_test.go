package rprun

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/vrp"
)

func TestLenientMetrics(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry())
	now := time.Unix(1700000000, 0)
	m.observe("global", now, now.Add(time.Second), &rp.Result{Lenient: map[string]int{"ber-encoding": 9718, "pp-last-valid": 2}}, nil)
	for code, want := range map[string]float64{"ber-encoding": 9718, "pp-last-valid": 2, "crl-empty-revoked-list": 0, "manifest-ee-validity-mismatch": 0} {
		var pm dto.Metric
		if err := m.lenient.WithLabelValues("global", code).Write(&pm); err != nil {
			t.Fatal(err)
		}
		if got := pm.GetGauge().GetValue(); got != want {
			t.Errorf("road_rp_lenient_objects{feed=global,code=%s} = %v, want %v", code, got, want)
		}
	}
}

// TestRunMetrics: the last run's start, its duration, the degraded flag and
// the earliest VRP expiry of the last good view, exactly.
func TestRunMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	start := time.Unix(1700000000, 500_000_000)
	v1, _ := vrp.Parse("192.0.2.0/24 => AS64496")
	v2, _ := vrp.Parse("198.51.100.0/24 => AS64497")
	res := &rp.Result{VRPs: []rp.VRP{{VRP: v1, Expires: start.Add(48 * time.Hour)}, {VRP: v2, Expires: start.Add(24 * time.Hour)}}}
	m.observe("own", start, start.Add(1500*time.Millisecond), res, nil)
	want := map[string]float64{
		"road_rp_last_run_timestamp_seconds":         1700000000.5,
		"road_rp_last_run_success_timestamp_seconds": 1700000000.5,
		"road_rp_run_duration_seconds":               1.5,
		"road_rp_degraded":                           0,
		"road_vrp_earliest_expiry_timestamp_seconds": 1700000000.5 + 24*3600,
	}
	checkGauges(t, reg, "own", want)

	// A degraded run moves the last run, not the success nor the expiry of
	// the good view RTR keeps.
	later := start.Add(time.Hour)
	m.observe("own", later, later.Add(time.Second), nil, &DegradedError{Feed: "own", Reason: ReasonRunFailed})
	want["road_rp_last_run_timestamp_seconds"] = 1700000000.5 + 3600
	want["road_rp_run_duration_seconds"] = 1
	want["road_rp_degraded"] = 1
	checkGauges(t, reg, "own", want)

	// A good run without VRPs has no expiry to report.
	m.observe("own", later, later, &rp.Result{}, nil)
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "road_vrp_earliest_expiry_timestamp_seconds" && len(mf.GetMetric()) > 0 {
			t.Fatalf("earliest expiry kept without VRPs: %v", mf.GetMetric())
		}
	}
}

func checkGauges(t *testing.T, reg *prometheus.Registry, feed string, want map[string]float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "feed" && l.GetValue() == feed && m.GetGauge() != nil {
					got[mf.GetName()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("%s{feed=%q} = %v (present %v), want %v", name, feed, g, ok, w)
		}
	}
}
