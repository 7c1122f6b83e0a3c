package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/server"

	"github.com/roadrpki/road/internal/route"
)

// Peer is a BGP neighbour allowed to connect to the speaker.
type Peer struct {
	ASN     uint32
	Address string
}

// SpeakerConfig configures the embedded, passive BGP speaker.
type SpeakerConfig struct {
	ListenAddr    string // e.g. "127.0.0.1:1179"
	ASN           uint32
	RouterID      string
	Peers         []Peer
	HoldAfterDown time.Duration // routes of a dropped session stay this long
	Logger        *slog.Logger
	Now           func() time.Time // clock for last-seen stamps; time.Now if nil
}

// PeerStatus is one configured neighbour as `roactl bgp peers` shows it.
type PeerStatus struct {
	Address  string        `json:"address"`
	ASN      uint32        `json:"asn"`
	State    string        `json:"state"`
	Uptime   time.Duration `json:"uptime"`
	Received int           `json:"received"`
}

// ErrSpeakerConfig marks an unusable SpeakerConfig.
var ErrSpeakerConfig = errors.New("bgp: speaker-config")

// Speaker runs gobgp with passive sessions and copies every received path
// (pre-policy Adj-RIB-In, all paths of all peers) into a Table. gobgp's
// global RIB stays empty: the global import policy rejects everything.
type Speaker struct {
	cfg    SpeakerConfig
	log    *slog.Logger
	now    func() time.Time
	table  *Table
	bgp    *server.BgpServer
	cancel context.CancelFunc

	mu       sync.Mutex
	stopped  bool
	sessions map[string]*session // by neighbour address
}

// session tracks the table ids of one neighbour: the live session's and
// those of dropped sessions waiting for HoldAfterDown.
type session struct {
	id    PeerID
	live  bool
	gen   int
	stale []*time.Timer
	since time.Time // established at
	eor   [2]bool   // End-of-RIB received this session: IPv4, IPv6 (RFC 4724 §2)
}

// StartSpeaker starts listening on cfg.ListenAddr and accepts sessions from
// cfg.Peers only. It never connects out.
func StartSpeaker(ctx context.Context, cfg SpeakerConfig, table *Table) (*Speaker, error) {
	host, portStr, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("%w: listen address %q: %w", ErrSpeakerConfig, cfg.ListenAddr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("%w: listen port %q", ErrSpeakerConfig, portStr)
	}
	if cfg.ASN == 0 {
		return nil, fmt.Errorf("%w: asn 0", ErrSpeakerConfig)
	}
	if _, err := netip.ParseAddr(cfg.RouterID); err != nil {
		return nil, fmt.Errorf("%w: router id %q", ErrSpeakerConfig, cfg.RouterID)
	}
	for _, p := range cfg.Peers {
		if _, err := netip.ParseAddr(p.Address); err != nil || p.ASN == 0 {
			return nil, fmt.Errorf("%w: peer %d@%s", ErrSpeakerConfig, p.ASN, p.Address)
		}
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Speaker{cfg: cfg, log: lg, now: now, table: table, sessions: make(map[string]*session)}
	s.bgp = server.NewBgpServer(server.LoggerOption(&gobgpLogger{lg}))
	go s.bgp.Serve() // every API call goes through Serve's loop

	var wctx context.Context
	wctx, s.cancel = context.WithCancel(context.Background())
	fail := func(err error) (*Speaker, error) {
		s.Stop()
		return nil, err
	}
	if err := s.bgp.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: cfg.ASN, RouterId: cfg.RouterID, ListenPort: int32(port), ListenAddresses: []string{host},
	}}); err != nil {
		return fail(fmt.Errorf("bgp: start: %w", err))
	}
	// Keep gobgp's global RIB empty: we read the pre-policy Adj-RIB-In.
	if err := s.bgp.SetPolicyAssignment(ctx, &api.SetPolicyAssignmentRequest{Assignment: &api.PolicyAssignment{
		Name: "global", Direction: api.PolicyDirection_IMPORT, DefaultAction: api.RouteAction_REJECT,
	}}); err != nil {
		return fail(fmt.Errorf("bgp: import policy: %w", err))
	}
	if err := s.bgp.WatchEvent(wctx, &api.WatchEventRequest{
		Peer: &api.WatchEventRequest_Peer{},
		Table: &api.WatchEventRequest_Table{Filters: []*api.WatchEventRequest_Table_Filter{
			{Type: api.WatchEventRequest_Table_Filter_ADJIN}, {Type: api.WatchEventRequest_Table_Filter_EOR}}},
	}, s.onEvent); err != nil {
		return fail(fmt.Errorf("bgp: watch: %w", err))
	}
	for _, p := range cfg.Peers {
		if err := s.bgp.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
			Conf: &api.PeerConf{
				NeighborAddress: p.Address, PeerAsn: p.ASN,
				AllowOwnAsn: 255, // see routes through our own AS too: they still need an origin check
			},
			Transport: &api.Transport{PassiveMode: true},
			AfiSafis: []*api.AfiSafi{
				{Config: &api.AfiSafiConfig{Family: &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}, Enabled: true}},
				{Config: &api.AfiSafiConfig{Family: &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}, Enabled: true}},
			},
		}}); err != nil {
			return fail(fmt.Errorf("bgp: add peer %s: %w", p.Address, err))
		}
	}
	lg.Info("bgp speaker listening", "addr", cfg.ListenAddr, "asn", cfg.ASN, "peers", len(cfg.Peers))
	return s, nil
}

// Stop closes every session and the listener. Routes already in the table
// stay; the caller decides whether to drop them.
func (s *Speaker) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	for _, ss := range s.sessions {
		for _, t := range ss.stale {
			t.Stop()
		}
	}
	s.mu.Unlock()
	s.cancel()
	s.bgp.Stop()
}

func peerName(addr string) string { return "bgp:" + addr }

// onEvent runs on gobgp's watcher goroutine, in event order.
func (s *Speaker) onEvent(ev *api.WatchEventResponse) {
	if pe := ev.GetPeer(); pe != nil {
		if pe.GetType() == api.WatchEventResponse_PeerEvent_STATE {
			st := pe.GetPeer().GetState()
			s.peerState(st.GetNeighborAddress(), st.GetSessionState() == api.PeerState_ESTABLISHED)
		}
		return
	}
	tev := ev.GetTable()
	if tev == nil {
		return
	}
	seen := s.now()
	for _, p := range tev.GetPaths() {
		s.path(p, seen)
	}
}

// peerState gives an established session a fresh table id; a session that
// leaves Established keeps its routes under a stale name for HoldAfterDown.
func (s *Speaker) peerState(addr string, up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	ss := s.sessions[addr]
	if ss == nil {
		ss = &session{}
		s.sessions[addr] = ss
	}
	if up == ss.live {
		return
	}
	if up {
		id, err := s.table.Peer(peerName(addr))
		if err != nil {
			s.log.Error("bgp session up but no table id", "peer", addr, "err", err)
			return
		}
		ss.id, ss.live, ss.since, ss.eor = id, true, s.now(), [2]bool{}
		s.log.Info("bgp session established", "peer", addr)
		return
	}
	ss.live = false
	ss.gen++
	old := ss.id
	staleName := fmt.Sprintf("%s#down%d", peerName(addr), ss.gen)
	s.table.RenamePeer(old, staleName)
	s.log.Info("bgp session down", "peer", addr, "hold", s.cfg.HoldAfterDown)
	var t *time.Timer
	t = time.AfterFunc(s.cfg.HoldAfterDown, func() {
		s.table.DropPeer(old)
		s.mu.Lock()
		ss.stale = slices.DeleteFunc(ss.stale, func(x *time.Timer) bool { return x == t })
		s.mu.Unlock()
		s.log.Info("bgp routes of dropped session removed", "peer", addr)
	})
	ss.stale = append(ss.stale, t)
}

func (s *Speaker) path(p *api.Path, seen time.Time) {
	addr := p.GetNeighborIp()
	s.mu.Lock()
	ss := s.sessions[addr]
	live := ss != nil && ss.live
	var id PeerID
	if live {
		id = ss.id
	}
	s.mu.Unlock()
	if !live {
		return
	}
	if p.GetNlri() == nil && len(p.GetPattrs()) == 0 { // End-of-RIB marker
		if fam := p.GetFamily(); fam.GetSafi() == api.Family_SAFI_UNICAST {
			s.mu.Lock()
			switch fam.GetAfi() {
			case api.Family_AFI_IP:
				ss.eor[0] = true
			case api.Family_AFI_IP6:
				ss.eor[1] = true
			}
			s.mu.Unlock()
		}
		return
	}
	prefix, ok := pathPrefix(p)
	if !ok {
		return
	}
	if p.GetIsWithdraw() {
		s.table.Withdraw(id, prefix)
		return
	}
	r, ok := pathRoute(prefix, p, s.cfg.ASN)
	if !ok {
		// unusable attributes: treat as withdraw (RFC 7606 §2)
		s.table.Withdraw(id, prefix)
		return
	}
	s.table.Add(id, r, seen)
}

func pathPrefix(p *api.Path) (netip.Prefix, bool) {
	fam := p.GetFamily()
	if fam.GetSafi() != api.Family_SAFI_UNICAST || (fam.GetAfi() != api.Family_AFI_IP && fam.GetAfi() != api.Family_AFI_IP6) {
		return netip.Prefix{}, false
	}
	var n api.IPAddressPrefix
	if p.GetNlri() == nil || p.GetNlri().UnmarshalTo(&n) != nil {
		return netip.Prefix{}, false
	}
	a, err := netip.ParseAddr(n.GetPrefix())
	if err != nil {
		return netip.Prefix{}, false
	}
	if fam.GetAfi() == api.Family_AFI_IP {
		a = a.Unmap()
	}
	pfx, err := a.Prefix(int(n.GetPrefixLen()))
	return pfx, err == nil
}

// pathRoute applies RFC 6811 §2: the last ASN of a final AS_SEQUENCE;
// NONE for a final AS_SET; our own AS for an empty path or a final
// confederation segment.
func pathRoute(prefix netip.Prefix, p *api.Path, ownAS uint32) (route.Route, bool) {
	r := route.Route{Prefix: prefix, Origin: ownAS}
	for _, a := range p.GetPattrs() {
		var asp api.AsPathAttribute
		if !a.MessageIs(&asp) {
			continue
		}
		if a.UnmarshalTo(&asp) != nil {
			return r, false
		}
		segs := asp.GetSegments()
		for i := len(segs) - 1; i >= 0; i-- {
			nums := segs[i].GetNumbers()
			if len(nums) == 0 {
				continue
			}
			switch segs[i].GetType() {
			case api.AsSegment_AS_SEQUENCE:
				r.Origin = nums[len(nums)-1]
			case api.AsSegment_AS_SET:
				r.Origin, r.NoOrigin = 0, true
			}
			return r, true
		}
	}
	return r, true
}

// Synced reports whether the session with addr is established and whether
// its initial table is complete: End-of-RIB received for IPv4 and IPv6
// (RFC 4724 §2), or, from a peer that sends none, settle elapsed since the
// session came up.
func (s *Speaker) Synced(addr string, settle time.Duration) (established, synced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[addr]
	if ss == nil || !ss.live {
		return false, false
	}
	return true, (ss.eor[0] && ss.eor[1]) || s.now().Sub(ss.since) >= settle
}

// Peers lists the configured neighbours with their session state.
func (s *Speaker) Peers() []PeerStatus {
	var out []PeerStatus
	now := s.now()
	err := s.bgp.ListPeer(context.Background(), &api.ListPeerRequest{}, func(p *api.Peer) {
		st := PeerStatus{Address: p.GetConf().GetNeighborAddress(), ASN: p.GetConf().GetPeerAsn(), State: "unknown"}
		if state := p.GetState(); state != nil {
			st.State = sessionStateName(state.GetSessionState())
			if state.GetSessionState() == api.PeerState_ESTABLISHED {
				if up := p.GetTimers().GetState().GetUptime(); up != nil {
					st.Uptime = now.Sub(up.AsTime()).Truncate(time.Second)
				}
			}
		}
		for _, af := range p.GetAfiSafis() {
			st.Received += int(af.GetState().GetReceived())
		}
		out = append(out, st)
	})
	if err != nil {
		s.log.Warn("bgp list peers", "err", err)
	}
	slices.SortFunc(out, func(a, b PeerStatus) int {
		if a.Address < b.Address {
			return -1
		}
		if a.Address > b.Address {
			return 1
		}
		return 0
	})
	return out
}

func sessionStateName(st api.PeerState_SessionState) string {
	switch st {
	case api.PeerState_IDLE:
		return "idle"
	case api.PeerState_CONNECT:
		return "connect"
	case api.PeerState_ACTIVE:
		return "active"
	case api.PeerState_OPENSENT:
		return "opensent"
	case api.PeerState_OPENCONFIRM:
		return "openconfirm"
	case api.PeerState_ESTABLISHED:
		return "established"
	}
	return "unknown"
}

// ParsePeer parses the `--bgp-peer ASN@ADDRESS` form, e.g. "64501@127.0.0.1".
func ParsePeer(s string) (Peer, error) {
	asnStr, addr, ok := strings.Cut(s, "@")
	if !ok {
		return Peer{}, fmt.Errorf("%w: peer %q: want ASN@ADDRESS", ErrSpeakerConfig, s)
	}
	asn, ok := parseASN(asnStr)
	if !ok || asn == 0 {
		return Peer{}, fmt.Errorf("%w: peer %q: bad ASN", ErrSpeakerConfig, s)
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return Peer{}, fmt.Errorf("%w: peer %q: %w", ErrSpeakerConfig, s, err)
	}
	return Peer{ASN: asn, Address: a.String()}, nil
}
