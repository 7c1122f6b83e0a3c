package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/roadrpki/road/internal/config"
)

// newLogger is the logger of every road subcommand, on w (stderr): format
// "json" writes one JSON object per line, "text" slog's key=value lines
// (config.CheckLogFormat validated the format).
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// logFiles says at start where road keeps what an operator hands out or
// needs: the data directory and database, the TAL for relying parties, the
// admin token file (never the token). Paths are absolute.
func logFiles(log *slog.Logger, cfg *config.Config) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	log.Info("data directory", "path", abs(cfg.DataDir), "database", abs(cfg.DatabaseFile()))
	log.Info("TAL for relying parties", "path", abs(cfg.TALFile()))
	log.Info("admin token", "path", abs(cfg.TokenFile()))
}

// parseSubFlags parses the flags of a subcommand with its own flag set:
// -h/--help prints usage and the flags to stdout (exit 0), a bad flag the
// error and usage to stderr (exit 2). done reports that the command ends.
func parseSubFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {} // flag prints the error itself; the usage follows here
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
		return 0, true
	case err != nil:
		fmt.Fprintln(stderr, usage)
		return 2, true
	}
	return 0, false
}
