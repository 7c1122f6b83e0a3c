package daemon

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/slurm"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// DefaultRPInterval is how often the bundled RP re-validates the publication
// when nothing changed (expiry, a manifest reissued by the renewal loop). RFC
// 8182 §3.4.4 asks RPs not to poll a repository more than once a minute; a
// publication road made itself triggers a run at once.
const DefaultRPInterval = 5 * time.Minute

// rpRunner is the bundled relying party: it fetches road's own publication
// the way the world does (the TAL's HTTPS TA certificate, then RRDP from the
// rpkiNotify URI), validates it strictly from the TAL, and hands the VRPs to
// the RTR server, so routers get only what a relying party accepted.
type rpRunner struct {
	trigger chan struct{} // buffered 1: coalesces publications during a run

	mu      sync.Mutex
	last    *rp.Result
	lastRun time.Time
	lastErr error
	runs    uint64
	diff    consistency
}

// consistency compares what the RP validated with the configured ROAs.
type consistency struct {
	Missing []vrp.VRP // configured, not validated
	Extra   []vrp.VRP // validated, not configured
}

func newRPRunner() *rpRunner { return &rpRunner{trigger: make(chan struct{}, 1)} }

// kick asks for a run soon; it never blocks.
func (r *rpRunner) kick() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// rpLoop runs the RP at start, after each publication and every interval.
func (d *Daemon) rpLoop(ctx context.Context, client *http.Client) {
	rrdp := &rp.RRDPClient{HTTP: client, Cache: filepath.Join(d.opt.DataDir, "rp-cache"),
		Logger: d.log.With("pkg", "rp"), UserAgent: "road/" + d.opt.Version}
	interval := d.opt.RPInterval
	if interval <= 0 {
		interval = DefaultRPInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	d.rp.kick()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.rp.trigger:
		case <-t.C:
		}
		if err := d.runRP(ctx, rrdp); err != nil && ctx.Err() == nil {
			d.log.Error("bundled relying party", "err", err)
			d.metrics.errors.WithLabelValues("rp").Inc()
		}
	}
}

// runRP validates once and feeds RTR.
func (d *Daemon) runRP(ctx context.Context, rrdp *rp.RRDPClient) error {
	start := d.clock()
	res, err := d.validateOwn(ctx, rrdp)
	d.rp.mu.Lock()
	d.rp.lastRun, d.rp.lastErr = start, err
	d.rp.runs++
	if err == nil {
		d.rp.last = res
	}
	d.rp.mu.Unlock()
	if err != nil {
		return err
	}
	vrps := res.Set()
	if err := d.checkConsistency(ctx, vrps); err != nil {
		return err
	}
	if res.Stats.FailedTALs > 0 {
		// No trust anchor: the run says nothing about the publication (a
		// fetch failed before anything was cached). Routers keep what they
		// have rather than an empty set.
		return fmt.Errorf("trust anchor not validated (%d rejections, first: %s); RTR keeps the previous set",
			len(res.Rejected), firstRejection(res))
	}
	if d.opt.SLURMFile != "" {
		// RFC 8416 §4.1: the whole file applies or nothing changes.
		f, err := slurm.LoadFile(d.opt.SLURMFile)
		if err != nil {
			return fmt.Errorf("slurm %s: %w (RTR keeps the previous set)", d.opt.SLURMFile, err)
		}
		vrps, _ = f.Apply(vrps, nil)
	}
	serial, changed := d.rtr.Update(vrps, nil)
	d.metrics.rpVRPs.Set(float64(len(res.VRPs)))
	d.metrics.rpRejected.Set(float64(len(res.Rejected)))
	if changed {
		d.log.Info("rtr updated from the bundled RP", "serial", serial, "vrps", len(vrps), "rejected", len(res.Rejected))
	}
	return nil
}

func (d *Daemon) validateOwn(ctx context.Context, rrdp *rp.RRDPClient) (*rp.Result, error) {
	tal, err := rp.LoadTAL(filepath.Join(d.opt.DataDir, "road.tal"))
	if err != nil {
		return nil, err
	}
	// ManifestState: a manifest that is not newer than the last one seen
	// fails its publication point (RFC 9286 §4.2.1), so a rolled-back
	// database or repository shows up in rp status instead of reaching routers.
	return rp.Validate(ctx, rp.Options{Cache: rrdp.Cache, Clock: d.clock, Logger: d.log.With("pkg", "rp"), RRDP: rrdp,
		ManifestState: filepath.Join(rrdp.Cache, ".rp-manifests.json")}, []rp.TAL{tal})
}

// checkConsistency compares the validated VRPs with the configured ROAs: a
// difference means the world does not see what the holder configured.
func (d *Daemon) checkConsistency(ctx context.Context, got vrp.Set) error {
	var want []vrp.VRP
	if err := d.st.View(ctx, func(tx *store.Tx) error {
		roas, err := tx.ROAs()
		for _, r := range roas {
			want = append(want, r.VRP)
		}
		return err
	}); err != nil {
		return err
	}
	ws := vrp.NewSet(want)
	var c consistency
	c.Extra, c.Missing = got.Diff(ws)
	d.rp.mu.Lock()
	d.rp.diff = c
	d.rp.mu.Unlock()
	if len(c.Missing)+len(c.Extra) > 0 {
		d.log.Warn("the bundled RP does not validate exactly the configured ROAs",
			"missing", len(c.Missing), "extra", len(c.Extra))
	}
	return nil
}

// RPVRPs writes the last validated VRPs as rpki-client JSON.
func (d *Daemon) RPVRPs(ctx context.Context) ([]byte, error) {
	d.rp.mu.Lock()
	res := d.rp.last
	d.rp.mu.Unlock()
	if res == nil {
		return nil, errRPNotYet
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errRPNotYet answers /rp/vrps before the first run finished.
var errRPNotYet = fault.New(fault.Unavailable, "the bundled relying party has not validated the publication yet", nil)

// RPStatus reports the bundled RP's last run and whether it validated
// exactly the configured ROAs.
func (d *Daemon) RPStatus(ctx context.Context) (*api.RPStatus, error) {
	d.rp.mu.Lock()
	defer d.rp.mu.Unlock()
	st := &api.RPStatus{LastRun: d.rp.lastRun, Runs: d.rp.runs}
	if d.rp.lastErr != nil {
		st.Error = d.rp.lastErr.Error()
	}
	if res := d.rp.last; res != nil {
		st.VRPs, st.Rejected = len(res.VRPs), len(res.Rejected)
		st.RRDPSynced, st.RRDPFailed = res.Stats.RRDPSynced, res.Stats.RRDPFailed
		for _, x := range res.Rejected {
			st.Rejections = append(st.Rejections, api.RPRejection{URI: x.URI, Reason: string(x.Reason), Detail: x.Detail})
		}
	}
	for _, v := range d.rp.diff.Missing {
		st.Missing = append(st.Missing, v.String())
	}
	for _, v := range d.rp.diff.Extra {
		st.Extra = append(st.Extra, v.String())
	}
	st.OK = d.rp.last != nil && d.rp.lastErr == nil && len(st.Missing)+len(st.Extra) == 0 && st.Rejected == 0
	return st, nil
}

func firstRejection(res *rp.Result) string {
	if len(res.Rejected) == 0 {
		return "none"
	}
	x := res.Rejected[0]
	return fmt.Sprintf("%s %s: %s", x.Reason, x.URI, x.Detail)
}
