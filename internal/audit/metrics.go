package audit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/store"
)

// collectTimeout bounds the database read of one scrape.
const collectTimeout = 5 * time.Second

// Object types of road_object_expiry_timestamp_seconds: the store's kinds,
// and "ta" for the trust anchor's self-signed certificate.
const TypeTA = "ta"

// metrics are the audits' Prometheus metrics: each audit's last run, last
// success and finding count, the consistency audit's verdict, and the
// expiry of every published object (read from the database at scrape time).
type metrics struct {
	lastRun, lastSuccess, findings *prometheus.GaugeVec // by audit
	consistencyOK                  *prometheus.GaugeVec // no label: absent before the first consistency audit

	mu   sync.Mutex
	seen map[string]bool // kinds recorded since start (a stored result from before must not overwrite them)
}

func newMetrics(reg prometheus.Registerer, s *Service) *metrics {
	g := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &metrics{
		lastRun: g("road_audit_last_run_timestamp_seconds",
			"Unix time the audit last ended, whatever its outcome (0: never since start and none stored).", "audit"),
		lastSuccess: g("road_audit_last_success_timestamp_seconds",
			"Unix time the audit last completed and stored its result, findings or not (0: never).", "audit"),
		findings: g("road_audit_findings",
			"Findings of the audit's last completed run (absent before one).", "audit"),
		consistencyOK: g("road_consistency_ok",
			"1 when the last consistency audit found nothing (the bundled relying party validated exactly the configured ROAs, fresh, nothing rejected), else 0; absent before one."),
		seen: map[string]bool{},
	}
	if reg == nil {
		return m
	}
	m.lastRun = register(reg, m.lastRun)
	m.lastSuccess = register(reg, m.lastSuccess)
	m.findings = register(reg, m.findings)
	m.consistencyOK = register(reg, m.consistencyOK)
	register(reg, prometheus.Collector(&expiryCollector{s: s, desc: expiryDesc}))
	for _, k := range Kinds {
		m.lastRun.WithLabelValues(k).Add(0)
		m.lastSuccess.WithLabelValues(k).Add(0)
	}
	return m
}

// register registers c, or returns the collector already registered in
// its place (a Service rebuilt on the same registry keeps the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(C); ok {
			return old
		}
	}
	panic(err)
}

// ran records an audit's end: res is nil when it failed.
func (m *metrics) ran(kind string, at time.Time, res *Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[kind] = true
	m.lastRun.WithLabelValues(kind).Set(unixSeconds(at))
	if res != nil {
		m.completed(kind, res)
	}
}

func (m *metrics) completed(kind string, res *Result) {
	m.lastSuccess.WithLabelValues(kind).Set(unixSeconds(res.FinishedAt))
	m.findings.WithLabelValues(kind).Set(float64(res.FindingCount))
	if kind == Consistency {
		ok := 0.0
		if res.OK {
			ok = 1
		}
		m.consistencyOK.WithLabelValues().Set(ok)
	}
}

// seed sets the metrics of the kinds not run since start from their newest
// stored result, so a restart does not read as "never audited".
func (m *metrics) seed(ctx context.Context, s *Service) error {
	for _, kind := range Kinds {
		rs, err := s.Audits(ctx, kind, 1)
		if err != nil {
			return err
		}
		m.mu.Lock()
		if len(rs) == 1 && !m.seen[kind] {
			m.lastRun.WithLabelValues(kind).Set(unixSeconds(rs[0].FinishedAt))
			m.completed(kind, &rs[0])
		}
		m.mu.Unlock()
	}
	return nil
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

var expiryDesc = prometheus.NewDesc("road_object_expiry_timestamp_seconds",
	"Unix time a published object expires: notAfter of a certificate (type ta, cer) or of a ROA's EE certificate (roa), nextUpdate of a manifest (mft) or CRL (crl).",
	[]string{"type", "uri"}, nil)

// expiryCollector reads the published objects' expiry at every scrape.
type expiryCollector struct {
	s    *Service
	desc *prometheus.Desc
}

func (c *expiryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *expiryCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	var objs []store.ObjectExpiry
	taURI := ""
	err := c.s.st.View(ctx, func(tx *store.Tx) error {
		ta, err := tx.CA(ca.TAName)
		if err == nil {
			taURI = ta.CertURI
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		objs, err = tx.ObjectExpiries()
		return err
	})
	if err != nil {
		c.s.log.Error("metrics: object expiries", "err", err)
		c.s.opt.Errors.WithLabelValues("metrics").Inc()
		return
	}
	for _, o := range objs {
		typ := o.Kind
		if o.URI == taURI {
			typ = TypeTA
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(o.NotAfter.Unix()), typ, o.URI)
	}
}
