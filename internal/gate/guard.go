package gate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// GuardConfig configures a Guard.
type GuardConfig struct {
	Gate      *Gate   // nil: the gate is off (the invariants still hold)
	MaxShrink float64 // share of the live objects one publication may withdraw
	// TAL returns road's own TAL (nil: the gate reads DataDir/road.tal).
	TAL func(ctx context.Context) (*rpki.TAL, error)
	// Want returns the configured ROAs (what the staged tree must yield).
	Want func(ctx context.Context) (vrp.Set, error)
	// Delegated returns what the tree carries for road's child CAs and
	// publishers (nil: nothing).
	Delegated func(ctx context.Context) (Delegated, error)
	Store     *store.Store // refusals and overrides are recorded in its history
	// Publish publishes what the database holds (through Check); Override
	// calls it.
	Publish func(ctx context.Context) error
	// Alert, when set, receives every new refusal (the audits' webhook;
	// Alarm is the JSON posted), in the background.
	Alert    func(ctx context.Context, v any) error
	Clock    func() time.Time
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Guard checks every publication between stage and commit
// (publish.Options.Check): the invariants, then the gate.
type Guard struct {
	cfg GuardConfig
	log *slog.Logger

	mu       sync.Mutex
	blocked  *Refusal // the start-up mismatch, until reconciled
	override string   // an operator's reason for waiving the invariants once ("" none)
	last     *Refusal // the last refusal (nil after a publication passed)

	refusals *prometheus.CounterVec
	duration prometheus.Histogram
	state    prometheus.Gauge
}

// NewGuard returns a Guard.
func NewGuard(cfg GuardConfig) *Guard {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	g := &Guard{cfg: cfg, log: cfg.Logger.With("pkg", "gate"),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "road_publish_refusals_total",
			Help: "Publications refused between stage and commit, by the first finding's reason code."}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "road_publish_gate_seconds",
			Help: "Time the pre-publication gate took per publication.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		state: prometheus.NewGauge(prometheus.GaugeOpts{Name: "road_publish_blocked",
			Help: "1 while publication is refused (the last attempt was refused, or the start-up comparison failed)."}),
	}
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(g.refusals, g.duration, g.state)
	}
	return g
}

// Start compares the publication the database records with the one on
// disk (StartState); a mismatch blocks every publication until an
// operator override. It reports the mismatch (nil: none).
func (g *Guard) Start(recorded publish.State, pub *publish.Publisher) *Refusal {
	session, serial := pub.State()
	n := len(pub.Objects())
	if n == 0 {
		n = countFiles(pub.RsyncRoot())
	}
	r := StartState(recorded, publish.State{Session: session, Serial: serial}, n)
	if r != nil {
		g.mu.Lock()
		g.blocked = r
		g.mu.Unlock()
		g.state.Set(1)
		g.log.Error("publication blocked until an operator reconciles (roactl publish override)", "reason", r.Reason(), "err", r)
	}
	return r
}

// countFiles counts the regular files below dir (0 when it is absent).
func countFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// Check is publish.Options.Check.
func (g *Guard) Check(ctx context.Context, s *publish.Staged) error {
	r := g.check(ctx, s)
	g.mu.Lock()
	prev := g.last
	if r == nil {
		g.blocked, g.override, g.last = nil, "", nil
	} else {
		g.last = r
	}
	g.mu.Unlock()
	if r == nil {
		g.state.Set(0)
		return nil
	}
	g.state.Set(1)
	g.refusals.WithLabelValues(r.Reason()).Inc()
	g.log.Error("publication refused; the live repository is unchanged", "stage", r.Stage, "reasons", joinCodes(r), "err", r)
	if prev == nil || prev.Error() != r.Error() { // a retry of the same refusal is not recorded again
		g.record(ctx, "road", "publish-refused", r.Error(), r.Findings)
		g.alert(r)
	}
	return r
}

func (g *Guard) check(ctx context.Context, s *publish.Staged) *Refusal {
	g.mu.Lock()
	blocked, override := g.blocked, g.override
	g.mu.Unlock()
	if blocked != nil && override == "" {
		return blocked
	}
	if fs := Invariants(s, g.cfg.MaxShrink); len(fs) > 0 && override == "" {
		return refuse("invariants", fs...)
	}
	if g.cfg.Gate == nil {
		return nil
	}
	want, err := g.cfg.Want(ctx)
	if err != nil {
		return refuse("gate", Finding{Code: CodeRPError, Detail: "reading the configured ROAs: " + err.Error()})
	}
	var del Delegated
	if g.cfg.Delegated != nil {
		if del, err = g.cfg.Delegated(ctx); err != nil {
			return refuse("gate", Finding{Code: CodeRPError, Detail: "reading the delegated spaces: " + err.Error()})
		}
	}
	start := time.Now()
	err = g.cfg.Gate.Check(ctx, Input{Dir: s.RsyncDir(), Want: want, Delegated: del, Now: g.cfg.Clock()})
	g.duration.Observe(time.Since(start).Seconds())
	var r *Refusal
	if errors.As(err, &r) {
		return r
	}
	if err != nil {
		return refuse("gate", Finding{Code: CodeRPError, Detail: err.Error()})
	}
	return nil
}

// Override waives the invariants (and the start-up block) for one
// publication, records who did it and why in the history, and publishes.
// The gate itself is never waived: its refusal is returned.
func (g *Guard) Override(ctx context.Context, actor, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fault.Invalidf("an override needs a reason (it is recorded in the history)")
	}
	g.mu.Lock()
	last := g.last
	g.override = reason
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.override = ""
		g.mu.Unlock()
	}()
	summary := "publication override: " + reason
	var detail any
	if last != nil {
		summary += fmt.Sprintf(" (waives %s)", joinCodes(last))
		detail = last.Findings
	}
	g.log.Warn("publication override", "actor", actor, "reason", reason)
	if err := g.record(ctx, actor, "publish-override", summary, detail); err != nil {
		return err
	}
	if g.cfg.Publish == nil {
		return nil
	}
	err := g.cfg.Publish(ctx)
	if err == nil {
		g.mu.Lock()
		g.blocked = nil
		g.mu.Unlock()
	}
	return err
}

// Refused returns the refusal that currently blocks publication (nil: none).
func (g *Guard) Refused() *Refusal {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

// Alarm is what the alert webhook receives for a refusal: the shape of an
// audit result (internal/audit), kind "publication".
type Alarm struct {
	Kind         string         `json:"kind"` // "publication"
	At           time.Time      `json:"finished_at"`
	OK           bool           `json:"ok"` // false
	Summary      string         `json:"summary"`
	FindingCount int            `json:"finding_count"`
	Findings     []AlarmFinding `json:"findings"`
}

// AlarmFinding is one finding as the audits' webhook posts it.
type AlarmFinding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"` // "error"
	Subject  string `json:"subject,omitempty"`
	Message  string `json:"message"`
}

// alert posts the refusal in the background (bounded by the webhook's
// timeout and attempts); a failure is logged.
func (g *Guard) alert(r *Refusal) {
	if g.cfg.Alert == nil {
		return
	}
	a := Alarm{Kind: "publication", At: g.cfg.Clock(), Summary: r.Error(), FindingCount: len(r.Findings)}
	for _, f := range r.Findings {
		a.Findings = append(a.Findings, AlarmFinding{Code: f.Code, Severity: "error", Subject: f.Subject, Message: f.Detail})
	}
	go func() {
		if err := g.cfg.Alert(context.Background(), a); err != nil {
			g.log.Error("posting the publication refusal to the alert webhook", "err", err)
		}
	}()
}

// record appends a history entry, once per distinct refusal.
func (g *Guard) record(ctx context.Context, actor, action, summary string, detail any) error {
	if g.cfg.Store == nil {
		return nil
	}
	err := g.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendHistory(g.cfg.Clock(), actor, action, summary, detail)
		return err
	})
	if err != nil {
		g.log.Error("recording in the history", "action", action, "err", err)
	}
	return err
}
