// Command road is the ROAd daemon: an embedded CA that signs ROAs, manifests
// and CRLs, publishes them over RRDP and rsync, and serves VRPs over RTR.
// `road` alone is `road serve` on the embedded default (DESIGN.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/roadrpki/road/internal/buildinfo"
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

// subcommand is one road subcommand. Each answers --help on stdout with
// exit 0, its usage line starting "usage: road NAME".
type subcommand struct {
	synopsis string // NAME and its arguments, for the usage of road itself
	summary  string
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int
}

// subcommands is the table run dispatches on and the usage lists, in order.
func subcommands() []struct {
	name string
	cmd  subcommand
} {
	return []struct {
		name string
		cmd  subcommand
	}{
		{"serve", subcommand{"serve [flags]", "run the daemon (the default: `road` alone is `road serve`)", cmdServe}},
		{"rtr", subcommand{"rtr --vrps FILE|URL [flags]", "standalone RTR cache following a VRP JSON", cmdRTR}},
		{"validate", subcommand{"validate --tal FILE... --cache DIR [flags]", "the bundled relying party over a local cache", cmdValidate}},
		{"version", subcommand{"version [-o json]", "version, VCS revision and time, Go version", cmdVersion}},
		{"help", subcommand{"help", "this text and the flags of road serve", cmdHelp}},
	}
}

// writeUsage is road's usage: the subcommands, then the flags of road serve.
func writeUsage(w io.Writer) {
	writeCommands(w)
	fmt.Fprintln(w, "\nroad serve flags:")
	config.Usage(w)
}

// writeCommands is the first part of the usage: the subcommands.
func writeCommands(w io.Writer) {
	fmt.Fprintln(w, "usage: road [COMMAND] [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, s := range subcommands() {
		fmt.Fprintf(w, "  road %s\n      %s\n", s.cmd.synopsis, s.cmd.summary)
	}
	fmt.Fprintln(w, "\nRun road COMMAND --help for a command's flags. Exit codes: 0 ok, 1 error, 2 usage.")
}

// run dispatches the subcommands; it returns the process exit code
// (0 ok, 1 error, 2 usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	sub := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	for _, s := range subcommands() {
		if s.name == sub {
			return s.cmd.run(ctx, args, stdout, stderr, getenv)
		}
	}
	fmt.Fprintf(stderr, "road: unknown command %q\n", sub)
	writeUsage(stderr)
	return 2
}

func cmdHelp(_ context.Context, _ []string, stdout, _ io.Writer, _ func(string) string) int {
	writeUsage(stdout)
	return 0
}

// cmdVersion prints road's build: version, VCS revision and time, Go version.
func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) int {
	fs := flag.NewFlagSet("road version", flag.ContinueOnError)
	format := fs.String("o", "text", "output format: text or json")
	const usage = "usage: road version [-o text|json]\n\nroad's version, VCS revision and commit time (when the build recorded them) and Go version."
	if code, done := parseSubFlags(fs, args, usage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(stderr, "usage: road version [-o text|json]")
		return 2
	}
	bi := buildinfo.Read("road")
	if *format == "text" {
		bi.WriteText(stdout)
		return 0
	}
	b, _ := json.MarshalIndent(bi, "", "  ") // plain strings and a bool: cannot fail
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}

func version() string { return buildinfo.Read("road").Short() }

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := config.Parse(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		writeUsage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "road: %v\n", err)
		if errors.Is(err, config.ErrUsage) {
			return 2
		}
		return 1
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.SlogLevel())
	d, err := daemon.Open(ctx, cfg, daemon.Runtime{Logger: log, Version: version()})
	if err != nil {
		log.Error("start failed", "err", err)
		if errors.Is(err, ca.ErrBadConfig) || errors.Is(err, ca.ErrNotHeld) {
			return 2
		}
		return 1
	}
	defer d.Close()
	logFiles(log, cfg)
	if err := d.Run(ctx); err != nil {
		log.Error("road stopped", "err", err)
		return 1
	}
	return 0
}
