// Package waves rolls a new VRP set out to routers wave by wave: the set
// goes to the first group of routers only, the other groups keep the
// previous serial; once a wave has held the set for its hold time and the
// health checks pass (the impact on the live BGP table, an optional command
// or URL), the set goes to the next wave. When health fails, every wave
// that got the set rolls back to the previous one under a new serial, so no
// router sees its serial go back (RFC 8210 §5.1). The state survives a
// restart in a small state file. internal/rtr serves each wave its view.
package waves

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/vrp"
)

// Server is the RTR side: internal/rtr's *Server.
type Server interface {
	Update(vrps vrp.Set, aspas []vrp.ASPA) (serial uint32, changed bool)
	Stage(vrps vrp.Set, aspas []vrp.ASPA) uint32
	Show(wave int, serial uint32) error
}

// Group is one wave: its name and how long it holds a new set before the
// next wave gets it.
type Group struct {
	Name string
	Hold time.Duration
}

// DefaultCheckInterval is how often Run checks health and holds.
const DefaultCheckInterval = 10 * time.Second

// Config configures a Controller. Without Groups it passes every set to
// Server.Update (every router at once), as road did before waves.
type Config struct {
	Server Server
	Groups []Group // rollout order; the last also takes the routers no group matches
	Health Health
	// StateFile keeps the waves' state across restarts ("" = memory only).
	StateFile     string
	CheckInterval time.Duration // 0: DefaultCheckInterval
	Clock         func() time.Time
	Logger        *slog.Logger
	Registry      prometheus.Registerer
}

// set is one VRP set (with ASPAs) and its content id.
type set struct {
	vrps  vrp.Set
	aspas []vrp.ASPA
	id    string
}

func newSet(vrps vrp.Set, aspas []vrp.ASPA) *set {
	vrps, aspas = rtr.Clean(vrps, aspas)
	h := sha256.New()
	var b []byte
	for _, v := range vrps {
		b = append(b[:0], v.Prefix.Addr().AsSlice()...)
		b = append(b, byte(v.Prefix.Bits()), v.MaxLen)
		_, _ = h.Write(binary.BigEndian.AppendUint32(b, v.ASN))
	}
	for _, a := range aspas {
		b = binary.BigEndian.AppendUint32(append(b[:0], 0xff), a.Customer)
		for _, p := range a.Providers {
			b = binary.BigEndian.AppendUint32(b, p)
		}
		_, _ = h.Write(b)
	}
	return &set{vrps: vrps, aspas: aspas, id: hex.EncodeToString(h.Sum(nil))[:16]}
}

// waveState is what one wave serves and since when.
type waveState struct {
	set    *set
	serial uint32
	since  time.Time
}

// Controller drives the waves. All methods are safe for concurrent use.
type Controller struct {
	cfg Config
	log *slog.Logger
	m   *metrics

	mu       sync.Mutex
	epoch    uint64 // bumped by every change of the state below
	waves    []waveState
	base     *set // every wave had it when the current rollout began: the rollback target
	newest   *set // the set offered last (held when it was rolled back)
	rejected string
	health   *Check // the last health check
}

// New returns a controller. With a state file it serves each wave the view
// it had before a restart, so call it before any router connects.
func New(cfg Config) (*Controller, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = DefaultCheckInterval
	}
	c := &Controller{cfg: cfg, log: cfg.Logger, waves: make([]waveState, len(cfg.Groups))}
	c.m = newMetrics(cfg.Registry, cfg.Groups)
	if err := c.restore(); err != nil {
		return nil, err
	}
	return c, nil
}

// Enabled reports whether waves are configured.
func (c *Controller) Enabled() bool { return len(c.cfg.Groups) > 0 }

// Update takes a new set from the relying party or `road rtr --vrps`: it
// goes to the first wave only. A set that was rolled back is held until an
// operator promotes it or a different set arrives. The serial returned is
// the first wave's.
func (c *Controller) Update(vrps vrp.Set, aspas []vrp.ASPA) (uint32, bool) {
	if !c.Enabled() {
		return c.cfg.Server.Update(vrps, aspas)
	}
	s := newSet(vrps, aspas)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.base == nil: // the first set (or the first after a withdrawal): nothing to stage against
		serial, _ := c.cfg.Server.Update(s.vrps, s.aspas)
		now := c.cfg.Clock()
		for i := range c.waves {
			c.waves[i] = waveState{set: s, serial: serial, since: now}
		}
		c.base, c.newest = s, s
		c.changedLocked("first set")
		return serial, true
	case c.newest != nil && s.id == c.newest.id:
		return c.waves[0].serial, false
	case s.id == c.rejected:
		c.newest = s
		c.log.Warn("rtr waves: the set rolled back is offered again; held until promoted", "set", s.id)
		return c.waves[0].serial, false
	}
	c.rejected = ""
	return c.offerLocked(s), true
}

// offerLocked stages s and shows it to the first wave.
func (c *Controller) offerLocked(s *set) uint32 {
	serial := c.cfg.Server.Stage(s.vrps, s.aspas)
	c.showLocked(0, s, serial)
	c.newest = s
	c.changedLocked("new set")
	return serial
}

func (c *Controller) showLocked(w int, s *set, serial uint32) {
	if err := c.cfg.Server.Show(w, serial); err != nil {
		c.log.Error("rtr waves: show", "wave", c.cfg.Groups[w].Name, "err", err)
		return
	}
	c.waves[w] = waveState{set: s, serial: serial, since: c.cfg.Clock()}
	c.log.Info("rtr waves: wave serves a new set", "wave", c.cfg.Groups[w].Name, "serial", serial, "set", s.id, "vrps", len(s.vrps))
}

// Withdraw forgets the waves' sets: after a withdrawal every router has
// nothing, so the next set goes to every wave at once.
func (c *Controller) Withdraw(reason string) {
	if w, ok := c.cfg.Server.(interface{ Withdraw(string) }); ok {
		w.Withdraw(reason)
	}
	if !c.Enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.newest, c.rejected = nil, nil, ""
	clear(c.waves)
	c.changedLocked("withdrawn")
}

// rollingLocked reports whether some wave serves a set other than base.
func (c *Controller) rollingLocked() bool {
	for _, w := range c.waves {
		if w.set != nil && c.base != nil && w.set.id != c.base.id {
			return true
		}
	}
	return false
}

// Run checks health and holds every CheckInterval until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	if !c.Enabled() {
		return
	}
	t := time.NewTicker(c.cfg.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.Step(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("rtr waves: step", "err", err)
		}
	}
}

// Step checks health while a rollout is under way: a failure rolls back;
// otherwise each wave whose hold time has passed hands its set to the next,
// and the last wave's set becomes the base once held. It returns what it
// did ("", "promoted", "completed", "rolled-back").
func (c *Controller) Step(ctx context.Context) (string, error) {
	return c.advance(ctx, false, false)
}

// advance is Step, or by hand (Promote) without the hold times and, with
// force, without the health checks.
func (c *Controller) advance(ctx context.Context, byHand, force bool) (string, error) {
	c.mu.Lock()
	if !c.rollingLocked() {
		c.mu.Unlock()
		return "", nil
	}
	epoch, in := c.epoch, c.healthInputLocked()
	c.mu.Unlock()
	var chk *Check
	if !force {
		chk = c.cfg.Health.run(ctx, in, c.cfg.Clock)
		c.m.observe(chk)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if chk != nil {
		c.health = chk
	}
	if c.epoch != epoch {
		return "", nil // a new set or a manual action came first; the next step sees it
	}
	if chk != nil && !chk.OK {
		if byHand {
			return "", errHealth(chk)
		}
		c.rollbackLocked("health: " + chk.Reason)
		return "rolled-back", nil
	}
	return c.promoteLocked(byHand), nil
}

// promoteLocked moves each set whose hold has passed one wave on, last
// wave first, so a set advances at most one wave per step.
func (c *Controller) promoteLocked(ignoreHold bool) string {
	now, did := c.cfg.Clock(), ""
	held := func(i int) bool { return ignoreHold || now.Sub(c.waves[i].since) >= c.cfg.Groups[i].Hold }
	last := len(c.waves) - 1
	if w := c.waves[last]; w.set.id != c.base.id && held(last) {
		c.base, did = w.set, "completed"
		c.log.Info("rtr waves: rollout complete", "set", w.set.id, "serial", w.serial)
	}
	for i := last - 1; i >= 0; i-- {
		if w := c.waves[i]; w.set.id != c.waves[i+1].set.id && held(i) {
			c.showLocked(i+1, w.set, w.serial)
			c.m.promotions.WithLabelValues(c.cfg.Groups[i+1].Name).Inc()
			did = "promoted"
		}
	}
	if did != "" {
		c.changedLocked(did)
	}
	return did
}

// rollbackLocked serves base again, under a new serial, to every wave that
// got a newer set, and holds the newest set until it is promoted by hand.
func (c *Controller) rollbackLocked(reason string) {
	serial := c.cfg.Server.Stage(c.base.vrps, c.base.aspas)
	for i, w := range c.waves {
		if w.set.id != c.base.id {
			c.showLocked(i, c.base, serial)
		}
	}
	c.rejected = c.newest.id
	c.m.rollbacks.Inc()
	c.log.Warn("rtr waves: rolled back", "reason", reason, "serial", serial, "held", c.rejected)
	c.changedLocked("rolled back")
}

// changedLocked records a state change: metrics and the state file.
func (c *Controller) changedLocked(why string) {
	c.epoch++
	for i, w := range c.waves {
		pending := 0.0
		if w.set != nil && c.base != nil && w.set.id != c.base.id {
			pending = 1
		}
		c.m.pending.WithLabelValues(c.cfg.Groups[i].Name).Set(pending)
	}
	if err := c.saveLocked(); err != nil {
		c.log.Error("rtr waves: state file", "after", why, "err", err)
	}
}

// Routes gives the health check the live BGP table.
type Routes func() route.Source
