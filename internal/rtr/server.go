package rtr

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// Server is an RTR cache server. Create it with NewServer, feed it with
// Update and run it with Serve; all methods are safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	m        *metrics
	sessions [maxVersion + 1]uint16
	gen      atomic.Pointer[generation] // the newest generation: every router's view without waves
	waves    []wave                     // with Config.Waves: each group's view

	mu          sync.Mutex // guards the fields below and serializes Update
	clients     map[*client]struct{}
	perSource   map[string]int // open connections per source address
	pending     int            // open connections without a query yet
	accepted    uint64         // sequence of accepted connections (oldest pending first)
	withdrawn   bool           // Withdraw was called; lastSerial is the serial it dropped
	lastSerial  uint32
	lastNotify  time.Time
	notifyTimer *time.Timer
	kept        map[uint32]*generation // with waves: the generations Show may serve
}

// NewServer returns a server with no data: until the first Update every
// query is answered with "No Data Available" (RFC 8210 §8.4).
func NewServer(cfg Config) *Server {
	cfg = cfg.normalized()
	s := &Server{cfg: cfg, log: cfg.Logger, m: newMetrics(cfg.Registry), clients: map[*client]struct{}{},
		perSource: map[string]int{}}
	if len(cfg.Waves) > 0 {
		s.waves, s.kept = make([]wave, len(cfg.Waves)), map[uint32]*generation{}
		for i, g := range cfg.Waves {
			s.waves[i].name = g.Name
			s.m.waveClients.WithLabelValues(g.Name) // 0, not absent, before the first router
		}
	}
	// RFC 8210 §5.1: a clock-based session id, and a different one per
	// version (sessions of different versions are different sessions).
	base := uint16(cfg.Clock().Unix())
	for v := range s.sessions {
		s.sessions[v] = base + uint16(v)*0x5555
	}
	return s
}

// Update installs a new generation if vrps or aspas differ from the current
// one and returns the (possibly unchanged) serial. An empty set is valid data:
// routers then get End of Data with no records (or withdrawals), never "No
// Data". Invalid VRPs and ASPAs are dropped: a router drops the whole session
// on one bad record (gortr#61). With waves, every wave is shown the new
// generation at once (internal/waves stages it wave by wave instead).
func (s *Server) Update(vrps vrp.Set, aspas []vrp.ASPA) (serial uint32, changed bool) {
	vrps, aspas = Clean(vrps, aspas)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.gen.Load()
	g, changed := s.stageLocked(vrps, aspas)
	for i := range s.waves {
		if s.waves[i].gen.Load() != g {
			s.showLocked(i, g)
			changed = true
		}
	}
	if len(s.waves) > 0 {
		s.pruneLocked()
	}
	if changed && old != nil {
		s.scheduleNotifyLocked()
	}
	return g.serial, changed
}

// Clean is what Update serves of vrps and aspas: the valid ones, sorted
// and unique.
func Clean(vrps vrp.Set, aspas []vrp.ASPA) (vrp.Set, []vrp.ASPA) {
	vrps = cleanSet(vrps)
	aspas = vrp.NormalizeASPAs(aspas)
	aspas = slices.DeleteFunc(aspas, func(a vrp.ASPA) bool { return a.Validate() != nil })
	return vrps, aspas
}

// stageLocked makes vrps and aspas the newest generation, unless they equal it.
func (s *Server) stageLocked(vrps vrp.Set, aspas []vrp.ASPA) (*generation, bool) {
	old := s.gen.Load()
	if old != nil && slices.Equal(old.vrps, vrps) && slices.EqualFunc(old.aspas, aspas, vrp.ASPA.Equal) {
		return old, false
	}
	serial := s.cfg.FirstSerial
	switch {
	case old != nil:
		serial = old.serial + 1
	case s.withdrawn:
		serial = s.lastSerial + 1 // after Withdraw: same session, no diff window
	}
	g := next(old, serial, vrps, aspas, s.cfg.Window, s.sessions, s.cfg.timers())
	s.gen.Store(g)
	if s.kept != nil {
		s.kept[serial] = g
	}
	s.m.serial.Set(float64(serial))
	s.m.vrps.Set(float64(len(vrps)))
	s.log.Info("rtr generation", "serial", serial, "vrps", len(vrps), "aspas", len(aspas))
	return g, true
}

// Withdraw stops serving: connected routers are disconnected and every query
// gets "No Data Available" until the next Update, so routers fall back to
// other caches or let the data expire (RFC 8210 §6 Expire) instead of using
// stale VRPs forever (the GoRTR #81 lesson).
func (s *Server) Withdraw(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gen.Load()
	if g == nil {
		return
	}
	s.withdrawn, s.lastSerial = true, g.serial
	s.gen.Store(nil)
	for i := range s.waves {
		s.waves[i].gen.Store(nil)
	}
	clear(s.kept)
	s.m.vrps.Set(0)
	for c := range s.clients {
		c.conn.Close()
	}
	s.log.Warn("rtr data withdrawn", "reason", reason, "serial", g.serial)
}

// cleanSet returns vrps sorted, unique and valid, copying only if needed.
func cleanSet(vrps vrp.Set) vrp.Set {
	ok := true
	for i, v := range vrps {
		if v.Validate() != nil || v.Prefix.Masked() != v.Prefix || (i > 0 && vrp.Compare(vrps[i-1], v) >= 0) {
			ok = false
			break
		}
	}
	if ok {
		return vrps
	}
	c := slices.DeleteFunc(slices.Clone(vrps), func(v vrp.VRP) bool {
		return v.Validate() != nil || v.Prefix.Masked() != v.Prefix
	})
	return vrp.NewSet(c)
}

// scheduleNotifyLocked sends Serial Notify now or, within NotifyInterval of
// the last one, once the interval has passed (RFC 8210 §8.2 rate limit).
func (s *Server) scheduleNotifyLocked() {
	if s.notifyTimer != nil {
		return // already pending; it will announce the newest serial
	}
	wait := s.cfg.NotifyInterval - s.cfg.Clock().Sub(s.lastNotify)
	if s.cfg.NotifyInterval < 0 || wait <= 0 {
		s.notifyAllLocked()
		return
	}
	s.notifyTimer = time.AfterFunc(wait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.notifyTimer = nil
		s.notifyAllLocked()
	})
}

func (s *Server) notifyAllLocked() {
	s.lastNotify = s.cfg.Clock()
	for c := range s.clients {
		select {
		case c.notify <- struct{}{}:
		default: // one pending notify is enough
		}
	}
}

// Serve accepts RTR connections on ln until ctx is done, then closes ln and
// every client connection and waits for their goroutines.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { <-ctx.Done(); ln.Close() }()
	var wg sync.WaitGroup
	defer wg.Wait()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) && !errors.Is(err, syscall.ENOBUFS) {
				return err
			}
			// Out of file descriptors: wait for connections to end rather
			// than stop serving the routers that are connected.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("rtr accept", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		c, refused := s.admit(conn)
		if c == nil {
			// RFC 8210 §5.11: an Error Report only answers a PDU, and none
			// has arrived yet: the connection is closed without one.
			s.m.refused.WithLabelValues(refused).Inc()
			s.log.Debug("rtr connection refused", "remote", conn.RemoteAddr().String(), "reason", refused)
			conn.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx)
			s.removeClient(c)
		}()
	}
}

// admit registers conn as a client within the connection bounds, or
// returns the bound it would exceed. At MaxConnections the oldest
// connection that has not sent a query yet makes room: idle connections
// cannot lock routers out for longer than one round trip.
func (s *Server) admit(conn net.Conn) (*client, string) {
	src := sourceOf(conn)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perSource[src] >= s.cfg.MaxPerSource {
		return nil, "max-per-source"
	}
	if len(s.clients) >= s.cfg.MaxConnections {
		old := s.oldestPendingLocked()
		if old == nil {
			return nil, "max-connections"
		}
		s.dropLocked(old)
		old.conn.Close()
		s.m.evicted.Inc()
		s.log.Debug("rtr connection evicted", "remote", old.remote)
	}
	s.accepted++
	c := &client{s: s, conn: conn, remote: conn.RemoteAddr().String(), source: src, seq: s.accepted,
		pending: true, since: s.cfg.Clock(), notify: make(chan struct{}, 1)}
	c.version.Store(-1)
	c.wave.Store(-1)
	switch {
	case len(s.waves) == 0:
		c.view = &s.gen
	case !isTLS(conn):
		s.assignWave(c)
	}
	s.clients[c] = struct{}{}
	s.perSource[src]++
	s.pending++
	s.setGaugesLocked()
	s.log.Debug("rtr client connected", "remote", c.remote)
	return c, ""
}

func (s *Server) oldestPendingLocked() *client {
	var old *client
	for c := range s.clients {
		if c.pending && (old == nil || c.seq < old.seq) {
			old = c
		}
	}
	return old
}

// established records that c sent its first query.
func (s *Server) established(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c]; ok && c.pending {
		c.pending = false
		s.pending--
		s.setGaugesLocked()
	}
}

// dropLocked forgets c (once; an evicted client is dropped before its
// goroutine ends).
func (s *Server) dropLocked(c *client) {
	if _, ok := s.clients[c]; !ok {
		return
	}
	delete(s.clients, c)
	if s.perSource[c.source]--; s.perSource[c.source] <= 0 {
		delete(s.perSource, c.source)
	}
	if c.pending {
		s.pending--
	}
	s.setGaugesLocked()
}

func (s *Server) setGaugesLocked() {
	s.m.clients.Set(float64(len(s.clients)))
	s.m.pending.Set(float64(s.pending))
}

func (s *Server) removeClient(c *client) {
	s.mu.Lock()
	s.dropLocked(c)
	s.mu.Unlock()
	if v := c.version.Load(); v >= 0 {
		s.m.byVersion.WithLabelValues(vlabel(uint8(v))).Dec()
	}
	if w := c.wave.Load(); w >= 0 {
		s.m.waveClients.WithLabelValues(s.waves[w].name).Dec()
	}
	s.log.Debug("rtr client disconnected", "remote", c.remote)
}

// sourceOf is the connection's source address, the key of MaxPerSource.
func sourceOf(conn net.Conn) string {
	a := conn.RemoteAddr()
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap().String()
	}
	return a.String()
}

// Status is a snapshot for `roactl status` and the API.
type Status struct {
	HasData    bool
	Serial     uint32
	SessionIDs map[uint8]uint16 // per protocol version
	VRPs       int
	ASPAs      int
	MaxVersion uint8
	Clients    []ClientStatus
	Waves      []WaveStatus // with Config.Waves, in rollout order
}

// ClientStatus describes one connected router.
type ClientStatus struct {
	Remote         string
	Wave           string // its wave's name ("" without waves or before its first query)
	Version        int    // -1 until negotiated
	Serial         uint32
	HasSerial      bool
	ConnectedSince time.Time
	LastQuery      time.Time
	ResetQueries   uint64
	SerialQueries  uint64
}

// Status returns the current serial, sessions and connected clients.
func (s *Server) Status() Status {
	st := Status{SessionIDs: map[uint8]uint16{}, MaxVersion: s.cfg.MaxVersion}
	for v := 0; v <= int(s.cfg.MaxVersion); v++ {
		st.SessionIDs[uint8(v)] = s.sessions[v]
	}
	if g := s.gen.Load(); g != nil {
		st.HasData, st.Serial, st.VRPs, st.ASPAs = true, g.serial, len(g.vrps), len(g.aspas)
	}
	s.mu.Lock()
	for c := range s.clients {
		st.Clients = append(st.Clients, c.status())
	}
	s.mu.Unlock()
	slices.SortFunc(st.Clients, func(a, b ClientStatus) int { return a.ConnectedSince.Compare(b.ConnectedSince) })
	st.Waves = s.waveStatus(st.Clients)
	return st
}

// Sessions returns the session id used for each protocol version.
func (s *Server) Sessions() [maxVersion + 1]uint16 { return s.sessions }
