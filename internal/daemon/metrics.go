package daemon

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	serial     prometheus.Gauge
	objects    prometheus.Gauge
	errors     *prometheus.CounterVec
	rpVRPs     prometheus.Gauge
	rpRejected prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		serial: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rrdp_serial",
			Help: "Current RRDP serial of the publication."}),
		objects: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_published_objects",
			Help: "Objects in the current publication."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_errors_total",
			Help: "Errors by component."}, []string{"component"}),
		rpVRPs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rp_vrps",
			Help: "VRPs the bundled relying party validated in its last run."}),
		rpRejected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rp_rejected_objects",
			Help: "Objects the bundled relying party rejected in its last run."}),
	}
	reg.MustRegister(m.serial, m.objects, m.errors, m.rpVRPs, m.rpRejected,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
