// Package audit runs the scheduled checks of what road published: the expiry
// audit (effective expiry of objects and VRPs, stale manifests and CRLs per
// RFC 9286 §6.3), the consistency audit (the bundled relying party's VRPs
// against the configured ROAs, and its freshness) and the BGP audit (the ROA
// set against the routes seen, RFC 6811 and RFC 9319). It stores each result
// and posts those with findings to the alert webhook.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/roadrpki/road/internal/api"
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
	// JSON POST (api.AuditResult).
	Webhook string
	// WebhookTimeout bounds one POST (0: DefaultWebhookTimeout).
	WebhookTimeout time.Duration
}

// Audit defaults and bounds.
const (
	DefaultExpiryWarning  = 72 * time.Hour
	DefaultWebhookTimeout = 10 * time.Second
	// MaxAuditFindings bounds the findings one audit stores and sends.
	MaxAuditFindings = 1000
)

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
	Timing     ca.Timing     // the CA's reissue margins (renewal overdue = half of them)
	RPInterval time.Duration // the bundled RP's period (0: DefaultRPInterval)
	Schedule   ScheduleOptions
	Alerts     AlertOptions
	Clock      func() time.Time
	Logger     *slog.Logger
	Errors     *prometheus.CounterVec // by component: "webhook", "audit"
	Version    string
}

// Service runs, stores, lists and schedules audits.
type Service struct {
	opt Config
	st  *store.Store
	log *slog.Logger
}

// New returns a Service.
func New(c Config) *Service {
	return &Service{opt: c, st: c.Store, log: c.Logger}
}

// DefaultRPInterval is the bundled RP's period when Config.RPInterval is 0.
const DefaultRPInterval = 5 * time.Minute

func (d *Service) clock() time.Time { return d.opt.Clock() }

// RunAudit runs one audit now, stores the result and, when it has findings
// and a webhook is configured, posts it there.
func (d *Service) RunAudit(ctx context.Context, kind string) (*api.AuditResult, error) {
	res := &api.AuditResult{Kind: kind, StartedAt: d.clock().UTC()}
	var err error
	switch kind {
	case api.AuditExpiry:
		err = d.auditExpiry(ctx, res)
	case api.AuditConsistency:
		d.auditConsistency(res)
	case api.AuditBGP:
		err = d.auditBGP(ctx, res)
	default:
		return nil, fault.Invalidf("audit kind %q: want one of consistency, expiry, bgp", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", kind, err)
	}
	res.FindingCount = len(res.Findings)
	if len(res.Findings) > MaxAuditFindings {
		res.Findings, res.Truncated = res.Findings[:MaxAuditFindings], true
	}
	res.OK = res.FindingCount == 0
	res.FinishedAt = d.clock().UTC()
	err = d.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		res.ID, err = tx.AppendAudit(&store.Audit{Kind: kind, StartedAt: res.StartedAt, FinishedAt: res.FinishedAt,
			OK: res.OK, Summary: res.Summary}, auditDetail{FindingCount: res.FindingCount, Counts: res.Counts,
			Findings: res.Findings, Truncated: res.Truncated})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", kind, err)
	}
	if !res.OK {
		d.log.Warn("audit findings", "kind", kind, "id", res.ID, "findings", res.FindingCount, "summary", res.Summary)
		if d.opt.Alerts.Webhook != "" {
			if err := d.postAlert(ctx, res); err != nil {
				d.log.Error("audit webhook", "kind", kind, "id", res.ID, "err", err)
				d.opt.Errors.WithLabelValues("webhook").Inc()
			}
		}
	}
	return res, nil
}

// auditDetail is the stored JSON of one audit.
type auditDetail struct {
	FindingCount int                `json:"finding_count"`
	Counts       map[string]int     `json:"counts,omitempty"`
	Findings     []api.AuditFinding `json:"findings,omitempty"`
	Truncated    bool               `json:"truncated,omitempty"`
}

// expiryInputs reads the published objects and the bundled RP's last VRPs.
func (d *Service) expiryInputs(ctx context.Context) ([]expiry.Object, []expiry.VRP, time.Time, error) {
	var objs []expiry.Object
	if err := d.st.View(ctx, func(tx *store.Tx) error {
		stored, err := tx.Objects("")
		for _, o := range stored {
			objs = append(objs, expiry.Object{URI: o.URI, Kind: o.Kind, NotAfter: o.NotAfter})
		}
		return err
	}); err != nil {
		return nil, nil, time.Time{}, err
	}
	last := d.opt.RP.Snapshot().Last
	var vrps []expiry.VRP
	var rpRun time.Time
	if last != nil {
		rpRun = last.Time
		for _, v := range last.VRPs {
			vrps = append(vrps, expiry.VRP{VRP: v.VRP, Expires: v.Expires})
		}
	}
	return objs, vrps, rpRun, nil
}

func (d *Service) expiryWarning() time.Duration {
	if w := d.opt.Alerts.ExpiryWarning; w > 0 {
		return w
	}
	return DefaultExpiryWarning
}

// renewalOverdue is how close a manifest/CRL nextUpdate may come before its
// renewal counts as overdue: half the margin at which the CA reissues them
// (the CA reissues at min(manifest_reissue_before, manifest_validity/2)).
func (d *Service) renewalOverdue() time.Duration {
	t := d.opt.Timing
	if t.ManifestValidity <= 0 {
		t = ca.DefaultTiming()
	}
	return min(t.ManifestReissueBefore, t.ManifestValidity/2) / 2
}

func (d *Service) auditExpiry(ctx context.Context, res *api.AuditResult) error {
	objs, vrps, _, err := d.expiryInputs(ctx)
	if err != nil {
		return err
	}
	warn := d.expiryWarning()
	fs := expiry.Audit(d.clock(), expiry.Policy{Warning: warn, Renewal: d.renewalOverdue()}, objs, vrps)
	res.Counts = map[string]int{"objects": len(objs), "vrps": len(vrps)}
	for _, f := range fs {
		res.Counts[f.Code]++
		res.Findings = append(res.Findings, api.AuditFinding{Code: f.Code, Severity: f.Severity,
			Subject: f.Kind + " " + f.Name, Expires: f.Expires, Message: f.Message})
	}
	window := warn.String()
	if r := d.renewalOverdue(); r < warn {
		window += fmt.Sprintf(" (%s for manifests, CRLs and the VRPs they bound)", r)
	}
	res.Summary = fmt.Sprintf("%d objects, %d VRPs: %d expired, %d stale, %d expiring within %s",
		len(objs), len(vrps), res.Counts[expiry.Expired], res.Counts[expiry.Stale], res.Counts[expiry.Expiring], window)
	return nil
}

// rpStaleAfter is how old the bundled RP's last run may be before the
// consistency audit reports it: two missed periodic runs and a minute.
func (d *Service) rpStaleAfter() time.Duration {
	iv := d.opt.RPInterval
	if iv <= 0 {
		iv = DefaultRPInterval
	}
	return 2*iv + time.Minute
}

// auditConsistency reports what the bundled RP's last run found (the diff
// checkConsistency computed against the configured ROAs) and whether that
// run is fresh.
func (d *Service) auditConsistency(res *api.AuditResult) {
	now := d.clock()
	rs := d.opt.RP.Snapshot()
	last, lastRun, lastErr, diff := rs.Last, rs.LastRun, rs.LastErr, rs
	add := func(code, sev, subject, msg string) {
		res.Findings = append(res.Findings, api.AuditFinding{Code: code, Severity: sev, Subject: subject, Message: msg})
	}
	res.Counts = map[string]int{"missing": len(diff.Missing), "extra": len(diff.Extra)}
	switch {
	case last == nil && lastErr == nil:
		add("rp-not-run", "error", "", "the bundled relying party has not validated the publication yet")
	case lastErr != nil:
		add("rp-error", "error", "", fmt.Sprintf("the last run of the bundled relying party (%s) failed: %v",
			lastRun.UTC().Format(time.RFC3339), lastErr))
	}
	if !lastRun.IsZero() {
		if age := now.Sub(lastRun); age > d.rpStaleAfter() {
			add("rp-stale", "error", "", fmt.Sprintf("the bundled relying party last ran %s ago (at %s), more than %s",
				age.Truncate(time.Second), lastRun.UTC().Format(time.RFC3339), d.rpStaleAfter()))
		}
	}
	for _, v := range diff.Missing {
		add("missing", "error", v.String(), fmt.Sprintf("configured ROA %s is not among the VRPs the bundled relying party validated", v))
	}
	for _, v := range diff.Extra {
		add("extra", "error", v.String(), fmt.Sprintf("the bundled relying party validated %s, which is not configured", v))
	}
	if last != nil {
		res.Counts["vrps"], res.Counts["rejected"] = len(last.VRPs), len(last.Rejected)
		for _, x := range last.Rejected {
			add("rejected", "error", x.URI, fmt.Sprintf("the bundled relying party rejected %s: %s %s", x.URI, x.Reason, x.Detail))
		}
	}
	res.Summary = fmt.Sprintf("last RP run %s: %d VRPs validated, %d configured ROAs missing, %d extra, %d objects rejected",
		orNever(lastRun), res.Counts["vrps"], len(diff.Missing), len(diff.Extra), res.Counts["rejected"])
}

func orNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// auditBGP counts the ROA and route states of the BGP analysis and reports
// the ROAs and routes that need attention.
func (d *Service) auditBGP(ctx context.Context, res *api.AuditResult) error {
	an, err := d.opt.BGP.Analysis(ctx)
	if err != nil {
		return err
	}
	res.Counts = map[string]int{}
	for k, n := range an.ROAStates {
		res.Counts["roa:"+k] = n
	}
	for k, n := range an.RouteStates {
		res.Counts["route:"+k] = n
	}
	for _, r := range an.ROAs {
		switch r.State {
		case conflict.ROATooPermissive:
			res.Findings = append(res.Findings, api.AuditFinding{Code: r.State, Severity: "warn", Subject: r.ROA.String(),
				Message: fmt.Sprintf("ROA %s authorizes unannounced more-specifics (first: %s; tightest safe maxLength %d; RFC 9319)",
					r.ROA, r.Missing, r.TightestMaxLength)})
		case conflict.ROADisallowing:
			res.Findings = append(res.Findings, api.AuditFinding{Code: r.State, Severity: "warn", Subject: r.ROA.String(),
				Message: fmt.Sprintf("ROA %s authorizes no seen route and makes %d seen route(s) Invalid", r.ROA, len(r.Disallows))})
		case conflict.ROANotHeld:
			res.Findings = append(res.Findings, api.AuditFinding{Code: r.State, Severity: "error", Subject: r.ROA.String(),
				Message: fmt.Sprintf("ROA %s is outside the CA's resources", r.ROA)})
		}
	}
	for _, r := range an.Routes {
		switch r.State {
		case vrp.ReasonInvalidASN, vrp.ReasonInvalidLength, vrp.ReasonDisallowed:
			origin := fmt.Sprintf("AS%d", r.Route.Origin)
			if r.Route.NoOrigin {
				origin = "AS_SET"
			}
			subject := r.Route.Prefix.String() + " " + origin
			res.Findings = append(res.Findings, api.AuditFinding{Code: "invalid-route", Severity: "error", Subject: subject,
				Message: fmt.Sprintf("route %s is Invalid (%s, RFC 6811)", subject, r.State)})
		}
	}
	res.Summary = fmt.Sprintf("%d ROAs, %d routes: %d too-permissive, %d disallowing, %d not held, %d invalid routes",
		len(an.ROAs), len(an.Routes), an.ROAStates[conflict.ROATooPermissive], an.ROAStates[conflict.ROADisallowing],
		an.ROAStates[conflict.ROANotHeld], an.RouteStates[string(vrp.ReasonInvalidASN)]+an.RouteStates[string(vrp.ReasonInvalidLength)]+
			an.RouteStates[string(vrp.ReasonDisallowed)])
	return nil
}

// postAlert sends an audit result to the webhook, bounded by the timeout.
func (d *Service) postAlert(ctx context.Context, res *api.AuditResult) error {
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	timeout := d.opt.Alerts.WebhookTimeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.opt.Alerts.Webhook, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "road/"+d.opt.Version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook post: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Audits lists stored audit results newest first (without their findings).
func (d *Service) Audits(ctx context.Context, kind string, limit int) (*api.AuditList, error) {
	out := &api.AuditList{Audits: []api.AuditResult{}}
	err := d.st.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Audits(kind, limit)
		for _, a := range as {
			r := api.AuditResult{ID: a.ID, Kind: a.Kind, StartedAt: a.StartedAt, FinishedAt: a.FinishedAt, OK: a.OK, Summary: a.Summary}
			var det auditDetail
			if json.Unmarshal(a.Detail, &det) == nil {
				r.FindingCount, r.Counts, r.Truncated = det.FindingCount, det.Counts, det.Truncated
			}
			out.Audits = append(out.Audits, r)
		}
		return err
	})
	return out, err
}

// Expiry lists the published objects and the bundled RP's VRPs by
// effective expiry, soonest first.
func (d *Service) Expiry(ctx context.Context, within time.Duration) (*api.ExpiryList, error) {
	objs, vrps, rpRun, err := d.expiryInputs(ctx)
	if err != nil {
		return nil, err
	}
	now := d.clock().UTC()
	out := &api.ExpiryList{Now: now, RPRun: rpRun.UTC(), Items: []api.ExpiryItem{}}
	if within > 0 {
		out.Within = api.FormatDuration(within)
	}
	for _, it := range expiry.List(now, objs, vrps, within) {
		out.Items = append(out.Items, api.ExpiryItem{Kind: it.Kind, Name: it.Name, Expires: it.Expires,
			In: it.In.Truncate(time.Second).String()})
	}
	return out, nil
}

// Run runs the scheduled audits until ctx ends. Cron fires on the
// wall clock; the audits themselves read the daemon's clock.
func (d *Service) Run(ctx context.Context) error {
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	n := 0
	for _, j := range []struct{ kind, spec string }{
		{api.AuditExpiry, d.opt.Schedule.Expiry},
		{api.AuditConsistency, d.opt.Schedule.Consistency},
		{api.AuditBGP, d.opt.Schedule.BGP},
	} {
		if j.spec == "" {
			continue
		}
		kind := j.kind
		if _, err := c.AddFunc(j.spec, func() {
			if _, err := d.RunAudit(ctx, kind); err != nil && ctx.Err() == nil {
				d.log.Error("scheduled audit", "kind", kind, "err", err)
				d.opt.Errors.WithLabelValues("audit").Inc()
			}
		}); err != nil {
			return fmt.Errorf("schedule of the %s audit %q: %w", kind, j.spec, err)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done() // wait for running audits
	return nil
}
