// Package liveroutes is the live route table the safety checks read: the
// embedded passive BGP speaker's sessions (RFC 4271, End-of-RIB RFC 4724 §2),
// the kept MRT (RFC 6396) and text imports, and whether the table is complete.
package liveroutes

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/store"
)

// Options configure the embedded passive BGP speaker (DESIGN.md
// --bgp-listen, --bgp-asn, --bgp-router-id, --bgp-peer). It runs only when
// Listen is set; the route table exists either way (imports feed it too).
type Options struct {
	Listen   string // ADDR:PORT
	ASN      uint32
	RouterID string
	Peers    []bgp.Peer
	// HoldAfterDown is how long the routes of a session that dropped stay in
	// the table (default DefaultBGPHold): a flap must not make the safety
	// checks forget what the peer announced.
	HoldAfterDown time.Duration
	// SyncTimeout is how long after a session comes up a peer that sends no
	// End-of-RIB (RFC 4724 §2) is taken to have sent its whole table (default
	// DefaultBGPSync). Until then proposals carry routes-incomplete.
	SyncTimeout time.Duration
}

// Defaults of Options.
const (
	DefaultHold = 2 * time.Minute
	DefaultSync = time.Minute
)

// Config is what Routes needs: where kept imports live, the speaker's
// options, and the history the imports are recorded in.
type Config struct {
	DataDir  string
	BGP      Options
	Store    *store.Store
	Logger   *slog.Logger
	Clock    func() time.Time
	Registry prometheus.Registerer
}

// Routes is the live route table and what feeds it: the embedded speaker's
// sessions and the kept imports.
type Routes struct {
	opt   Options
	dir   string // DataDir
	st    *store.Store
	log   *slog.Logger
	clock func() time.Time
	table *bgp.Table

	loadOnce sync.Once     // reload of the kept imports (imports.go)
	loaded   chan struct{} // closed when done

	mu      sync.Mutex
	speaker *bgp.Speaker
}

// New returns the route table with its metrics registered; the kept imports
// load on the first Ready, the speaker runs in Run.
func New(c Config) *Routes {
	s := &Routes{opt: c.BGP, dir: c.DataDir, st: c.Store, log: c.Logger, clock: c.Clock,
		table: bgp.NewTable(), loaded: make(chan struct{})}
	reg := c.Registry
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "road_bgp_routes", Help: "Distinct (prefix, origin) routes in the live table (sessions and imports).",
	}, func() float64 { return float64(s.table.Len()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "road_bgp_sessions_established", Help: "Configured BGP neighbours whose session is established.",
	}, func() float64 {
		n := 0
		for _, p := range s.peers() {
			if p.State == "established" {
				n++
			}
		}
		return float64(n)
	}))
	return s
}

func (s *Routes) peers() []bgp.PeerStatus {
	sp := s.runningSpeaker()
	if sp == nil {
		return nil
	}
	return sp.Peers()
}

func (s *Routes) runningSpeaker() *bgp.Speaker {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speaker
}

func (o Options) syncTimeout() time.Duration {
	if o.SyncTimeout > 0 {
		return o.SyncTimeout
	}
	return DefaultSync
}

// Table is the live table (tests feed it directly).
func (s *Routes) Table() *bgp.Table { return s.table }

// Snapshot is an immutable view of the routes now.
func (s *Routes) Snapshot() route.Source { return s.table.Snapshot() }

// Run runs the speaker until ctx ends (nothing when not configured).
func (s *Routes) Run(ctx context.Context) error {
	if err := s.Ready(ctx); err != nil {
		return nil // stopped while loading
	}
	o := s.opt
	if o.Listen == "" {
		return nil
	}
	hold := o.HoldAfterDown
	if hold <= 0 {
		hold = DefaultHold
	}
	sp, err := bgp.StartSpeaker(ctx, bgp.SpeakerConfig{
		ListenAddr: o.Listen, ASN: o.ASN, RouterID: o.RouterID, Peers: o.Peers,
		HoldAfterDown: hold, Logger: s.log.With("pkg", "bgp"), Now: s.clock,
	}, s.table)
	if err != nil {
		return fmt.Errorf("bgp speaker: %w", err)
	}
	s.mu.Lock()
	s.speaker = sp
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.speaker = nil
	s.mu.Unlock()
	sp.Stop()
	return nil
}
