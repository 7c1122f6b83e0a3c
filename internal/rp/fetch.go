package rp

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Fetcher brings repositories into the cache for Validate, as deployed
// relying parties do: each CA's rpkiNotify repository over RRDP (RFC 8182)
// first, the module of its caRepository over rsync (RFC 6481 §3) when
// there is no rpkiNotify or RRDP fails; TA certificates from the TAL's
// URIs in order, https or rsync (RFC 8630 §2.2). Fetches of different
// repositories run at once, at most Concurrency at a time, each within
// its own Timeout: a repository that hangs fails only its own
// publication points. A Fetcher is safe for one Validate at a time.
type Fetcher struct {
	RRDP  *RRDPClient  // nil: no RRDP
	Rsync *RsyncClient // nil: no rsync

	Concurrency int           // repositories fetched at once [8]
	Timeout     time.Duration // per repository, retries included [5m]
	Retries     int           // further attempts after a failed one [2]
	Backoff     time.Duration // wait before the first retry, doubling [2s]; <0: none

	// After waits for a backoff (default time.After); tests inject it.
	After func(time.Duration) <-chan time.Time
}

// FetchStats counts the fetches of one run.
type FetchStats struct {
	RRDPSynced    int `json:"rrdp_synced"`
	RRDPFailed    int `json:"rrdp_failed"`
	RRDPSnapshots int `json:"rrdp_snapshots"` // of the synced ones, those that loaded a snapshot
	RRDPResyncs   int `json:"rrdp_resyncs"`   // snapshots fetched again because the cached state failed validation
	RsyncSynced   int `json:"rsync_synced"`
	RsyncFailed   int `json:"rsync_failed"`
	RsyncRepairs  int `json:"rsync_repairs"` // modules fetched again comparing checksums because the copy failed validation
	Retries       int `json:"retries"`
	// KeptPPs are publication points validated from their last valid
	// copy because the fresh one failed (RFC 9286 §6.6).
	KeptPPs int `json:"kept_pps"`
}

// counts are the non-zero counters by JSON name (nil when none).
func (s FetchStats) counts() map[string]int {
	var m map[string]int
	for k, v := range map[string]int{"rrdp_synced": s.RRDPSynced, "rrdp_failed": s.RRDPFailed, "rrdp_snapshots": s.RRDPSnapshots,
		"rrdp_resyncs": s.RRDPResyncs, "rsync_synced": s.RsyncSynced, "rsync_failed": s.RsyncFailed,
		"rsync_repairs": s.RsyncRepairs, "retries": s.Retries, "kept_pps": s.KeptPPs} {
		if v != 0 {
			if m == nil {
				m = map[string]int{}
			}
			m[k] = v
		}
	}
	return m
}

func (f *Fetcher) settings() (conc int, timeout time.Duration, retries int, backoff time.Duration, after func(time.Duration) <-chan time.Time) {
	conc, timeout, retries, backoff, after = f.Concurrency, f.Timeout, f.Retries, f.Backoff, f.After
	if conc <= 0 {
		conc = 8
	}
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	if retries < 0 {
		retries = 0
	} else if retries == 0 {
		retries = 2
	}
	if backoff == 0 {
		backoff = 2 * time.Second
	}
	if after == nil {
		after = time.After
	}
	return
}

// task is one fetch (an RRDP repository or an rsync module), run once per
// run however many publication points need it.
type task struct {
	done chan struct{}
	err  error // set before done closes
	snap bool  // RRDP: a snapshot was loaded
	seen bool  // the walk has recorded the outcome (guarded by fetchRun.mu)
}

// fetchRun is the fetching state of one Validate call.
type fetchRun struct {
	f       *Fetcher
	ctx     context.Context
	cancel  context.CancelFunc
	sem     chan struct{}
	wg      sync.WaitGroup
	timeout time.Duration
	retries int
	backoff time.Duration
	after   func(time.Duration) <-chan time.Time

	mu    sync.Mutex
	tasks map[string]*task
	stats FetchStats
}

func newFetchRun(ctx context.Context, f *Fetcher) *fetchRun {
	conc, timeout, retries, backoff, after := f.settings()
	fr := &fetchRun{f: f, sem: make(chan struct{}, conc), timeout: timeout, retries: retries, backoff: backoff,
		after: after, tasks: map[string]*task{}}
	fr.ctx, fr.cancel = context.WithCancel(ctx)
	return fr
}

// close stops what is still running and waits for it.
func (fr *fetchRun) close() FetchStats {
	fr.cancel()
	fr.wg.Wait()
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return fr.stats
}

// start runs fn once for key in the background and returns its task.
func (fr *fetchRun) start(key string, fn func(context.Context, *task) error) *task {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if t, ok := fr.tasks[key]; ok {
		return t
	}
	t := &task{done: make(chan struct{})}
	fr.tasks[key] = t
	fr.wg.Add(1)
	go func() {
		defer fr.wg.Done()
		defer close(t.done)
		t.err = fr.attempt(key, t, fn)
	}()
	return t
}

// attempt runs fn under the concurrency bound and the repository's
// deadline, retrying with doubling backoff.
func (fr *fetchRun) attempt(key string, t *task, fn func(context.Context, *task) error) error {
	select {
	case fr.sem <- struct{}{}:
	case <-fr.ctx.Done():
		return fr.ctx.Err()
	}
	defer func() { <-fr.sem }()
	ctx, cancel := context.WithTimeout(fr.ctx, fr.timeout)
	defer cancel()
	wait := fr.backoff
	for i := 0; ; i++ {
		err := fn(ctx, t)
		if err == nil || i >= fr.retries || ctx.Err() != nil || permanent(err) {
			if errors.Is(err, context.DeadlineExceeded) && fr.ctx.Err() == nil {
				return reject(ReasonFetchTimeout, "%s: no answer within %s", key, fr.timeout)
			}
			return err
		}
		fr.mu.Lock()
		fr.stats.Retries++
		fr.mu.Unlock()
		if wait > 0 {
			select {
			case <-fr.after(wait):
			case <-ctx.Done():
				return reject(ReasonFetchTimeout, "%s: no answer within %s", key, fr.timeout)
			}
			wait *= 2
		}
	}
}

// permanent errors are not worth a retry: the answer will be the same.
func permanent(err error) bool {
	switch ReasonOf(err) {
	case ReasonBadURI, ReasonRRDPOutside, ReasonRsyncUnsafe, ReasonTooLarge:
		return true
	}
	return false
}

// wait returns when t is done or ctx ends.
func (fr *fetchRun) wait(ctx context.Context, t *task) error {
	select {
	case <-t.done:
		return t.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// firstSeen reports whether the walk sees t's outcome for the first time.
func (fr *fetchRun) firstSeen(t *task) bool {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	first := !t.seen
	t.seen = true
	return first
}

func (fr *fetchRun) count(f func(*FetchStats)) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	f(&fr.stats)
}

// rrdpTask syncs notify (resync: the snapshot, whatever the state).
func (fr *fetchRun) rrdpTask(notify string, resync bool) *task {
	key := "rrdp " + notify
	if resync {
		key = "rrdp-snapshot " + notify
	}
	return fr.start(key, func(ctx context.Context, t *task) error {
		sync := fr.f.RRDP.Sync
		if resync {
			sync = fr.f.RRDP.Resync
		}
		sr, err := sync(ctx, notify)
		t.snap = sr.Snapshot
		return err
	})
}

// rsyncTask fetches the module of uri (checksum: comparing contents).
func (fr *fetchRun) rsyncTask(uri string, checksum bool) *task {
	mod, _, err := rsyncModule(uri)
	if err != nil {
		mod = uri
	}
	key := "rsync " + mod
	if checksum {
		key = "rsync-checksum " + mod
	}
	return fr.start(key, func(ctx context.Context, _ *task) error {
		if err != nil {
			return err
		}
		return fr.f.Rsync.FetchModule(ctx, mod, checksum)
	})
}
