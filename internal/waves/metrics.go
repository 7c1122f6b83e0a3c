package waves

import "github.com/prometheus/client_golang/prometheus"

// metrics per wave (the RTR side adds serial, VRPs and clients per wave).
type metrics struct {
	promotions *prometheus.CounterVec
	rollbacks  prometheus.Counter
	checks     *prometheus.CounterVec
	pending    *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer, groups []Group) *metrics {
	m := &metrics{
		promotions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rtr_wave_promotions_total",
			Help: "Sets handed on to each RTR wave after the previous wave's hold time."}, []string{"wave"}),
		rollbacks: prometheus.NewCounter(prometheus.CounterOpts{Name: "road_rtr_wave_rollbacks_total",
			Help: "RTR wave rollbacks (health failed or by hand)."}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rtr_wave_health_checks_total",
			Help: "RTR wave health checks, per result (ok, impact, command, url)."}, []string{"result"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "road_rtr_wave_pending",
			Help: "1 when the RTR wave serves a set that has not completed its rollout."}, []string{"wave"}),
	}
	for _, g := range groups {
		m.promotions.WithLabelValues(g.Name)
		m.pending.WithLabelValues(g.Name)
	}
	if reg != nil && len(groups) > 0 {
		for _, c := range []prometheus.Collector{m.promotions, m.rollbacks, m.checks, m.pending} {
			_ = reg.Register(c)
		}
	}
	return m
}

func (m *metrics) observe(chk *Check) {
	result := "ok"
	if !chk.OK {
		result = chk.Failed
	}
	m.checks.WithLabelValues(result).Inc()
}
