package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/datadir"
	"github.com/roadrpki/road/internal/listen"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/slurm"
	"github.com/roadrpki/road/internal/vrp"
	"github.com/roadrpki/road/internal/waves"
)

// waveSignals are road rtr's manual wave actions (road serve has roactl
// rtr promote|rollback): SIGUSR1 promotes, SIGUSR2 rolls back.
func waveSignals(ctx context.Context, ctl *waves.Controller, log *slog.Logger) {
	if !ctl.Enabled() {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-ch:
			var err error
			if sig == syscall.SIGUSR1 {
				_, err = ctl.Promote(ctx, "SIGUSR1", false)
			} else {
				_, err = ctl.Rollback(ctx, "SIGUSR2")
			}
			if err != nil {
				log.Warn("rtr waves: signal", "signal", sig.String(), "err", err)
			}
		}
	}
}

const rtrUsage = "usage: road rtr --vrps FILE|URL [--listen ADDR] [--slurm FILE] [--tls-cert C --tls-key K [--tls-client-ca CA]] [--wave SPEC... --wave-state FILE] ..."

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
		MaxConnections: l.MaxConnections, MaxPerSource: l.MaxPerSource, Waves: waves.RTRGroups(c.Waves)})
	wc := waves.ConfigFor(c.Waves, srv, c.Waves.StateFile)
	wc.Logger, wc.Registry = log, reg
	ctl, err := waves.New(wc) // before the first load: a restart resumes mid-wave
	if err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n", err)
		return 1
	}
	f := &rtr.Follower{Source: c.Source, Interval: c.Poll, MaxAge: c.MaxAge, Target: ctl, Logger: log, ReleaseMemory: true}
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
	set, err := listeners(c, srv, ctl, reg, log)
	if err == nil {
		err = set.Bind()
	}
	if err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "road rtr: serving %s on %s\n", c.Source, set.Addr("rtr"))
	go func() { _ = f.Run(ctx) }()
	go ctl.Run(ctx)
	go waveSignals(ctx, ctl, log)
	if err := set.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n", err)
		return 1
	}
	return 0
}

// listeners are RTR (over TLS with --tls-cert) and, with --metrics, a
// Prometheus /metrics server with the HTTP limits of road serve.
func listeners(c *config.RTRCache, srv *rtr.Server, ctl *waves.Controller, reg *prometheus.Registry, log *slog.Logger) (*listen.Set, error) {
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
		mux.HandleFunc("GET /waves", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(ctl.Status())
		})
		set.HTTP("metrics", c.Metrics, mux, nil, listen.DefaultHTTPLimits(), listen.Access{Log: log, Level: slog.LevelDebug})
	}
	return set, nil
}
