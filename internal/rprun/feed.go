package rprun

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/vrp"
)

// feed is one set of TALs with its cache and its last good result.
type feed struct {
	name    string
	tals    []string
	cache   string
	rrdp    *rp.RRDPClient
	fetch   *rp.Fetcher
	trigger chan struct{} // buffered 1: coalesces kicks during a run
	runMu   sync.Mutex    // one run of this feed at a time

	// Under Runner.mu.
	runs, heals uint64
	lastRun     time.Time
	lastSuccess time.Time
	duration    time.Duration
	err         *DegradedError // the last run's degradation; nil when it was accepted
	last        *rp.Result     // the last run's result (nil when it failed before one)
	good        *rp.Result     // the last good result
	goodCfg     vrp.Set        // road's configured VRPs when good was accepted
}

// newFeed: road's own repository is fetched over RRDP only (road publishes
// there first); the configured TALs' like a deployed RP does, RRDP with
// rsync as the fallback, many repositories at once (rp.Fetcher).
func (r *Runner) newFeed(name string, tals []string, cache string, hc *http.Client, minPoll time.Duration, rsync bool) *feed {
	log := r.log.With("pkg", "rp", "feed", name)
	f := &feed{name: name, tals: tals, cache: cache, trigger: make(chan struct{}, 1),
		rrdp: &rp.RRDPClient{HTTP: hc, Cache: cache, Logger: log, UserAgent: r.cfg.UserAgent, MinInterval: minPoll,
			Clock: r.cfg.Clock}}
	f.fetch = &rp.Fetcher{RRDP: f.rrdp}
	if rsync {
		f.fetch.Rsync = &rp.RsyncClient{Cache: cache, Logger: log}
	}
	return f
}

func (f *feed) kick() {
	select {
	case f.trigger <- struct{}{}:
	default:
	}
}

// validate runs the relying party once over the feed's TALs.
func (r *Runner) validate(ctx context.Context, f *feed) (*rp.Result, error) {
	var tals []rp.TAL
	for _, p := range f.tals {
		t, err := rp.LoadTAL(p)
		if err != nil {
			return nil, err
		}
		tals = append(tals, t)
	}
	// ManifestState: a manifest that is not newer than the last one seen
	// fails its publication point (RFC 9286 §4.2.1), so a rolled-back
	// repository shows up in the status instead of reaching routers.
	return r.cfg.Validate(ctx, rp.Options{Cache: f.cache, Clock: r.cfg.Clock, Logger: r.log.With("pkg", "rp", "feed", f.name),
		Fetch: f.fetch, ManifestState: filepath.Join(f.cache, ".rp-manifests.json")}, tals)
}

// runFeed validates, heals once when the run is not good enough, and
// records the outcome. It returns the degradation, or an error that says
// nothing about the feed (the store, a cancelled context).
func (r *Runner) runFeed(ctx context.Context, f *feed) (*DegradedError, vrp.Set, error) {
	cfg, err := r.cfg.Configured(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("configured ROAs: %w", err)
	}
	start := r.cfg.Clock()
	res, verr := r.validate(ctx, f)
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	degr := r.judge(f, res, verr, cfg)
	if r.needsHeal(f, res, degr) {
		if n := r.heal(f, res); n > 0 {
			r.log.Warn("relying party: dropped the RRDP state of damaged repositories; validating again",
				"feed", f.name, "repositories", n, "why", whyHeal(res, degr))
			r.metrics.heals.WithLabelValues(f.name).Inc()
			res, verr = r.validate(ctx, f)
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			degr = r.judge(f, res, verr, cfg)
			r.mu.Lock()
			f.heals++
			r.mu.Unlock()
		}
	}
	r.record(ctx, f, start, res, degr, cfg)
	return degr, cfg, nil
}

// needsHeal: a degraded run, or any rejection in road's own repository
// (road publishes nothing a relying party should reject).
func (r *Runner) needsHeal(f *feed, res *rp.Result, degr *DegradedError) bool {
	return degr != nil || (f == r.own && res != nil && len(res.Rejected) > 0)
}

func whyHeal(res *rp.Result, degr *DegradedError) string {
	if degr != nil {
		return degr.Error()
	}
	x := res.Rejected[0]
	return fmt.Sprintf("%d rejected (first: %s %s)", len(res.Rejected), x.Reason, x.URI)
}

// judge decides whether res may replace the feed's last good result. A
// configured TAL set's first run is taken even when some of its trust
// anchors failed, as long as one validated: there is no good view to hold
// back, and part of the Internet's VRPs is more than none. Road's own TAL
// keeps RTR at "No Data" until its trust anchor validates.
func (r *Runner) judge(f *feed, res *rp.Result, verr error, cfg vrp.Set) *DegradedError {
	if verr != nil {
		return &DegradedError{Feed: f.name, Reason: ReasonRunFailed, Err: verr}
	}
	r.mu.Lock()
	good, goodCfg := f.good, f.goodCfg
	r.mu.Unlock()
	if n := res.Stats.FailedTALs; n > 0 {
		err := fmt.Errorf("%d of %d trust anchors did not validate (first rejection: %s)",
			n, n+res.Stats.TALs, firstRejection(res))
		if f == r.own || good != nil || res.Stats.TALs == 0 {
			return &DegradedError{Feed: f.name, Reason: ReasonTAFailed, Err: err}
		}
		r.log.Warn("relying party: first view taken without every trust anchor", "feed", f.name, "err", err)
	}
	if good == nil {
		return nil
	}
	goodSet := good.Set()
	lost := unexplainedLoss(goodSet, res.Set(), goodCfg, cfg)
	if len(goodSet) == 0 || float64(len(lost)) <= r.cfg.MaxLoss*float64(len(goodSet)) {
		return nil
	}
	return &DegradedError{Feed: f.name, Reason: ReasonVRPLoss,
		Err: fmt.Errorf("%d of the %d last good VRPs are gone without an approved change (more than %g; first: %s)",
			len(lost), len(goodSet), r.cfg.MaxLoss, lost[0])}
}

// unexplainedLoss is what cur lost against good, less the VRPs road itself
// stopped authorizing since (goodCfg to cfg: approved removals).
func unexplainedLoss(good, cur, goodCfg, cfg vrp.Set) []vrp.VRP {
	_, lost := cur.Diff(good)
	_, removed := cfg.Diff(goodCfg)
	return vrp.Minus(lost, removed)
}

func firstRejection(res *rp.Result) string {
	if len(res.Rejected) == 0 {
		return "none"
	}
	x := res.Rejected[0]
	return fmt.Sprintf("%s %s: %s", x.Reason, x.URI, x.Detail)
}

// record stores the outcome, updates the metrics and raises the alarm when
// the feed becomes degraded.
func (r *Runner) record(ctx context.Context, f *feed, start time.Time, res *rp.Result, degr *DegradedError, cfg vrp.Set) {
	end := r.cfg.Clock()
	r.mu.Lock()
	wasDegraded, hadGood := f.err != nil, f.good != nil
	f.runs++
	f.lastRun, f.duration, f.last, f.err = start, end.Sub(start), res, degr
	if degr == nil {
		f.good, f.goodCfg, f.lastSuccess = res, cfg, start
	}
	if f == r.own && res != nil {
		extra, missing := res.Set().Diff(cfg)
		r.diff = consistency{missing: missing, extra: extra}
	}
	r.mu.Unlock()
	r.metrics.observe(f.name, start, end, res, degr)
	switch {
	case degr != nil && !wasDegraded:
		r.log.Error("relying party degraded: routers keep the last good view", "feed", f.name,
			"reason", degr.Reason, "err", degr.Err)
		if r.cfg.OnDegraded != nil && hadGood { // before a good view there is nothing held back
			r.cfg.OnDegraded(ctx, degr)
		}
	case degr != nil:
		r.log.Warn("relying party still degraded", "feed", f.name, "reason", degr.Reason, "err", degr.Err)
	case wasDegraded:
		r.log.Info("relying party recovered", "feed", f.name, "vrps", len(res.VRPs))
	}
	if d := r.diffSnapshot(); f == r.own && res != nil && len(d.missing)+len(d.extra) > 0 {
		r.log.Warn("the relying party does not validate exactly the configured ROAs",
			"missing", len(d.missing), "extra", len(d.extra))
	}
}

func (r *Runner) diffSnapshot() consistency {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.diff
}
