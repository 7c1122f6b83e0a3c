package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/datadir"
	"github.com/roadrpki/road/internal/listen"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/slurm"
	"github.com/roadrpki/road/internal/vrp"
)

const rtrUsage = "usage: road rtr --vrps FILE|URL [--listen ADDR] [--slurm FILE] [--tls-cert C --tls-key K [--tls-client-ca CA]] ..."

// cmdRTR runs `road rtr --vrps FILE|URL [--listen ADDR]`: a standalone RTR
// cache that follows a validator's JSON output (the scale-out mode).
func cmdRTR(ctx context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) int {
	c, err := config.ParseRTRCache(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, rtrUsage)
		config.RTRCacheUsage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n%s\n", err, rtrUsage)
		config.RTRCacheUsage(stderr)
		return 2
	}
	level := slog.LevelInfo
	if c.Verbose {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, c.LogFormat, level)

	reg := prometheus.NewRegistry()
	l := c.Limits
	srv := rtr.NewServer(rtr.Config{Refresh: c.Refresh, Retry: c.Retry, Expire: c.Expire, NotifyInterval: c.Notify,
		MaxVersion: uint8(c.MaxVersion), OnlyV0: c.MaxVersion == 0, Window: c.Window, Logger: log, Registry: reg,
		HandshakeTimeout: l.HandshakeTimeout, PDUTimeout: l.PDUTimeout, SessionTimeout: l.SessionTimeout,
		MaxConnections: l.MaxConnections, MaxPerSource: l.MaxPerSource})
	f := &rtr.Follower{Source: c.Source, Interval: c.Poll, MaxAge: c.MaxAge, Target: srv, Logger: log, ReleaseMemory: true}
	if c.SLURMFile != "" {
		f.Watch = []string{c.SLURMFile} // an edited SLURM file applies at the next poll
		f.Filter = func(v vrp.Set, a []vrp.ASPA) (vrp.Set, []vrp.ASPA, error) {
			s, err := slurm.LoadFile(c.SLURMFile)
			if err != nil {
				return nil, nil, err
			}
			v, a = s.Apply(v, a)
			return v, a, nil
		}
	}
	// Load before listening, so the first router gets data, not "No Data".
	if _, err := f.Poll(ctx); err != nil {
		log.Error("initial load failed; serving No Data until the source is usable", "err", err)
	}

	if c.TLSCert != "" && c.TLSClientCA == "" {
		log.Warn("RTR over TLS without --tls-client-ca: any router may connect (RFC 8210 §9.2 wants router certificates)")
	}
	set, err := listeners(c, srv, reg, log)
	if err == nil {
		err = set.Bind()
	}
	if err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "road rtr: serving %s on %s\n", c.Source, set.Addr("rtr"))
	go func() { _ = f.Run(ctx) }()
	if err := set.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n", err)
		return 1
	}
	return 0
}

// listeners are RTR (over TLS with --tls-cert) and, with --metrics, a
// Prometheus /metrics server with the HTTP limits of road serve.
func listeners(c *config.RTRCache, srv *rtr.Server, reg *prometheus.Registry, log *slog.Logger) (*listen.Set, error) {
	var tc *tls.Config
	if c.TLSCert != "" {
		if err := datadir.CheckOperatorKey(c.TLSKey); err != nil {
			return nil, err
		}
		var err error
		if tc, err = rtr.TLSConfig(c.TLSCert, c.TLSKey, c.TLSClientCA); err != nil {
			return nil, err
		}
	}
	set := listen.New(log)
	set.Stream("rtr", c.Listen, tc, srv.Serve)
	if c.Metrics != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		set.HTTP("metrics", c.Metrics, mux, nil, listen.DefaultHTTPLimits(), listen.Access{Log: log, Level: slog.LevelDebug})
	}
	return set, nil
}
