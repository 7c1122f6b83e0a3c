// Command road is the ROAd daemon: an embedded CA that signs ROAs, manifests
// and CRLs, publishes them over RRDP and rsync, and serves VRPs over RTR.
// `road` alone is `road serve` on the embedded default (DESIGN.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/daemon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usageText = `usage: road [serve] [flags]      run the daemon (default)
       road rtr --vrps FILE|URL   standalone RTR cache following a VRP JSON
       road version

road serve flags:
`

// run dispatches the subcommands; it returns the process exit code
// (0 ok, 1 error, 2 usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	sub := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "serve":
		return cmdServe(ctx, args, stdout, stderr, getenv)
	case "validate":
		return cmdValidate(ctx, args, stdout, stderr)
	case "rtr":
		return cmdRTR(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "road", version())
		return 0
	case "help":
		fmt.Fprint(stdout, usageText)
		config.Usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "road: unknown command %q\n%s", sub, usageText)
		return 2
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "devel"
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := config.Parse(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usageText)
		config.Usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "road: %v\n", err)
		if errors.Is(err, config.ErrUsage) {
			return 2
		}
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	d, err := daemon.Open(ctx, cfg, daemon.Runtime{Logger: log, Version: version()})
	if err != nil {
		log.Error("start failed", "err", err)
		if errors.Is(err, ca.ErrBadConfig) || errors.Is(err, ca.ErrNotHeld) {
			return 2
		}
		return 1
	}
	defer d.Close()
	if err := d.Run(ctx); err != nil {
		log.Error("road stopped", "err", err)
		return 1
	}
	return 0
}
