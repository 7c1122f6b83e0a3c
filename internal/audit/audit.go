// Package audit runs the scheduled checks of what road published: the expiry
// audit (effective expiry of objects and VRPs, stale manifests and CRLs per
// RFC 9286 §6.3), the consistency audit (the bundled relying party's VRPs
// against the configured ROAs, and its freshness) and the BGP audit (the ROA
// set against the routes seen, RFC 6811 and RFC 9319). It stores each result
// and posts those with findings to the alert webhook.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/expiry"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// ScheduleOptions are robfig/cron specs ("@every 15s", "0 * * * *") of the
// scheduled audits; "" leaves an audit unscheduled (it still runs on request).
type ScheduleOptions struct {
	Expiry      string
	Consistency string
	BGP         string
}

// AlertOptions configure the audits' alerting.
type AlertOptions struct {
	// ExpiryWarning: the expiry audit reports what expires within this
	// (0: DefaultExpiryWarning).
	ExpiryWarning time.Duration
	// Webhook, when set, receives every audit result that has findings as a
	// JSON POST (Result).
	Webhook string
	// WebhookTimeout bounds one POST (0: DefaultWebhookTimeout).
	WebhookTimeout time.Duration
	// WebhookClient sends the POSTs (nil: http.DefaultClient).
	WebhookClient *http.Client
	// WebhookAttempts is how often a POST is tried before the alert is
	// given up (0: DefaultWebhookAttempts); WebhookBackoff the wait before
	// the second try, doubling after (0: DefaultWebhookBackoff).
	WebhookAttempts int
	WebhookBackoff  time.Duration
}

// Audit defaults and bounds.
const (
	DefaultExpiryWarning   = 72 * time.Hour
	DefaultWebhookTimeout  = 10 * time.Second
	DefaultWebhookAttempts = 3
	DefaultWebhookBackoff  = 500 * time.Millisecond
	// MaxAuditFindings bounds the findings one audit stores and sends.
	MaxAuditFindings = 1000
)

// Audit kinds.
const (
	Expiry      = "expiry"      // effective expiry of objects and VRPs
	Consistency = "consistency" // bundled RP's VRPs == configured ROAs, and RP freshness
	BGP         = "bgp"         // ROA set vs the routes seen
)

// Kinds lists every audit kind in a stable order.
var Kinds = []string{Consistency, Expiry, BGP}

// Finding codes: what the audits report (Finding.Code).
const (
	// expiry
	CodeExpired  = expiry.Expired
	CodeStale    = expiry.Stale
	CodeExpiring = expiry.Expiring
	// consistency
	CodeRPNotRun = "rp-not-run"
	CodeRPError  = "rp-error"
	CodeRPStale  = "rp-stale"
	CodeMissing  = "missing"
	CodeExtra    = "extra"
	CodeRejected = "rejected"
	// bgp
	CodeTooPermissive = conflict.ROATooPermissive
	CodeDisallowing   = conflict.ROADisallowing
	CodeNotHeld       = conflict.ROANotHeld
	CodeInvalidRoute  = "invalid-route"
)

// Finding severities.
const (
	SeverityError = "error"
	SeverityWarn  = "warn"
)

// Finding is one problem an audit found.
type Finding struct {
	Code     string    `json:"code"`
	Severity string    `json:"severity"`
	Subject  string    `json:"subject,omitempty"`
	Expires  time.Time `json:"expires,omitzero"`
	Message  string    `json:"message"`
}

// Result is one audit run; OK means no finding. Its JSON is what the
// webhook receives.
type Result struct {
	ID           int64          `json:"id"`
	Kind         string         `json:"kind"`
	StartedAt    time.Time      `json:"started_at"`
	FinishedAt   time.Time      `json:"finished_at"`
	OK           bool           `json:"ok"`
	Summary      string         `json:"summary"`
	FindingCount int            `json:"finding_count"`
	Counts       map[string]int `json:"counts,omitempty"`
	Findings     []Finding      `json:"findings,omitempty"`
	Truncated    bool           `json:"truncated,omitempty"` // findings were cut at the bound
}

func (r *Result) add(code, severity, subject, message string) {
	r.Findings = append(r.Findings, Finding{Code: code, Severity: severity, Subject: subject, Message: message})
}

// RPSnapshot is the bundled relying party's state as the audits read it.
type RPSnapshot struct {
	Last    *rp.Result // the last successful run; nil before one
	LastRun time.Time  // when the last run started (zero: never)
	LastErr error      // the last run's error
	// Missing are configured ROAs the RP did not validate, Extra validated
	// VRPs that are not configured.
	Missing, Extra []vrp.VRP
}

// RPView is how the audits see the bundled relying party.
type RPView interface {
	Snapshot() RPSnapshot
}

// Analyzer gives the BGP analysis of the current ROA set and routes.
type Analyzer interface {
	Analysis(ctx context.Context) (conflict.Analysis, error)
}

// Config is what the audits read and where their results go.
type Config struct {
	Store      *store.Store
	RP         RPView
	BGP        Analyzer
	Impact     ImpactSource  // nil: the BGP audit leaves out resilience and impact (impact.go)
	Timing     ca.Timing     // the CA's reissue margins (renewal overdue = half of them)
	RPInterval time.Duration // the bundled RP's period
	Schedule   ScheduleOptions
	Alerts     AlertOptions
	Clock      func() time.Time
	Logger     *slog.Logger
	Errors     *prometheus.CounterVec // by component: "webhook", "audit", "metrics"
	Version    string
	// Registry gets the audits' metrics (metrics.go); nil: not registered.
	Registry prometheus.Registerer
}

// Service runs, stores, lists and schedules audits.
type Service struct {
	opt  Config
	st   *store.Store
	log  *slog.Logger
	hook *Webhook // nil: no webhook
	met  *metrics
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{opt: c, st: c.Store, log: c.Logger}
	s.met = newMetrics(c.Registry, s)
	if a := c.Alerts; a.Webhook != "" {
		s.hook = &Webhook{URL: a.Webhook, Client: a.WebhookClient, Timeout: a.WebhookTimeout,
			Attempts: a.WebhookAttempts, Backoff: a.WebhookBackoff, UserAgent: "road/" + c.Version}
	}
	return s
}

func (s *Service) clock() time.Time { return s.opt.Clock() }

// RunAudit runs one audit now, stores the result and, when it has findings
// and a webhook is configured, posts it there.
func (s *Service) RunAudit(ctx context.Context, kind string) (*Result, error) {
	if !slices.Contains(Kinds, kind) {
		return nil, fault.Invalidf("audit kind %q: want one of consistency, expiry, bgp", kind)
	}
	res, err := s.runAudit(ctx, kind)
	if err != nil {
		s.met.ran(kind, s.clock(), nil)
		return nil, fmt.Errorf("audit %s: %w", kind, err)
	}
	s.met.ran(kind, res.FinishedAt, res)
	if !res.OK {
		s.log.Warn("audit findings", "kind", kind, "id", res.ID, "findings", res.FindingCount, "summary", res.Summary)
		if s.hook != nil {
			if err := s.hook.Send(ctx, res); err != nil {
				s.log.Error("audit webhook", "kind", kind, "id", res.ID, "err", err)
				s.opt.Errors.WithLabelValues("webhook").Inc()
			}
		}
	}
	return res, nil
}

// runAudit runs one audit of a known kind and stores its result.
func (s *Service) runAudit(ctx context.Context, kind string) (*Result, error) {
	res := &Result{Kind: kind, StartedAt: s.clock().UTC()}
	var err error
	switch kind {
	case Expiry:
		err = s.auditExpiry(ctx, res)
	case Consistency:
		s.auditConsistency(res)
	case BGP:
		err = s.auditBGP(ctx, res)
	}
	if err != nil {
		return nil, err
	}
	res.FindingCount = len(res.Findings)
	if len(res.Findings) > MaxAuditFindings {
		res.Findings, res.Truncated = res.Findings[:MaxAuditFindings], true
	}
	res.OK = res.FindingCount == 0
	res.FinishedAt = s.clock().UTC()
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		res.ID, err = tx.AppendAudit(&store.Audit{Kind: kind, StartedAt: res.StartedAt, FinishedAt: res.FinishedAt,
			OK: res.OK, Summary: res.Summary}, auditDetail{FindingCount: res.FindingCount, Counts: res.Counts,
			Findings: res.Findings, Truncated: res.Truncated})
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// auditDetail is the stored JSON of one audit.
type auditDetail struct {
	FindingCount int            `json:"finding_count"`
	Counts       map[string]int `json:"counts,omitempty"`
	Findings     []Finding      `json:"findings,omitempty"`
	Truncated    bool           `json:"truncated,omitempty"`
}

// Audits lists stored audit results newest first (without their findings).
func (s *Service) Audits(ctx context.Context, kind string, limit int) ([]Result, error) {
	out := []Result{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Audits(kind, limit)
		for _, a := range as {
			r := Result{ID: a.ID, Kind: a.Kind, StartedAt: a.StartedAt, FinishedAt: a.FinishedAt, OK: a.OK, Summary: a.Summary}
			var det auditDetail
			if json.Unmarshal(a.Detail, &det) == nil {
				r.FindingCount, r.Counts, r.Truncated = det.FindingCount, det.Counts, det.Truncated
			}
			out = append(out, r)
		}
		return err
	})
	return out, err
}
