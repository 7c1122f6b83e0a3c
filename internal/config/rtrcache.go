package config

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RTRCache is the configuration of `road rtr`, the standalone RTR cache
// that follows a validator's VRP JSON (the scale-out mode). It has flags
// only; its table is rtrCacheSettings.
type RTRCache struct {
	Source      string // VRP JSON file path or http(s) URL
	Listen      string
	SLURMFile   string
	Poll        time.Duration
	MaxAge      time.Duration // 0 = accept any age
	Refresh     time.Duration // End of Data timers (RFC 8210 §6)
	Retry       time.Duration
	Expire      time.Duration
	Notify      time.Duration // minimum gap between Serial Notifies; negative = none
	MaxVersion  int
	Window      int
	TLSCert     string
	TLSKey      string
	TLSClientCA string
	Metrics     string // Prometheus /metrics listen address, "" = none
	Verbose     bool
	LogFormat   string // text or json
	Limits      RTRLimits
	Waves       RTRWaves
}

func rtrCacheSettings() []setting[RTRCache] {
	t := baseRTRCacheSettings()
	i := slices.IndexFunc(t, func(s setting[RTRCache]) bool { return s.flag == "v" })
	waves := append(waveRows("", "", func(c *RTRCache) *RTRWaves { return &c.Waves }), setting[RTRCache]{flag: "wave-state", arg: "file",
		help: "with --wave: the waves' state file (written atomically); a restart resumes mid-wave from it",
		set:  str(func(c *RTRCache) *string { return &c.Waves.StateFile })})
	return slices.Insert(t, i, waves...)
}

func baseRTRCacheSettings() []setting[RTRCache] {
	return []setting[RTRCache]{
		{flag: "vrps", arg: "FILE|URL", help: "VRP JSON (rpki-client format, gzip accepted): file path or http(s) URL (required)",
			set: str(func(c *RTRCache) *string { return &c.Source }), check: notEmpty(func(c *RTRCache) string { return c.Source })},
		{flag: "listen", def: "127.0.0.1:8282", arg: "address", help: "RTR listen address (plain TCP, or TLS with --tls-cert/--tls-key)",
			set: str(func(c *RTRCache) *string { return &c.Listen }), check: listen(func(c *RTRCache) string { return c.Listen })},
		{flag: "slurm", arg: "file", help: "RFC 8416 SLURM file applied to every load (re-applied when it changes)",
			set: str(func(c *RTRCache) *string { return &c.SLURMFile })},
		{flag: "poll", def: "1m0s", arg: "duration", help: "how often to re-read --vrps (ETag/If-Modified-Since for URLs)",
			set: duration(func(c *RTRCache) *time.Duration { return &c.Poll }), check: positive(func(c *RTRCache) time.Duration { return c.Poll })},
		{flag: "max-age", def: "24h0m0s", arg: "duration",
			help: "refuse data whose metadata.buildtime is older, and stop serving (No Data) once the served data is (0 = accept any age)",
			set:  duration(func(c *RTRCache) *time.Duration { return &c.MaxAge })},
		{flag: "refresh", def: "1h0m0s", arg: "duration", help: "End of Data refresh interval (RFC 8210 §6; whole seconds, 1s..24h)",
			set:   duration(func(c *RTRCache) *time.Duration { return &c.Refresh }),
			check: timerIn(func(c *RTRCache) time.Duration { return c.Refresh }, 1, 86400)},
		{flag: "retry", def: "10m0s", arg: "duration", help: "End of Data retry interval (1s..2h)",
			set:   duration(func(c *RTRCache) *time.Duration { return &c.Retry }),
			check: timerIn(func(c *RTRCache) time.Duration { return c.Retry }, 1, 7200)},
		{flag: "expire", def: "2h0m0s", arg: "duration", help: "End of Data expire interval (10m..48h, above refresh and retry)",
			set:   duration(func(c *RTRCache) *time.Duration { return &c.Expire }),
			check: timerIn(func(c *RTRCache) time.Duration { return c.Expire }, 600, 172800)},
		{flag: "notify-interval", def: "1m0s", arg: "duration", help: "minimum gap between Serial Notifies (negative = none)",
			set: duration(func(c *RTRCache) *time.Duration { return &c.Notify })},
		{flag: "max-version", def: "2", arg: "version", help: "highest RTR version offered (0, 1 or 2)",
			set: integer(func(c *RTRCache) *int { return &c.MaxVersion }), check: intIn(func(c *RTRCache) int { return c.MaxVersion }, 0, 2)},
		{flag: "window", def: "100", arg: "serials", help: "past serials answered with a diff",
			set: integer(func(c *RTRCache) *int { return &c.Window }), check: intIn(func(c *RTRCache) int { return c.Window }, 0, 1<<20)},
		{flag: "tls-cert", arg: "file", help: "TLS certificate (PEM) to serve RTR over TLS (RFC 8210 §9)",
			set: str(func(c *RTRCache) *string { return &c.TLSCert })},
		{flag: "tls-key", arg: "file", help: "TLS private key (PEM)",
			set: str(func(c *RTRCache) *string { return &c.TLSKey })},
		{flag: "tls-client-ca", arg: "file",
			help: "with TLS: CA (PEM) whose router certificates are accepted; the router's IP must be an iPAddress SAN (RFC 8210 §9.2)",
			set:  str(func(c *RTRCache) *string { return &c.TLSClientCA })},
		{flag: "metrics", arg: "address", help: "serve Prometheus /metrics on this address (e.g. 127.0.0.1:9847)",
			set: str(func(c *RTRCache) *string { return &c.Metrics }), check: listen(func(c *RTRCache) string { return c.Metrics })},
		{flag: "handshake-timeout", def: "30s", arg: "duration",
			help:  "close a connection whose first query (TLS handshake included) has not arrived within this",
			set:   duration(func(c *RTRCache) *time.Duration { return &c.Limits.HandshakeTimeout }),
			check: positive(func(c *RTRCache) time.Duration { return c.Limits.HandshakeTimeout })},
		{flag: "pdu-timeout", def: "10s", arg: "duration", help: "close a connection when a PDU's last byte does not arrive within this after its first",
			set:   duration(func(c *RTRCache) *time.Duration { return &c.Limits.PDUTimeout }),
			check: positive(func(c *RTRCache) time.Duration { return c.Limits.PDUTimeout })},
		{flag: "session-timeout", arg: "duration", help: "close a session that sent no query for this long (default: --expire; RFC 8210 §6, §8.1)",
			set:   duration(func(c *RTRCache) *time.Duration { return &c.Limits.SessionTimeout }),
			check: notNegative(func(c *RTRCache) time.Duration { return c.Limits.SessionTimeout })},
		{flag: "max-connections", def: "1024", arg: "n",
			help:  "connections open at once; beyond it the oldest one without a query yet is closed, else the new one",
			set:   integer(func(c *RTRCache) *int { return &c.Limits.MaxConnections }),
			check: intIn(func(c *RTRCache) int { return c.Limits.MaxConnections }, 1, 1<<20)},
		{flag: "max-per-source", def: "32", arg: "n", help: "connections open at once from one source address; beyond it new ones are closed at once",
			set:   integer(func(c *RTRCache) *int { return &c.Limits.MaxPerSource }),
			check: intIn(func(c *RTRCache) int { return c.Limits.MaxPerSource }, 1, 1<<20)},
		{flag: "v", boolean: true, help: "debug logging", set: boolean(func(c *RTRCache) *bool { return &c.Verbose })},
		{flag: "log-format", def: "text", arg: "format", help: "log format on stderr: text (key=value) or json (one object per line)",
			set: str(func(c *RTRCache) *string { return &c.LogFormat }), check: logFormat(func(c *RTRCache) string { return c.LogFormat })},
	}
}

// ParseRTRCache parses the flags of `road rtr`. Errors wrap ErrUsage (or
// flag.ErrHelp for -h).
func ParseRTRCache(args []string) (*RTRCache, error) {
	table := rtrCacheSettings()
	given, err := parseFlags(table, args)
	if err != nil {
		return nil, err
	}
	c := &RTRCache{}
	for i := range table {
		table[i].mustDefault(c)
	}
	for _, g := range given {
		if err := g.apply(c); err != nil {
			return nil, err
		}
	}
	for _, s := range table {
		if s.check != nil {
			if err := s.check(c); err != nil {
				return nil, usageErr("%s: %v", s.label(), err)
			}
		}
	}
	if c.Expire <= c.Refresh || c.Expire <= c.Retry {
		return nil, usageErr("--expire %s must be larger than --refresh %s and --retry %s (RFC 8210 §6)", c.Expire, c.Refresh, c.Retry)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, usageErr("--tls-cert and --tls-key must be given together")
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		return nil, usageErr("--tls-client-ca needs --tls-cert and --tls-key")
	}
	if len(c.Waves.Waves) > 0 && c.Waves.StateFile == "" {
		return nil, usageErr("--wave needs --wave-state FILE: a restart must resume mid-wave, not push a set to every router at once")
	}
	if c.Limits.MaxPerSource > c.Limits.MaxConnections {
		return nil, usageErr("--max-per-source %d is above --max-connections %d", c.Limits.MaxPerSource, c.Limits.MaxConnections)
	}
	return c, nil
}

// RTRCacheUsage writes the flags of `road rtr` to w.
func RTRCacheUsage(w io.Writer) { writeUsage(w, rtrCacheSettings()) }

func integer[T any](dst func(*T) *int) func(*T, []string) error {
	return func(c *T, vs []string) error {
		n, err := strconv.Atoi(strings.TrimSpace(vs[0]))
		if err != nil {
			return fmt.Errorf("%q is not an integer", vs[0])
		}
		*dst(c) = n
		return nil
	}
}

func boolean[T any](dst func(*T) *bool) func(*T, []string) error {
	return func(c *T, vs []string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(vs[len(vs)-1]))
		if err != nil {
			return errors.New("want true or false")
		}
		*dst(c) = b
		return nil
	}
}

func intIn[T any](get func(*T) int, lo, hi int) func(*T) error {
	return func(c *T) error {
		if v := get(c); v < lo || v > hi {
			return fmt.Errorf("%d outside %d..%d", v, lo, hi)
		}
		return nil
	}
}
