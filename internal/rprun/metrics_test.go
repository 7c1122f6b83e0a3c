package rprun

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/roadrpki/road/internal/rp"
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
