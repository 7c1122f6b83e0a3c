package rtr

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are registered only when Config.Registry is set; the collectors
// exist either way so the code paths need no nil checks.
type metrics struct {
	clients   prometheus.Gauge
	byVersion *prometheus.GaugeVec
	serial    prometheus.Gauge
	vrps      prometheus.Gauge
	pdus      *prometheus.CounterVec
	bytes     *prometheus.CounterVec
	queries   *prometheus.CounterVec
	pending   prometheus.Gauge
	refused   *prometheus.CounterVec
	timedOut  *prometheus.CounterVec
	evicted   prometheus.Counter

	waveClients, waveSerial, waveVRPs *prometheus.GaugeVec // per wave (Config.Waves)
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		clients:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rtr_clients", Help: "Connected RTR clients."}),
		byVersion: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "road_rtr_clients_by_version", Help: "Connected RTR clients per negotiated protocol version."}, []string{"version"}),
		serial:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rtr_serial", Help: "Current RTR serial number."}),
		vrps:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rtr_vrps", Help: "VRPs in the current RTR generation."}),
		pdus:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rtr_pdus_sent_total", Help: "RTR PDUs sent, per protocol version."}, []string{"version"}),
		bytes:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rtr_bytes_sent_total", Help: "RTR bytes sent, per protocol version."}, []string{"version"}),
		queries:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rtr_queries_total", Help: "RTR queries received, per protocol version and kind."}, []string{"version", "kind"}),
		pending:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_rtr_clients_pending", Help: "Open RTR connections that have not sent a query yet."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rtr_connections_refused_total",
			Help: "RTR connections closed at accept, per bound (max-connections, max-per-source)."}, []string{"reason"}),
		timedOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_rtr_connections_timed_out_total",
			Help: "RTR connections closed for silence, per phase (handshake, pdu, session)."}, []string{"phase"}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{Name: "road_rtr_connections_evicted_total",
			Help: "RTR connections without a query closed to make room for a new one at max-connections."}),
		waveClients: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "road_rtr_wave_clients", Help: "Connected RTR clients per wave."}, []string{"wave"}),
		waveSerial:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "road_rtr_wave_serial", Help: "RTR serial each wave serves."}, []string{"wave"}),
		waveVRPs:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "road_rtr_wave_vrps", Help: "VRPs each wave serves."}, []string{"wave"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.clients, m.byVersion, m.serial, m.vrps, m.pdus, m.bytes, m.queries,
			m.pending, m.refused, m.timedOut, m.evicted, m.waveClients, m.waveSerial, m.waveVRPs} {
			_ = reg.Register(c) // a second server on the same registry keeps the first's collectors
		}
	}
	return m
}

func vlabel(v uint8) string { return strconv.Itoa(int(v)) }
