package liveroutes

import (
	"context"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/bgp"
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

func (rt *Routes) peers() []bgp.PeerStatus {
	sp := rt.runningSpeaker()
	if sp == nil {
		return nil
	}
	return sp.Peers()
}

func (rt *Routes) runningSpeaker() *bgp.Speaker {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.speaker
}

func (o Options) syncTimeout() time.Duration {
	if o.SyncTimeout > 0 {
		return o.SyncTimeout
	}
	return DefaultSync
}

// Run runs the speaker until ctx ends (nothing when not configured).
func (rt *Routes) Run(ctx context.Context) error {
	if err := rt.Ready(ctx); err != nil {
		return nil // stopped while loading
	}
	o := rt.opt
	if o.Listen == "" {
		return nil
	}
	hold := o.HoldAfterDown
	if hold <= 0 {
		hold = DefaultHold
	}
	sp, err := bgp.StartSpeaker(ctx, bgp.SpeakerConfig{
		ListenAddr: o.Listen, ASN: o.ASN, RouterID: o.RouterID, Peers: o.Peers,
		HoldAfterDown: hold, Logger: rt.log.With("pkg", "bgp"), Now: rt.clock,
	}, rt.table)
	if err != nil {
		return fmt.Errorf("bgp speaker: %w", err)
	}
	rt.mu.Lock()
	rt.speaker = sp
	rt.mu.Unlock()
	<-ctx.Done()
	rt.mu.Lock()
	rt.speaker = nil
	rt.mu.Unlock()
	sp.Stop()
	return nil
}

// Peers lists the configured neighbours with their session state.
func (rt *Routes) Peers(context.Context) (*PeerList, error) {
	out := &PeerList{Listen: rt.opt.Listen, ASN: rt.opt.ASN, Peers: []Peer{}}
	sp := rt.runningSpeaker()
	for _, p := range rt.peers() {
		bp := Peer{Address: p.Address, ASN: p.ASN, State: p.State, Received: p.Received, Uptime: p.Uptime}
		if sp != nil {
			_, bp.Synced = sp.Synced(p.Address, rt.opt.syncTimeout())
		}
		out.Peers = append(out.Peers, bp)
	}
	if len(out.Peers) == 0 {
		for _, p := range rt.opt.Peers { // configured, speaker not up (yet)
			out.Peers = append(out.Peers, Peer{Address: p.Address, ASN: p.ASN, State: "down"})
		}
	}
	return out, nil
}

// PeerList is the speaker's configuration and its neighbours.
type PeerList struct {
	Listen string // "" when no speaker is configured
	ASN    uint32
	Peers  []Peer
}

// Peer is one configured BGP neighbour and its session.
type Peer struct {
	Address string
	ASN     uint32
	State   string // "established", "active", "idle", "down", ...
	// Synced: established and the initial table is in (End-of-RIB received,
	// or the sync timeout passed); until then proposals carry routes-incomplete.
	Synced   bool
	Uptime   time.Duration
	Received int
}
