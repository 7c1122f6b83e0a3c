package rprun

import (
	"slices"
	"time"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/vrp"
)

// FeedStatus is one feed's state.
type FeedStatus struct {
	Name        string
	TALs        []string // TAL files
	Runs, Heals uint64
	LastRun     time.Time     // start of the last run (zero: never)
	LastSuccess time.Time     // start of the last run that became the good view
	Duration    time.Duration // of the last run
	// Err is the last run's degradation: while set, RTR gets the last good
	// view (plus what the degraded run still validated).
	Err  *DegradedError
	Last *rp.Result // the last run's result (nil when it failed before one)
	Good *rp.Result // the last good result (nil before one)
}

// Degraded reports whether the feed serves its last good view.
func (s FeedStatus) Degraded() bool { return s.Err != nil }

// Status is the runner's state.
type Status struct {
	Own    FeedStatus
	Global *FeedStatus // nil without configured TALs
	// Missing are configured ROAs road's own TAL did not validate in its
	// last run, Extra validated VRPs that are not configured.
	Missing, Extra []vrp.VRP
	Served         int // VRPs last handed to RTR
}

// Status returns a copy of the runner's state.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Status{Own: r.own.status(), Missing: slices.Clone(r.diff.missing), Extra: slices.Clone(r.diff.extra),
		Served: r.served}
	if r.global != nil {
		g := r.global.status()
		st.Global = &g
	}
	return st
}

func (f *feed) status() FeedStatus {
	return FeedStatus{Name: f.name, TALs: slices.Clone(f.tals), Runs: f.runs, Heals: f.heals, LastRun: f.lastRun,
		LastSuccess: f.lastSuccess, Duration: f.duration, Err: f.err, Last: f.last, Good: f.good}
}

// LastGood is the union of the feeds' last good VRPs (before SLURM).
func (r *Runner) LastGood() vrp.Set {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []vrp.VRP
	for _, f := range r.feeds() {
		if f.good != nil {
			out = append(out, f.good.Set()...)
		}
	}
	return vrp.NewSet(out)
}

// Own is road's own TAL's last good result (nil before one): what the
// expiry audit reads.
func (r *Runner) Own() *rp.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.own.good
}

// Degraded lists the degraded feeds' reasons (none: healthy).
func (r *Runner) Degraded() []*DegradedError {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*DegradedError
	for _, f := range r.feeds() {
		if f.err != nil {
			out = append(out, f.err)
		}
	}
	return out
}

// Error is Err as an error: nil when the last run became the good view.
func (s FeedStatus) Error() error {
	if s.Err == nil {
		return nil
	}
	return s.Err
}
