package rtr

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// closedWithin reads from c until the server closes it and returns how long
// that took from start; a PDU or an error other than EOF/reset fails.
func closedWithin(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	_ = c.SetReadDeadline(start.Add(limit))
	var b [64]byte
	n, err := c.Read(b[:])
	took := time.Since(start)
	if n > 0 {
		t.Fatalf("server sent %x instead of closing", b[:n])
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %s", limit)
	}
	if !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("read: %v, want EOF", err)
	}
	return took
}

// dialFrom connects to addr from the loopback address src.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot connect from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitState polls until the server has open connections and pending ones
// without a query.
func waitState(t *testing.T, s *Server, open, pending int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		o, p := len(s.clients), s.pending
		s.mu.Unlock()
		if o == open && p == pending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server has %d connections (%d pending), want %d (%d pending)", o, p, open, pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// slack allows for the server starting a timer before the client notes the time.
const slack = 50 * time.Millisecond

// TestPDUTimeout: once a PDU's first byte has arrived, the rest must follow
// within PDUTimeout; a PDU split into parts that arrive in time is answered.
func TestPDUTimeout(t *testing.T) {
	const limit = 400 * time.Millisecond
	s, addr := testServer(t, Config{PDUTimeout: limit, HandshakeTimeout: time.Minute})
	s.Update(set(t, setA...), nil)

	q := AppendResetQuery(nil, 1)
	ok := dial(t, addr)
	ok.send(q[:3])
	time.Sleep(limit / 4) // the router's next segment, well within the bound
	if r := ok.query(q[3:]); r.errPDU != nil || !sameSet(r.ann, set(t, setA...)) {
		t.Fatalf("split query: %+v", r)
	}

	slow := dial(t, addr)
	start := time.Now()
	slow.send(q[:2]) // the slowloris: two bytes, then nothing
	if took := closedWithin(t, slow.conn, start, limit+3*time.Second); took < limit {
		t.Fatalf("closed after %s, before the PDU timeout %s", took, limit)
	}
	if got := value(t, s.m.timedOut.WithLabelValues(phasePDU)); got != 1 {
		t.Fatalf("pdu timeouts %v, want 1", got)
	}
	waitState(t, s, 1, 0) // the good router stays
}

// TestHandshakeAndSessionTimeout: a connection that never queries is
// closed after HandshakeTimeout; a session that stops querying after
// SessionTimeout; one that keeps querying stays.
func TestHandshakeAndSessionTimeout(t *testing.T) {
	const hs, sess = 300 * time.Millisecond, 900 * time.Millisecond
	s, addr := testServer(t, Config{HandshakeTimeout: hs, SessionTimeout: sess})
	s.Update(set(t, setA...), nil)

	idle := dial(t, addr)
	start := time.Now()
	// The server's clock starts at its accept, which may precede Dial's return: 50 ms of slack.
	if took := closedWithin(t, idle.conn, start, hs+3*time.Second); took < hs-slack {
		t.Fatalf("idle connection closed after %s, before %s", took, hs)
	}

	silent, polling := dial(t, addr), dial(t, addr)
	start = time.Now() // before the query: the session timer starts when the server has read it
	r := silent.query(AppendResetQuery(nil, 1))
	p := polling.query(AppendResetQuery(nil, 1))
	// The polling router queries every third of the session timeout, past
	// the handshake timeout and past the silent one's end.
	for i := 0; i < 4; i++ {
		time.Sleep(sess / 3)
		if d := polling.query(AppendSerialQuery(nil, 1, p.session, p.serial)); d.errPDU != nil || d.serial != p.serial {
			t.Fatalf("poll %d: %+v", i, d)
		}
	}
	if took := closedWithin(t, silent.conn, start, sess+3*time.Second); took < sess-slack || r.errPDU != nil {
		t.Fatalf("silent session closed after %s (want >= %s), sync %+v", took, sess, r)
	}
	if got := value(t, s.m.timedOut.WithLabelValues(phaseHandshake)); got != 1 {
		t.Fatalf("handshake timeouts %v, want 1", got)
	}
	if got := value(t, s.m.timedOut.WithLabelValues(phaseSession)); got != 1 {
		t.Fatalf("session timeouts %v, want 1", got)
	}
	waitState(t, s, 1, 0)
}

// TestSessionTimeoutDefaultsToExpire: RFC 8210 §6, a router that has not
// queried within the expire interval has no usable data from this cache.
func TestSessionTimeoutDefaultsToExpire(t *testing.T) {
	c := Config{Refresh: 600 * time.Second, Expire: 900 * time.Second}.normalized()
	if c.SessionTimeout != 900*time.Second || c.HandshakeTimeout != DefaultHandshakeTimeout ||
		c.PDUTimeout != DefaultPDUTimeout || c.MaxConnections != DefaultMaxConnections || c.MaxPerSource != DefaultMaxPerSource {
		t.Fatalf("normalized %+v", c)
	}
}

// TestConnectionCaps: beyond MaxPerSource a new connection is closed at
// once; at MaxConnections the oldest connection without a query makes room,
// and when every open one is a session the new one is closed.
func TestConnectionCaps(t *testing.T) {
	s, addr := testServer(t, Config{MaxPerSource: 3, MaxConnections: 5, HandshakeTimeout: time.Minute})
	s.Update(set(t, setA...), nil)
	refused := func(reason string) float64 { return value(t, s.m.refused.WithLabelValues(reason)) }

	var a []*tclient
	for i := range 3 {
		a = append(a, &tclient{t: t, conn: dialFrom(t, "127.0.0.1", addr)})
		waitState(t, s, i+1, i+1)
	}
	over := dialFrom(t, "127.0.0.1", addr)
	closedWithin(t, over, time.Now(), 3*time.Second)
	if refused("max-per-source") != 1 {
		t.Fatalf("per-source refusals %v, want 1", refused("max-per-source"))
	}
	for _, c := range a {
		if r := c.query(AppendResetQuery(nil, 1)); r.errPDU != nil {
			t.Fatalf("router within the cap: %+v", r)
		}
	}
	waitState(t, s, 3, 0)

	// Two idle connections from a second source fill the total; a third
	// evicts the oldest of them.
	b1 := dialFrom(t, "127.0.0.2", addr)
	waitState(t, s, 4, 1)
	b2 := dialFrom(t, "127.0.0.2", addr)
	waitState(t, s, 5, 2)
	b3 := dialFrom(t, "127.0.0.2", addr)
	closedWithin(t, b1, time.Now(), 3*time.Second)
	waitState(t, s, 5, 2)
	if got := value(t, s.m.evicted); got != 1 {
		t.Fatalf("evictions %v, want 1", got)
	}
	for _, c := range []net.Conn{b2, b3} {
		tc := &tclient{t: t, conn: c}
		if r := tc.query(AppendResetQuery(nil, 1)); r.errPDU != nil {
			t.Fatalf("connection after eviction: %+v", r)
		}
	}
	waitState(t, s, 5, 0)

	// Five sessions: nothing to evict, the sixth is closed at once.
	full := dialFrom(t, "127.0.0.2", addr)
	closedWithin(t, full, time.Now(), 3*time.Second)
	if refused("max-connections") != 1 || refused("max-per-source") != 1 {
		t.Fatalf("refusals %v total, %v per source; want 1, 1", refused("max-connections"), refused("max-per-source"))
	}

	// A session that ends frees its place and its source's.
	a[0].conn.Close()
	waitState(t, s, 4, 0)
	again := &tclient{t: t, conn: dialFrom(t, "127.0.0.1", addr)}
	if r := again.query(AppendResetQuery(nil, 1)); r.errPDU != nil || !sameSet(r.ann, set(t, setA...)) {
		t.Fatalf("after a session ended: %+v", r)
	}
	waitState(t, s, 5, 0)
}
