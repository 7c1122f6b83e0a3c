package rtr

import (
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of RFC 8210 §6 and §8.2.
const (
	DefaultRefresh        = 3600 * time.Second
	DefaultRetry          = 600 * time.Second
	DefaultExpire         = 7200 * time.Second
	DefaultNotifyInterval = 60 * time.Second
	DefaultWindow         = 100
	DefaultWriteTimeout   = 5 * time.Minute
)

// Defaults of the connection bounds.
const (
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultPDUTimeout       = 10 * time.Second
	DefaultMaxConnections   = 1024
	DefaultMaxPerSource     = 32
)

// Config configures a Server. Zero values take the defaults.
type Config struct {
	// End of Data timers (RFC 8210 §6). Bounds: Refresh 1s–86400s, Retry
	// 1s–7200s, Expire 600s–172800s and larger than both; out-of-range
	// values are clamped and logged.
	Refresh, Retry, Expire time.Duration
	// NotifyInterval is the minimum gap between Serial Notifies: 0 means the
	// RFC 8210 §8.2 default of 60s; a negative value disables rate limiting
	// (tests).
	NotifyInterval time.Duration
	// MaxVersion is the highest protocol version offered (1 or 2; 0 means 2).
	// OnlyV0 offers RFC 6810 only.
	MaxVersion uint8
	OnlyV0     bool
	// Window is how many past serials can be answered with a diff (0 = 100).
	Window int
	// WriteTimeout bounds one response write to a slow client (0 = 5 min).
	WriteTimeout time.Duration
	// HandshakeTimeout closes a connection whose first query (a TLS
	// handshake included) has not arrived this long after the accept
	// (0 = 30 s). PDUTimeout closes it when a PDU's last byte has not
	// arrived this long after its first (0 = 10 s). SessionTimeout closes a
	// session that sent no PDU for this long (0 = Expire): routers query at
	// least every refresh interval (RFC 8210 §6, §8.1: the queries are the
	// application-layer keep-alive).
	HandshakeTimeout, PDUTimeout, SessionTimeout time.Duration
	// MaxConnections bounds the open connections (0 = 1024): beyond it the
	// oldest connection that has not sent a query yet is closed for the new
	// one, or the new one is closed when every open one is a session.
	// MaxPerSource bounds them per source address (0 = 32): beyond it a new
	// connection is closed at once.
	MaxConnections, MaxPerSource int
	// FirstSerial is the serial of the first generation (tests use it to
	// cross the 2^32 wrap).
	FirstSerial uint32
	// Waves groups the routers (internal/waves stages a new set wave by
	// wave); empty: every router sees the newest generation.
	Waves    []WaveGroup
	Logger   *slog.Logger
	Clock    func() time.Time
	Registry prometheus.Registerer
}

// orDefault is v, or def when v is zero or negative.
func orDefault[T time.Duration | int](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func clampDur(d, lo, hi time.Duration) time.Duration { return min(max(d, lo), hi) }

// normalized fills in defaults and clamps the timers to the RFC ranges.
func (c Config) normalized() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Refresh == 0 {
		c.Refresh = DefaultRefresh
	}
	if c.Retry == 0 {
		c.Retry = DefaultRetry
	}
	if c.Expire == 0 {
		c.Expire = DefaultExpire
	}
	r := clampDur(c.Refresh, time.Second, 86400*time.Second)
	y := clampDur(c.Retry, time.Second, 7200*time.Second)
	// RFC 8210 §6: Expire MUST be larger than Refresh and Retry.
	e := clampDur(c.Expire, max(600*time.Second, r+time.Second, y+time.Second), 172800*time.Second)
	if r != c.Refresh || y != c.Retry || e != c.Expire {
		c.Logger.Warn("rtr timers clamped to RFC 8210 §6 ranges", "refresh", r, "retry", y, "expire", e)
	}
	c.Refresh, c.Retry, c.Expire = r, y, e
	if c.NotifyInterval == 0 {
		c.NotifyInterval = DefaultNotifyInterval
	}
	switch {
	case c.OnlyV0:
		c.MaxVersion = 0
	case c.MaxVersion == 0 || c.MaxVersion > maxVersion:
		c.MaxVersion = maxVersion
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	c.HandshakeTimeout = orDefault(c.HandshakeTimeout, DefaultHandshakeTimeout)
	c.PDUTimeout = orDefault(c.PDUTimeout, DefaultPDUTimeout)
	c.SessionTimeout = orDefault(c.SessionTimeout, c.Expire)
	c.MaxConnections = orDefault(c.MaxConnections, DefaultMaxConnections)
	c.MaxPerSource = orDefault(c.MaxPerSource, DefaultMaxPerSource)
	return c
}

func (c Config) timers() Timers {
	return Timers{uint32(c.Refresh / time.Second), uint32(c.Retry / time.Second), uint32(c.Expire / time.Second)}
}
