package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/slurm"
	"github.com/roadrpki/road/internal/vrp"
)

// cmdRTR runs `road rtr --vrps FILE|URL [--listen ADDR]`: a standalone RTR
// cache that follows a validator's JSON output (the scale-out mode).
func cmdRTR(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("road rtr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("vrps", "", "VRP JSON (rpki-client format, gzip accepted): file path or http(s) URL (required)")
	listen := fs.String("listen", rtr.DefaultListen, "RTR listen address (plain TCP, or TLS with --tls-cert/--tls-key)")
	slurmFile := fs.String("slurm", "", "RFC 8416 SLURM file applied to every load (re-applied when it changes)")
	poll := fs.Duration("poll", 60*time.Second, "how often to re-read --vrps (ETag/If-Modified-Since for URLs)")
	maxAge := fs.Duration("max-age", 24*time.Hour, "refuse data whose metadata.buildtime is older, and stop serving (No Data) once the served data is (0 = accept any age)")
	refresh := fs.Duration("refresh", rtr.DefaultRefresh, "End of Data refresh interval (RFC 8210 §6)")
	retry := fs.Duration("retry", rtr.DefaultRetry, "End of Data retry interval")
	expire := fs.Duration("expire", rtr.DefaultExpire, "End of Data expire interval")
	notify := fs.Duration("notify-interval", rtr.DefaultNotifyInterval, "minimum gap between Serial Notifies (negative = none)")
	maxVer := fs.Int("max-version", 2, "highest RTR version offered (0, 1 or 2)")
	window := fs.Int("window", rtr.DefaultWindow, "past serials answered with a diff")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM) to serve RTR over TLS (RFC 8210 §9)")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	tlsClientCA := fs.String("tls-client-ca", "", "with TLS: CA (PEM) whose router certificates are accepted; the router's IP must be an iPAddress SAN (RFC 8210 §9.2)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus /metrics on this address (e.g. 127.0.0.1:9847)")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *source == "" || fs.NArg() > 0 || *maxVer < 0 || *maxVer > 2 || (*tlsCert == "") != (*tlsKey == "") ||
		(*tlsClientCA != "" && *tlsCert == "") {
		fmt.Fprintln(stderr, "usage: road rtr --vrps FILE|URL [--listen ADDR] [--slurm FILE] [--tls-cert C --tls-key K [--tls-client-ca CA]] ...")
		fs.PrintDefaults()
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	reg := prometheus.NewRegistry()
	srv := rtr.NewServer(rtr.Config{Refresh: *refresh, Retry: *retry, Expire: *expire, NotifyInterval: *notify,
		MaxVersion: uint8(*maxVer), OnlyV0: *maxVer == 0, Window: *window, Logger: log, Registry: reg})
	f := &rtr.Follower{Source: *source, Interval: *poll, MaxAge: *maxAge, Target: srv, Logger: log, ReleaseMemory: true}
	if *slurmFile != "" {
		f.Watch = []string{*slurmFile} // an edited SLURM file applies at the next poll
		f.Filter = func(v vrp.Set, a []vrp.ASPA) (vrp.Set, []vrp.ASPA, error) {
			s, err := slurm.LoadFile(*slurmFile)
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

	if *tlsCert != "" && *tlsClientCA == "" {
		log.Warn("RTR over TLS without --tls-client-ca: any router may connect (RFC 8210 §9.2 wants router certificates)")
	}
	ln, err := listenRTR(*listen, *tlsCert, *tlsKey, *tlsClientCA)
	if err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "road rtr: serving %s on %s\n", *source, ln.Addr())
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		hs := &http.Server{Addr: *metricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := hs.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener", "err", err)
			}
		}()
		defer hs.Close()
	}
	go func() { _ = f.Run(ctx) }()
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "road rtr: %v\n", err)
		return 1
	}
	return 0
}

func listenRTR(addr, certFile, keyFile, clientCAFile string) (net.Listener, error) {
	var cfg *tls.Config
	if certFile != "" {
		var err error
		if cfg, err = rtr.TLSConfig(certFile, keyFile, clientCAFile); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rtr listen: %w", err)
	}
	if cfg == nil {
		return ln, nil
	}
	return tls.NewListener(ln, cfg), nil
}
