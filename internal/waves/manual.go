package waves

import (
	"context"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/fault"
)

// errNoWaves answers the manual actions when no waves are configured.
var errNoWaves = fault.New(fault.Conflict, "no RTR waves are configured (rtr.waves): every router gets every set at once", nil)

func errHealth(chk *Check) error {
	return fault.New(fault.Conflict, "health check fails: "+chk.Reason+" (promote --force skips the checks)", chk)
}

// Promote acts by hand: a held (rolled back) set starts its rollout again in
// the first wave; otherwise every set under way moves one wave on without
// waiting for its hold time, once health passes (force: without checking).
func (c *Controller) Promote(ctx context.Context, actor string, force bool) (*Status, error) {
	if !c.Enabled() {
		return nil, errNoWaves
	}
	c.mu.Lock()
	if c.newest != nil && c.rejected != "" && c.rejected == c.newest.id {
		c.rejected = ""
		c.offerLocked(c.newest)
		c.log.Info("rtr waves: held set promoted by hand", "actor", actor, "set", c.newest.id)
		c.mu.Unlock()
		return c.Status(), nil
	}
	rolling := c.rollingLocked()
	c.mu.Unlock()
	if !rolling {
		return nil, fault.New(fault.Conflict, "nothing to promote: every wave serves the same set", nil)
	}
	did, err := c.advance(ctx, true, force)
	if err != nil {
		return nil, err
	}
	c.log.Info("rtr waves: promoted by hand", "actor", actor, "result", did, "force", force)
	return c.Status(), nil
}

// Rollback acts by hand: every wave that got a newer set than the base goes
// back to the base under a new serial; the newest set is held.
func (c *Controller) Rollback(ctx context.Context, actor string) (*Status, error) {
	if !c.Enabled() {
		return nil, errNoWaves
	}
	c.mu.Lock()
	if !c.rollingLocked() {
		c.mu.Unlock()
		return nil, fault.New(fault.Conflict, "nothing to roll back: every wave serves the same set", nil)
	}
	c.rollbackLocked("by hand: " + actor)
	c.mu.Unlock()
	return c.Status(), nil
}

// Status is where each set is (GET /api/v1/rtr/waves, roactl rtr waves).
type Status struct {
	Enabled bool         `json:"enabled"`
	Rolling bool         `json:"rolling"` // some wave serves a set newer than the base
	Base    *SetInfo     `json:"base,omitempty"`
	Newest  *SetInfo     `json:"newest,omitempty"`
	Held    bool         `json:"held"` // the newest set was rolled back and waits for a promote
	Waves   []WaveStatus `json:"waves"`
	Health  *Check       `json:"last_health,omitempty"`
}

// SetInfo names a VRP set by its content id.
type SetInfo struct {
	ID    string `json:"id"`
	VRPs  int    `json:"vrps"`
	ASPAs int    `json:"aspas"`
}

// WaveStatus is one wave.
type WaveStatus struct {
	Name   string    `json:"name"`
	Hold   string    `json:"hold"` // Go duration syntax
	Serial uint32    `json:"serial"`
	Set    *SetInfo  `json:"set,omitempty"`
	Since  time.Time `json:"since"`
	// State: "no-data", "stable" (serves the base), "holding" (serves a
	// newer set and waits for its hold time) or "ready" (hold passed; the
	// next step hands the set on when health passes).
	State     string    `json:"state"`
	HoldUntil time.Time `json:"hold_until,omitzero"`
}

func info(s *set) *SetInfo {
	if s == nil {
		return nil
	}
	return &SetInfo{ID: s.id, VRPs: len(s.vrps), ASPAs: len(s.aspas)}
}

// Status returns the waves' state.
func (c *Controller) Status() *Status {
	st := &Status{Enabled: c.Enabled(), Waves: []WaveStatus{}}
	c.mu.Lock()
	defer c.mu.Unlock()
	st.Rolling, st.Base, st.Newest, st.Health = c.rollingLocked(), info(c.base), info(c.newest), c.health
	st.Held = c.newest != nil && c.rejected == c.newest.id
	now := c.cfg.Clock()
	for i, w := range c.waves {
		g := c.cfg.Groups[i]
		ws := WaveStatus{Name: g.Name, Hold: g.Hold.String(), Serial: w.serial, Set: info(w.set), Since: w.since, State: "no-data"}
		switch {
		case w.set == nil:
		case c.base == nil || w.set.id == c.base.id:
			ws.State = "stable"
		default:
			ws.HoldUntil = w.since.Add(g.Hold)
			ws.State = "holding"
			if !now.Before(ws.HoldUntil) {
				ws.State = "ready"
			}
		}
		st.Waves = append(st.Waves, ws)
	}
	return st
}

// String is one line for logs.
func (s *SetInfo) String() string { return fmt.Sprintf("%s (%d VRPs)", s.ID, s.VRPs) }
