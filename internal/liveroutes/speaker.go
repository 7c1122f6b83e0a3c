package liveroutes

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/bgp"
)

// BGPOptions configure the embedded passive BGP speaker (DESIGN.md
// --bgp-listen, --bgp-asn, --bgp-router-id, --bgp-peer). It runs only when
// Listen is set; the route table exists either way (imports feed it too).
type BGPOptions struct {
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

// Defaults of BGPOptions.
const (
	DefaultBGPHold = 2 * time.Minute
	DefaultBGPSync = time.Minute
)

// safety holds what the safety checks need beyond the store: the live route
// table and the speaker feeding it, and the lock that makes a proposal's
// check and its application one step.
type safety struct {
	propose sync.Mutex // held from check to commit of one proposal
	table   *bgp.Table

	cacheMu  sync.Mutex
	cache    *checkState // nil: read the store (checkcache.go)
	cacheGen uint64

	loadOnce sync.Once     // reload of the kept imports (imports.go)
	loaded   chan struct{} // closed when done

	mu      sync.Mutex
	speaker *bgp.Speaker
}

func newSafety(reg prometheus.Registerer) *safety {
	s := &safety{table: bgp.NewTable(), loaded: make(chan struct{})}
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

func (s *safety) peers() []bgp.PeerStatus {
	sp := s.runningSpeaker()
	if sp == nil {
		return nil
	}
	return sp.Peers()
}

func (s *safety) runningSpeaker() *bgp.Speaker {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speaker
}

func (o BGPOptions) syncTimeout() time.Duration {
	if o.SyncTimeout > 0 {
		return o.SyncTimeout
	}
	return DefaultBGPSync
}

// runBGP runs the speaker until ctx ends (nothing when not configured).
func (d *Daemon) runBGP(ctx context.Context) error {
	if err := d.routesReady(ctx); err != nil {
		return nil // stopped while loading
	}
	o := d.opt.BGP
	if o.Listen == "" {
		return nil
	}
	hold := o.HoldAfterDown
	if hold <= 0 {
		hold = DefaultBGPHold
	}
	sp, err := bgp.StartSpeaker(ctx, bgp.SpeakerConfig{
		ListenAddr: o.Listen, ASN: o.ASN, RouterID: o.RouterID, Peers: o.Peers,
		HoldAfterDown: hold, Logger: d.log.With("pkg", "bgp"), Now: d.clock,
	}, d.safety.table)
	if err != nil {
		return fmt.Errorf("bgp speaker: %w", err)
	}
	d.safety.mu.Lock()
	d.safety.speaker = sp
	d.safety.mu.Unlock()
	<-ctx.Done()
	d.safety.mu.Lock()
	d.safety.speaker = nil
	d.safety.mu.Unlock()
	sp.Stop()
	return nil
}
