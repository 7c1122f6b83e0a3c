package daemon

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	serial  prometheus.Gauge
	objects prometheus.Gauge
	errors  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		serial: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rrdp_serial",
			Help: "Current RRDP serial of the publication."}),
		objects: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_published_objects",
			Help: "Objects in the current publication."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_errors_total",
			Help: "Errors by component."}, []string{"component"}),
	}
	reg.MustRegister(m.serial, m.objects, m.errors,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
