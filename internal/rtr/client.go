package rtr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// maxQueryLen bounds what a router may send: queries are 8-12 bytes, an
// Error Report carries at most one of our PDUs plus text.
const maxQueryLen = MaxPDULen

// client is one router connection: a reader goroutine decodes PDUs and a
// writer loop (run) answers them and sends Serial Notifies, so a slow write
// never blocks decoding and vice versa.
type client struct {
	s      *Server
	conn   net.Conn
	remote string
	source string // remote address without the port (MaxPerSource)
	seq    uint64 // accept order
	since  time.Time
	notify chan struct{}
	// view is the generation this router is served: the server's newest,
	// or its wave's (set at accept, or for TLS at the first query; only
	// the writer goroutine reads it).
	view *atomic.Pointer[generation]
	wave atomic.Int32 // index into Server.waves, -1 until assigned

	pending bool // no query yet (guarded by s.mu)

	version   atomic.Int32 // -1 until negotiated
	serial    atomic.Uint32
	hasSerial atomic.Bool
	lastQuery atomic.Int64 // unix nanoseconds
	resets    atomic.Uint64
	serials   atomic.Uint64
}

func (c *client) status() ClientStatus {
	st := ClientStatus{Remote: c.remote, Version: int(c.version.Load()), Serial: c.serial.Load(),
		HasSerial: c.hasSerial.Load(), ConnectedSince: c.since,
		ResetQueries: c.resets.Load(), SerialQueries: c.serials.Load()}
	if n := c.lastQuery.Load(); n != 0 {
		st.LastQuery = time.Unix(0, n)
	}
	if w := c.wave.Load(); w >= 0 {
		st.Wave = c.s.waves[w].name
	}
	return st
}

// inbound is what the reader hands to the writer: a PDU, or a decode error
// with the offending bytes, or the end of the stream.
type inbound struct {
	pdu  PDU
	err  error
	code uint16
	raw  []byte
	eof  bool
}

// protocolError ends a session with an Error Report (RFC 8210 §5.11).
type protocolError struct {
	code    uint16
	version uint8
	pdu     []byte
	text    string
}

func (e *protocolError) Error() string { return fmt.Sprintf("%s: %s", errorCodeName(e.code), e.text) }

func (c *client) run(ctx context.Context) {
	in := make(chan inbound, 4)
	readerDone, quit := make(chan struct{}), make(chan struct{})
	stopReader := sync.OnceFunc(func() { close(quit) })
	go c.read(in, quit, readerDone)
	defer func() {
		stopReader()
		c.conn.Close()
		<-readerDone
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.notify:
			if err := c.sendNotify(); err != nil {
				c.s.log.Debug("rtr notify failed", "remote", c.remote, "err", err)
				return
			}
		case m := <-in:
			if m.eof {
				return
			}
			err := c.handle(m)
			var pe *protocolError
			if errors.As(err, &pe) {
				c.fail(pe, stopReader, readerDone)
				return
			}
			if err != nil {
				c.s.log.Debug("rtr client ends", "remote", c.remote, "err", err)
				return
			}
		}
	}
}

// read decodes PDUs until EOF or an undecodable one. After a decode error,
// or once quit is closed, it keeps draining the socket until EOF or the
// connection is closed, so unread input cannot turn the close into a TCP
// reset that destroys a pending Error Report.
func (c *client) read(out chan<- inbound, quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	drain := func() bool { _, _ = io.Copy(io.Discard, c.conn); return false }
	send := func(m inbound) bool {
		select {
		case <-quit: // checked first: after quit nothing more is decoded
			return drain()
		default:
		}
		select {
		case out <- m:
			return true
		case <-quit:
			return drain()
		}
	}
	var buf []byte
	session := false // a query has arrived: the session timeout applies
	for {
		raw, phase, err := c.readPDU(buf, session)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.timedOut(phase)
			send(inbound{eof: true})
			return
		}
		if err != nil {
			if errors.Is(err, ErrPDULength) || errors.Is(err, ErrPDUTooLarge) {
				if send(inbound{err: err, code: ErrCorruptData, raw: append([]byte(nil), raw...)}) {
					_, _ = io.Copy(io.Discard, c.conn)
				}
				return
			}
			send(inbound{eof: true})
			return
		}
		buf = raw
		p, err := Parse(raw)
		cp := append([]byte(nil), raw...)
		p.Raw = cp
		if err != nil && p.Type == TypeErrorReport {
			// RFC 8210 §5.11: never answer an Error Report, even a broken one.
			c.s.log.Info("rtr client sent a malformed error report", "remote", c.remote, "err", err)
			send(inbound{eof: true})
			return
		}
		if err != nil {
			code := ErrCorruptData
			switch {
			case errors.Is(err, ErrPDUVersion):
				code = ErrUnsupportedVersion
			case errors.Is(err, ErrPDUType):
				code = ErrUnsupportedPDU
			}
			if send(inbound{pdu: p, err: err, code: code, raw: cp}) {
				_, _ = io.Copy(io.Discard, c.conn)
			}
			return
		}
		if !session && (p.Type == TypeResetQuery || p.Type == TypeSerialQuery) {
			session = true
			c.s.established(c)
		}
		if !send(inbound{pdu: p}) {
			return
		}
	}
}

// Phases of a connection's read timeouts (the label of
// road_rtr_connections_timed_out_total).
const (
	phaseHandshake = "handshake"
	phasePDU       = "pdu"
	phaseSession   = "session"
)

// readPDU reads one PDU under the connection's read deadlines: until its
// first byte the handshake timeout (no query yet) or the session timeout,
// then the PDU timeout for the rest. Deadlines are real time, not the
// logic clock. It returns the phase a deadline would have ended.
func (c *client) readPDU(buf []byte, session bool) ([]byte, string, error) {
	wait, phase := c.s.cfg.HandshakeTimeout, phaseHandshake
	if session {
		wait, phase = c.s.cfg.SessionTimeout, phaseSession
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	var first [1]byte
	if _, err := io.ReadFull(c.conn, first[:]); err != nil {
		return nil, phase, err
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(c.s.cfg.PDUTimeout))
	raw, err := ReadRaw(io.MultiReader(bytes.NewReader(first[:]), c.conn), buf, maxQueryLen)
	return raw, phasePDU, err
}

func (c *client) timedOut(phase string) {
	c.s.m.timedOut.WithLabelValues(phase).Inc()
	level := slog.LevelDebug
	if phase == phaseSession {
		level = slog.LevelInfo // a router that stopped polling is worth a line
	}
	c.s.log.Log(context.Background(), level, "rtr connection timed out", "remote", c.remote, "phase", phase)
}

// replyVersion is the version for Error Reports: the negotiated one, or
// before negotiation the PDU's own if we speak it, else our highest
// (routinator#919: tell the router what we do support).
func (c *client) replyVersion(pduVersion uint8) uint8 {
	if v := c.version.Load(); v >= 0 {
		return uint8(v)
	}
	if pduVersion <= c.s.cfg.MaxVersion {
		return pduVersion
	}
	return c.s.cfg.MaxVersion
}

func (c *client) handle(m inbound) error {
	p := m.pdu
	if m.err != nil {
		if m.code == ErrUnsupportedVersion || (m.code == ErrUnsupportedPDU && len(m.raw) > 0 && m.raw[0] > c.s.cfg.MaxVersion) {
			return c.versionError(m.raw)
		}
		return &protocolError{code: m.code, version: c.replyVersion(firstByte(m.raw)), pdu: m.raw, text: m.err.Error()}
	}
	if p.Type == TypeErrorReport {
		// RFC 8210 §5.11: never answer an Error Report with one.
		c.s.log.Info("rtr client sent error report", "remote", c.remote, "code", errorCodeName(p.Field), "text", p.ErrorText)
		return errors.New("client error report")
	}
	// RFC 8210 §7 version negotiation.
	nv := c.version.Load()
	switch {
	case nv < 0 && p.Version > c.s.cfg.MaxVersion:
		return c.versionError(p.Raw)
	case nv < 0:
		c.version.Store(int32(p.Version))
		c.s.m.byVersion.WithLabelValues(vlabel(p.Version)).Inc()
	case uint8(nv) != p.Version:
		code := ErrUnexpectedVersion
		if nv == 0 {
			code = ErrUnsupportedVersion // RFC 6810 has no code 8
		}
		return &protocolError{code: code, version: uint8(nv), pdu: p.Raw,
			text: fmt.Sprintf("session negotiated version %d, got %d", nv, p.Version)}
	}
	v := p.Version
	c.lastQuery.Store(c.s.cfg.Clock().UnixNano())
	if c.view == nil {
		c.s.assignWave(c) // TLS: the handshake has named the router now
	}
	switch p.Type {
	case TypeResetQuery:
		c.s.m.queries.WithLabelValues(vlabel(v), "reset").Inc()
		c.resets.Add(1)
		g := c.view.Load()
		if g == nil {
			return c.noData(v, p.Raw)
		}
		return c.sendResponse(g, g.fullResponse(v))
	case TypeSerialQuery:
		c.s.m.queries.WithLabelValues(vlabel(v), "serial").Inc()
		c.serials.Add(1)
		g := c.view.Load()
		if g == nil {
			return c.noData(v, p.Raw)
		}
		if p.Field != c.s.sessions[v] {
			// RFC 8210 §5.1: a session id mismatch is Corrupt Data.
			return &protocolError{code: ErrCorruptData, version: v, pdu: p.Raw,
				text: fmt.Sprintf("session id %d, cache session is %d", p.Field, c.s.sessions[v])}
		}
		if r := g.diffResponse(v, p.Serial); r != nil {
			return c.sendResponse(g, r)
		}
		// RFC 8210 §8.3: serial outside the window (or from the future).
		c.s.m.queries.WithLabelValues(vlabel(v), "cache-reset").Inc()
		return c.write(v, 1, AppendCacheReset(nil, v))
	default:
		return &protocolError{code: ErrInvalidRequest, version: v, pdu: p.Raw,
			text: fmt.Sprintf("a cache does not accept PDU type %d", p.Type)}
	}
}

func firstByte(b []byte) uint8 {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func (c *client) versionError(raw []byte) error {
	return &protocolError{code: ErrUnsupportedVersion, version: c.replyVersion(firstByte(raw)), pdu: raw,
		text: fmt.Sprintf("unsupported protocol version %d; this cache speaks up to %d", firstByte(raw), c.s.cfg.MaxVersion)}
}

// noData answers before the first valid set (RFC 8210 §8.4); not fatal.
func (c *client) noData(v uint8, raw []byte) error {
	return c.write(v, 1, AppendErrorReport(nil, v, ErrNoData, raw, "no data available yet"))
}

func (c *client) sendResponse(g *generation, r *response) error {
	v := uint8(c.version.Load())
	// Record the serial first: an Update racing with this write must see
	// the client as synced, so its pending notify is sent right after.
	c.serial.Store(g.serial)
	c.hasSerial.Store(true)
	bufs := net.Buffers{r.head, r.body, r.tail}
	return c.writeBuffers(v, r.pdus+2, r.size(), &bufs)
}

func (c *client) sendNotify() error {
	v := c.version.Load()
	if c.view == nil {
		return nil
	}
	g := c.view.Load()
	if v < 0 || g == nil || !c.hasSerial.Load() || c.serial.Load() == g.serial {
		return nil // RFC 8210 §7: no notifies during negotiation
	}
	return c.write(uint8(v), 1, AppendSerialNotify(nil, uint8(v), c.s.sessions[v], g.serial))
}

func (c *client) write(v uint8, pdus int, b []byte) error {
	bufs := net.Buffers{b}
	return c.writeBuffers(v, pdus, len(b), &bufs)
}

func (c *client) writeBuffers(v uint8, pdus, size int, bufs *net.Buffers) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout)) // I/O deadline: real time, not the logic clock
	n, err := bufs.WriteTo(c.conn)
	c.s.m.bytes.WithLabelValues(vlabel(v)).Add(float64(n))
	if err != nil {
		return fmt.Errorf("rtr write to %s: %w", c.remote, err)
	}
	if int(n) == size {
		c.s.m.pdus.WithLabelValues(vlabel(v)).Add(float64(pdus))
	}
	return nil
}

// fail sends the Error Report and only then closes (RFC 8210 §5.11): the
// report is written completely, the write side is shut (FIN after the data),
// and the reader stops decoding and drains until the router closes or a
// short grace period ends, so unread input cannot turn the close into a
// reset that destroys the report.
func (c *client) fail(pe *protocolError, stopReader func(), readerDone <-chan struct{}) {
	c.s.log.Info("rtr protocol error", "remote", c.remote, "code", errorCodeName(pe.code), "err", pe.text)
	if err := c.write(pe.version, 1, AppendErrorReport(nil, pe.version, pe.code, pe.pdu, pe.text)); err != nil {
		return
	}
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	stopReader()
	select {
	case <-readerDone:
	case <-time.After(3 * time.Second):
	}
}
