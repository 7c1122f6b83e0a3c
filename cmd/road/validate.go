package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rp"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

const validateUsage = "usage: road validate --tal FILE... --cache DIR [--at RFC3339] [-o json|csv] [--fetch [--tls-ca PEM] [--no-rsync] [--rsync PATH] [--parallel N] [--repo-timeout D]]"

// cmdValidate runs `road validate`: the bundled relying party over a local
// repository cache (rsync://host/module/path is DIR/host/module/path). The
// VRPs go to stdout (rpki-client JSON or CSV), the summary of rejected
// objects to stderr. Exit 0 when every TAL's trust anchor validated, 1 when
// one did not (or a TAL is unreadable), 2 on usage errors.
func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) int {
	fs := flag.NewFlagSet("road validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tals stringList
	fs.Var(&tals, "tal", "trust anchor locator file (repeatable; the TA name is the base name without .tal)")
	cacheDir := fs.String("cache", "", "repository cache: rsync://HOST/MODULE/PATH is DIR/HOST/MODULE/PATH (required)")
	at := fs.String("at", "", "validation time, RFC 3339 (default: now)")
	format := fs.String("o", "json", "output format: json or csv")
	quiet := fs.Bool("q", false, "no summary of rejected objects on stderr")
	verbose := fs.Bool("v", false, "log every rejection as it happens")
	logFormat := fs.String("log-format", "text", "log format on stderr: text (key=value) or json (one object per line)")
	maxDepth := fs.Int("max-depth", 32, "longest CA chain below the trust anchor")
	fetch := fs.Bool("fetch", false, "first fetch into the cache: TA certificates from the TAL's https or rsync URIs, each CA's repository over RRDP (rpkiNotify) with rsync as the fallback; a publication point that fails keeps its last valid copy (RFC 9286 §6.6)")
	noRsync := fs.Bool("no-rsync", false, "with --fetch: RRDP only, never rsync")
	rsyncBin := fs.String("rsync", "rsync", "with --fetch: the rsync binary")
	parallel := fs.Int("parallel", 8, "with --fetch: repositories fetched at once")
	repoTimeout := fs.Duration("repo-timeout", 5*time.Minute, "with --fetch: deadline of each repository (retries included); one that hangs fails only its own publication points")
	tlsCA := fs.String("tls-ca", "", "with --fetch: PEM file of the TLS trust anchors (default: the system's), e.g. road-data/tls/ca.pem")
	timeout := fs.Duration("timeout", time.Minute, "with --fetch: bound on each HTTPS request")
	state := fs.String("manifest-state", "", "file remembering the newest manifest of each publication point across runs, so a replayed older one fails (RFC 9286 §4.2.1); default with --fetch: CACHE/.rp-manifests.json")
	if code, done := parseSubFlags(fs, args, validateUsage, stdout, stderr); done {
		return code
	}
	if len(tals) == 0 || *cacheDir == "" || fs.NArg() > 0 || (*format != "json" && *format != "csv") || *maxDepth <= 0 ||
		(*tlsCA != "" && !*fetch) || *timeout <= 0 || *parallel <= 0 || *repoTimeout <= 0 ||
		config.CheckLogFormat(*logFormat) != nil {
		fmt.Fprintln(stderr, validateUsage)
		fs.PrintDefaults()
		return 2
	}
	clock, err := clockAt(*at)
	if err != nil {
		fmt.Fprintf(stderr, "road validate: %v\n", err)
		return 2
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	log := newLogger(stderr, *logFormat, level)

	var loaded []rp.TAL
	for _, p := range tals {
		t, err := rp.LoadTAL(p)
		if err != nil {
			fmt.Fprintf(stderr, "road validate: %v\n", err)
			return 1
		}
		loaded = append(loaded, t)
	}
	opts := rp.Options{Cache: *cacheDir, Clock: clock, Logger: log, MaxDepth: *maxDepth, ManifestState: *state}
	if *fetch {
		if opts.ManifestState == "" {
			opts.ManifestState = filepath.Join(*cacheDir, ".rp-manifests.json")
		}
		hc, err := rp.NewHTTPClient(*tlsCA, *timeout)
		if err != nil {
			fmt.Fprintf(stderr, "road validate: --tls-ca: %v\n", err)
			return 1
		}
		f := &rp.Fetcher{Concurrency: *parallel, Timeout: *repoTimeout,
			RRDP: &rp.RRDPClient{HTTP: hc, Cache: *cacheDir, Logger: log, UserAgent: "road/" + version()}}
		if !*noRsync {
			f.Rsync = &rp.RsyncClient{Cache: *cacheDir, Binary: *rsyncBin, Logger: log, Timeout: *timeout}
		}
		opts.Fetch = f
	}
	res, err := rp.Validate(ctx, opts, loaded)
	if err != nil {
		fmt.Fprintf(stderr, "road validate: %v\n", err)
		return 1
	}
	return writeValidateResult(res, *format, *quiet, stdout, stderr)
}

// clockAt is the validation clock of --at: time.Now when at is empty.
func clockAt(at string) (func() time.Time, error) {
	if at == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return nil, fmt.Errorf("--at %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", at)
	}
	return func() time.Time { return t }, nil
}

// writeValidateResult prints the VRPs and the summary; exit 1 when a
// trust anchor failed.
func writeValidateResult(res *rp.Result, format string, quiet bool, stdout, stderr io.Writer) int {
	var err error
	if format == "csv" {
		err = res.WriteCSV(stdout)
	} else {
		err = res.WriteJSON(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "road validate: %v\n", err)
		return 1
	}
	if !quiet {
		res.WriteSummary(stderr)
	}
	if res.Stats.FailedTALs > 0 {
		return 1
	}
	return 0
}
