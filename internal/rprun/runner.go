package rprun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/vrp"
)

// Defaults.
const (
	// DefaultInterval is how often road's own TAL is re-validated when
	// nothing was published (expiry, a manifest reissued by the renewal
	// loop). RFC 8182 §3.4.4 asks RPs not to poll a repository more than once
	// a minute; a publication road made itself triggers a run at once.
	DefaultInterval = 5 * time.Minute
	// DefaultGlobalInterval is the period of the configured TALs.
	DefaultGlobalInterval = 10 * time.Minute
	// DefaultMaxLoss is the share of the last good VRPs a run may lose
	// without an approved change before the feed is degraded.
	DefaultMaxLoss = 0.1
	// globalMinPoll keeps the configured TALs' repositories from being
	// polled more than once a minute (RFC 8182 §3.4.4).
	globalMinPoll = time.Minute
)

// Reason codes of a degraded feed (stable: logs, /healthz, rp status).
const (
	ReasonRunFailed = "rp-run-failed" // the run returned an error
	ReasonTAFailed  = "rp-ta-failed"  // a trust anchor did not validate
	ReasonVRPLoss   = "rp-vrp-loss"   // more than MaxLoss of the last good VRPs lost, unexplained
)

// Feed names.
const (
	FeedOwn    = "own"
	FeedGlobal = "global"
)

// ErrDegraded wraps every degradation; errors.As gives the *DegradedError.
var ErrDegraded = errors.New("rp-degraded")

// DegradedError says why a feed keeps its last good view.
type DegradedError struct {
	Feed   string
	Reason string // one of the Reason* codes
	Err    error
}

func (e *DegradedError) Error() string {
	return fmt.Sprintf("%s: %s: %v (RTR keeps the last good view)", e.Feed, e.Reason, e.Err)
}

func (e *DegradedError) Unwrap() []error { return []error{ErrDegraded, e.Err} }

// ValidateFunc is rp.Validate; tests inject their own.
type ValidateFunc func(ctx context.Context, o rp.Options, tals []rp.TAL) (*rp.Result, error)

// Config wires a Runner.
type Config struct {
	OwnTAL     string   // road's own TAL file (re-read on every run)
	OwnCache   string   // road's own RRDP cache directory
	GlobalTALs []string // the operator's TAL files; none: only road's own
	// GlobalCache is the configured TALs' cache (default: OwnCache + "-global").
	GlobalCache string
	// OwnHTTP fetches road's own publication (it trusts the testbed TLS CA
	// when road serves with it); GlobalHTTP everything else (default OwnHTTP).
	OwnHTTP, GlobalHTTP *http.Client
	UserAgent           string

	Interval       time.Duration // road's own TAL (0: DefaultInterval)
	GlobalInterval time.Duration // the configured TALs (0: DefaultGlobalInterval)
	MaxLoss        float64       // share in [0,1] (0: DefaultMaxLoss; 1 never degrades on loss)
	SLURMFile      string        // RFC 8416, applied to what RTR serves (re-read on every update)

	// Configured returns the VRPs road currently authorizes (its ROAs).
	Configured func(ctx context.Context) (vrp.Set, error)
	// Serve hands RTR its new view.
	Serve func(vrps vrp.Set, aspas []vrp.ASPA) (serial uint32, changed bool)
	// OnDegraded is called when a feed that had a good view becomes
	// degraded (not on every degraded run); the daemon raises the alarm
	// there (the webhook).
	OnDegraded func(ctx context.Context, err *DegradedError)

	Validate ValidateFunc // default rp.Validate
	Clock    func() time.Time
	Logger   *slog.Logger
	Registry prometheus.Registerer // nil: metrics are not registered
}

// Runner is the router-facing relying party: the feeds, their last good
// views and what RTR was last given.
type Runner struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	own     *feed
	global  *feed // nil without configured TALs

	mu     sync.Mutex // guards the feeds' state and diff
	diff   consistency
	served int

	// updateMu makes each update (union of the views, then Serve) whole:
	// the two feeds' runs finish concurrently, and an update that took
	// the union before the other's must not reach RTR after it.
	updateMu sync.Mutex
}

// consistency compares what road's own TAL validated with the configured ROAs.
type consistency struct{ missing, extra []vrp.VRP }

// New returns a Runner; call Run to start it.
func New(cfg Config) *Runner {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Validate == nil {
		cfg.Validate = rp.Validate
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.GlobalInterval <= 0 {
		cfg.GlobalInterval = DefaultGlobalInterval
	}
	if cfg.MaxLoss <= 0 {
		cfg.MaxLoss = DefaultMaxLoss
	}
	if cfg.GlobalCache == "" {
		cfg.GlobalCache = filepath.Clean(cfg.OwnCache) + "-global"
	}
	if cfg.GlobalHTTP == nil {
		cfg.GlobalHTTP = cfg.OwnHTTP
	}
	r := &Runner{cfg: cfg, log: cfg.Logger, metrics: newMetrics(cfg.Registry)}
	r.own = r.newFeed(FeedOwn, []string{cfg.OwnTAL}, cfg.OwnCache, cfg.OwnHTTP, 0, false)
	if len(cfg.GlobalTALs) > 0 {
		r.global = r.newFeed(FeedGlobal, cfg.GlobalTALs, cfg.GlobalCache, cfg.GlobalHTTP, globalMinPoll, true)
	}
	return r
}

// Kick asks for a run of road's own TAL soon (after a publication); it never blocks.
func (r *Runner) Kick() { r.own.kick() }

// Run runs the feeds until ctx ends: road's own at start, on Kick and every
// Interval; the configured TALs at start and every GlobalInterval.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, f := range r.feeds() {
		iv := r.cfg.Interval
		if f != r.own {
			iv = r.cfg.GlobalInterval
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, f, iv)
		}()
	}
	wg.Wait()
}

func (r *Runner) feeds() []*feed {
	if r.global == nil {
		return []*feed{r.own}
	}
	return []*feed{r.own, r.global}
}

func (r *Runner) loop(ctx context.Context, f *feed, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	f.kick()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.trigger:
		case <-t.C:
		}
		if err := r.RunOnce(ctx, f.name); err != nil && ctx.Err() == nil {
			r.log.Error("relying party", "feed", f.name, "err", err)
		}
	}
}

// RunOnce runs one feed now (healing once if needed), decides whether its
// result becomes the last good view, and updates RTR. The error is the
// degradation (a *DegradedError) or what kept RTR from being updated.
func (r *Runner) RunOnce(ctx context.Context, name string) error {
	f := r.own
	if name == FeedGlobal {
		if r.global == nil {
			return fmt.Errorf("rp-no-global-tals: no TALs configured")
		}
		f = r.global
	}
	f.runMu.Lock()
	defer f.runMu.Unlock()
	degr, cfg, err := r.runFeed(ctx, f)
	if err != nil {
		return err
	}
	if uerr := r.update(cfg); uerr != nil {
		return uerr
	}
	if degr != nil {
		return degr
	}
	return nil
}

// UseHTTP sets the HTTPS clients (before Run): road's own repository's and
// the configured TALs' (nil: own's).
func (r *Runner) UseHTTP(own, global *http.Client) {
	if global == nil {
		global = own
	}
	r.own.rrdp.HTTP = own
	if r.global != nil {
		r.global.rrdp.HTTP = global
	}
}
