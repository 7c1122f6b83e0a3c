package rprun

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/rpki"
)

// metrics of the relying party, by feed ("own", "global").
type metrics struct {
	vrps, rejected, degraded, success, duration *prometheus.GaugeVec
	lastRun, earliest                           *prometheus.GaugeVec
	lenient                                     *prometheus.GaugeVec // by feed and leniency code
	heals, runs                                 *prometheus.CounterVec
	served                                      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	g := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"feed"})
	}
	m := &metrics{
		vrps:     g("road_rp_vrps", "VRPs the relying party validated in its last run, by feed."),
		rejected: g("road_rp_rejected_objects", "Objects the relying party rejected in its last run, by feed."),
		degraded: g("road_rp_degraded", "1 while a feed serves its last good view because its last run failed or lost too many VRPs."),
		success: g("road_rp_last_run_success_timestamp_seconds",
			"Unix time of the start of the feed's last run that became its good view."),
		duration: g("road_rp_run_duration_seconds", "Wall time of the feed's last run (healing included)."),
		lastRun:  g("road_rp_last_run_timestamp_seconds", "Unix time of the start of the feed's last run, whatever its outcome."),
		earliest: g("road_vrp_earliest_expiry_timestamp_seconds",
			"Unix time of the earliest effective expiry (the soonest notAfter or nextUpdate on its chain from the trust anchor) among the VRPs of the feed's last good view."),
		heals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rp_heals_total",
			Help: "Runs that dropped damaged RRDP state and validated again, by feed."}, []string{"feed"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rp_runs_total",
			Help: "Relying party runs by feed and outcome (ok, or the degradation reason)."}, []string{"feed", "outcome"}),
		lenient: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "road_rp_lenient_objects",
			Help: "Objects the relying party accepted in its last run despite a departure from an RFC that deployed relying parties accept, by feed and leniency code (docs/rp-strictness.md)."},
			[]string{"feed", "code"}),
		served: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rp_served_vrps",
			Help: "VRPs the relying party last handed to RTR (all feeds, after SLURM)."}),
	}
	if reg != nil {
		reg.MustRegister(m.vrps, m.rejected, m.degraded, m.success, m.duration, m.heals, m.runs, m.served, m.lenient,
			m.lastRun, m.earliest)
	}
	return m
}

func (m *metrics) observe(feed string, start, end time.Time, res *rp.Result, degr *DegradedError) {
	m.duration.WithLabelValues(feed).Set(end.Sub(start).Seconds())
	m.lastRun.WithLabelValues(feed).Set(float64(start.UnixNano()) / 1e9)
	if res != nil {
		m.vrps.WithLabelValues(feed).Set(float64(len(res.VRPs)))
		m.rejected.WithLabelValues(feed).Set(float64(len(res.Rejected)))
		for _, code := range lenientCodes() {
			m.lenient.WithLabelValues(feed, code).Set(float64(res.Lenient[code]))
		}
	}
	if degr != nil {
		m.degraded.WithLabelValues(feed).Set(1)
		m.runs.WithLabelValues(feed, degr.Reason).Inc()
		return
	}
	m.degraded.WithLabelValues(feed).Set(0)
	m.success.WithLabelValues(feed).Set(float64(start.UnixNano()) / 1e9)
	m.runs.WithLabelValues(feed, "ok").Inc()
	if e, ok := earliestExpiry(res); ok {
		m.earliest.WithLabelValues(feed).Set(float64(e.UnixNano()) / 1e9)
	} else {
		m.earliest.DeleteLabelValues(feed) // no VRP: no expiry to watch
	}
}

// earliestExpiry is the soonest effective expiry among res's VRPs (rp
// computes each as the minimum notAfter/nextUpdate along its chain).
func earliestExpiry(res *rp.Result) (time.Time, bool) {
	var first time.Time
	if res == nil {
		return first, false
	}
	for _, v := range res.VRPs {
		if !v.Expires.IsZero() && (first.IsZero() || v.Expires.Before(first)) {
			first = v.Expires
		}
	}
	return first, !first.IsZero()
}

// lenientCodes are every leniency code, so each series exists from the
// first run on, at 0 when nothing needed it.
func lenientCodes() []string {
	out := []string{rp.LenientLastValid}
	for _, l := range rpki.Leniencies() {
		out = append(out, string(l))
	}
	return out
}
