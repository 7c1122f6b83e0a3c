package rprun

import (
	"fmt"
	"slices"
	"time"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/slurm"
	"github.com/roadrpki/road/internal/vrp"
)

// update gives RTR the union of the feeds' views, after SLURM. cfg is
// road's configured VRPs now (approved removals leave a degraded view).
func (r *Runner) update(cfg vrp.Set) error {
	r.updateMu.Lock()
	defer r.updateMu.Unlock()
	now := r.cfg.Clock()
	var vrps []vrp.VRP
	var aspas []vrp.ASPA
	r.mu.Lock()
	ready := false
	for _, f := range r.feeds() {
		v, a, ok := f.view(cfg, now)
		vrps, aspas, ready = append(vrps, v...), append(aspas, a...), ready || ok
	}
	r.mu.Unlock()
	if !ready {
		return nil // nothing validated yet: RTR keeps "No Data"
	}
	set := vrp.NewSet(vrps)
	aspas = vrp.NormalizeASPAs(aspas)
	if r.cfg.SLURMFile != "" {
		// RFC 8416 §4.1: the whole file applies or nothing changes.
		f, err := slurm.LoadFile(r.cfg.SLURMFile)
		if err != nil {
			return fmt.Errorf("slurm %s: %w (RTR keeps the previous set)", r.cfg.SLURMFile, err)
		}
		set, aspas = f.Apply(set, aspas)
	}
	// Recorded before RTR has it: whoever sees the new set on RTR then
	// reads this count in the status too.
	r.mu.Lock()
	r.served = len(set)
	r.mu.Unlock()
	serial, changed := r.cfg.Serve(set, aspas)
	r.metrics.served.Set(float64(len(set)))
	if changed {
		r.log.Info("rtr updated from the relying party", "serial", serial, "vrps", len(set), "aspas", len(aspas))
	}
	return nil
}

// view is what the feed gives RTR (under Runner.mu): the last good result,
// and while degraded also what the degraded run still validated, less what
// road itself stopped authorizing since the last good run. Cached payloads
// leave once they expire (RFC 9286 §6.6). ok is false before a good run.
func (f *feed) view(cfg vrp.Set, now time.Time) (vrps []vrp.VRP, aspas []vrp.ASPA, ok bool) {
	if f.good == nil {
		return nil, nil, false
	}
	live := func(exp time.Time) bool { return exp.IsZero() || !exp.Before(now) }
	for _, v := range f.good.VRPs {
		if live(v.Expires) {
			vrps = append(vrps, v.VRP)
		}
	}
	if f.err == nil || f.last == nil {
		return vrps, liveASPAs(f.good.ASPAs, nil, live), true
	}
	_, removed := cfg.Diff(f.goodCfg)
	kept := vrp.Minus(vrp.NewSet(vrps), removed)
	for _, v := range f.last.VRPs {
		kept = append(kept, v.VRP)
	}
	return kept, liveASPAs(f.last.ASPAs, f.good.ASPAs, live), true
}

// liveASPAs returns cur, plus the customers of good that cur lacks, unexpired.
func liveASPAs(cur, good []rp.ASPA, live func(time.Time) bool) []vrp.ASPA {
	var out []vrp.ASPA
	seen := map[uint32]bool{}
	for _, a := range cur {
		seen[a.Customer] = true
		if live(a.Expires) {
			out = append(out, vrp.ASPA{Customer: a.Customer, Providers: slices.Clone(a.Providers)})
		}
	}
	for _, a := range good {
		if !seen[a.Customer] && live(a.Expires) {
			out = append(out, vrp.ASPA{Customer: a.Customer, Providers: slices.Clone(a.Providers)})
		}
	}
	return out
}
