package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/api"
)

// Exit codes of the user contract. 4 is kept for "held for approval".
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitBlocked = 3
	exitPending = 4 // held for a second token's approval (roactl change approve)
	exitFound   = 5 // a check command ran and found problems (audit run, rp status)
)

const (
	defaultServer    = "http://127.0.0.1:8080"
	defaultTokenFile = "road-data/admin.token"
	maxTokenBytes    = 4096
	requestTimeout   = 5 * time.Minute // bgp import of a full table takes a while
)

// exitErr carries the exit code an error maps to.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// errHelp: --help was asked for and printed; exit 0.
var errHelp = errors.New("help shown")

// errBlocked: the findings are printed; exit 3 without another message.
var errBlocked = errors.New("blocked by a safety check")

// errPending: the change is stored, waiting for approval; exit 4.
var errPending = errors.New("held for approval")

// problemsFound: a check command printed its answer and found problems
// there; exit 5 with what says so on stderr.
type problemsFound struct{ what string }

func (p *problemsFound) Error() string { return p.what }

// globals are the flags accepted before and after every subcommand.
type globals struct {
	server, token, output string
	cacert                string // CA file for an https:// server
}

// cli is one invocation's state.
type cli struct {
	g      globals
	env    func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// raw is the last response body, printed as-is with -o json.
	raw    []byte
	client *api.Client
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	if env == nil {
		env = func(string) string { return "" }
	}
	// Everything goes to stdout through one filter: server-provided text
	// cannot reach the terminal as control characters (safe.go).
	var out bytes.Buffer
	c := &cli{env: env, stdin: stdin, stdout: &out, stderr: stderr}
	err := c.dispatch(context.Background(), args)
	if c.jsonOut() {
		io.WriteString(stdout, safeJSON(out.String()))
	} else {
		io.WriteString(stdout, safeText(out.String()))
	}
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errBlocked):
		fmt.Fprintln(stderr, "roactl: blocked by a safety check; nothing changed")
		return exitBlocked
	case errors.Is(err, errPending):
		fmt.Fprintln(stderr, "roactl: held for a second token's approval; nothing changed yet")
		return exitPending
	}
	fmt.Fprintln(stderr, "roactl: "+safe(errorText(err)))
	return exitCode(err)
}

// exitCode maps an error to the user contract's exit codes.
func exitCode(err error) int {
	var ee *exitErr
	if errors.As(err, &ee) {
		return ee.code
	}
	var pf *problemsFound
	if errors.As(err, &pf) {
		return exitFound
	}
	var ae *api.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusConflict && ae.Code == api.CodeBlocked:
			return exitBlocked
		case ae.Status >= 400 && ae.Status < 500:
			return exitUsage
		}
		return exitError
	}
	if errors.Is(err, api.ErrServerURL) {
		return exitUsage
	}
	return exitError
}

func errorText(err error) string {
	var ae *api.APIError
	if errors.As(err, &ae) {
		s := fmt.Sprintf("server refused (%d %s): %s", ae.Status, ae.Code, ae.Message)
		if ae.Details != nil {
			s += fmt.Sprintf(" (details: %s)", compactJSON(ae.Details))
		}
		return s
	}
	if errors.Is(err, api.ErrOutcomeUnknown) {
		// The request was sent and the connection broke before the whole
		// answer came: the server may have committed the change.
		detail := strings.TrimPrefix(err.Error(), api.ErrTransport.Error()+": "+api.ErrOutcomeUnknown.Error()+": ")
		return "lost the connection to the server during the request (" + detail + "): the change may have been applied; see `roactl history`"
	}
	if errors.Is(err, api.ErrTransport) {
		return "cannot talk to the server: " + strings.TrimPrefix(err.Error(), api.ErrTransport.Error()+": ") + tlsHint(err)
	}
	return err.Error()
}

// addGlobals registers the global flags on fs, bound to c.g.
func (c *cli) addGlobals(fs *flag.FlagSet) {
	fs.StringVar(&c.g.server, "server", c.g.server, "road API `URL` (env ROAD_SERVER)")
	fs.StringVar(&c.g.token, "token", c.g.token, "admin bearer `token` (env ROAD_TOKEN, else ./"+defaultTokenFile+")")
	fs.StringVar(&c.g.output, "o", c.g.output, "output `format`: table or json")
	fs.StringVar(&c.g.cacert, "cacert", c.g.cacert, "CA `file` (PEM) an https:// server's certificate must chain to (env ROAD_CACERT, else ./"+defaultCAFile+" when it exists, and the system roots)")
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	c.g = globals{server: c.env("ROAD_SERVER"), token: c.env("ROAD_TOKEN"), output: "table", cacert: c.env("ROAD_CACERT")}
	if c.g.server == "" {
		c.g.server = defaultServer
	}
	fs := flag.NewFlagSet("roactl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.addGlobals(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(c.stdout)
			return errHelp
		}
		return usagef("%v (see roactl --help)", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		printUsage(c.stderr)
		return &exitErr{code: exitUsage, err: errors.New("no command given")}
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		printUsage(c.stdout)
		return errHelp
	}
	if g, ok := groups[name]; ok {
		// Global flags may also sit between the group and its subcommand.
		gfs := flag.NewFlagSet("roactl "+name, flag.ContinueOnError)
		gfs.SetOutput(io.Discard)
		c.addGlobals(gfs)
		if err := gfs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printGroupUsage(c.stdout, name, g)
				return errHelp
			}
			return usagef("%s: %v (see roactl %s --help)", name, err, name)
		}
		rest = gfs.Args()
		if len(rest) == 0 {
			printGroupUsage(c.stderr, name, g)
			return usagef("%s needs a subcommand: %s", name, strings.Join(subNames(g), ", "))
		}
		sub, ok := g[rest[0]]
		if !ok {
			return usagef("unknown command %q (roactl %s: %s)", name+" "+rest[0], name, strings.Join(subNames(g), ", "))
		}
		return c.runCommand(ctx, name+" "+rest[0], sub, rest[1:])
	}
	cmd, ok := topCommands[name]
	if !ok {
		return usagef("unknown command %q (see roactl --help)", name)
	}
	return c.runCommand(ctx, name, cmd, rest)
}

// runCommand parses a subcommand's flags (anywhere among its arguments) and runs it.
func (c *cli) runCommand(ctx context.Context, name string, cmd *command, args []string) error {
	fs := flag.NewFlagSet("roactl "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.addGlobals(fs)
	opts := cmd.flags(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(c.stdout, name, cmd, fs)
			return errHelp
		}
		return usagef("%s: %v (see roactl %s --help)", name, err, name)
	}
	if c.g.output != "table" && c.g.output != "json" {
		return usagef("-o %q: want table or json", c.g.output)
	}
	if len(pos) < cmd.minArgs || (cmd.maxArgs >= 0 && len(pos) > cmd.maxArgs) {
		return usagef("usage: roactl %s %s", name, cmd.synopsis)
	}
	return cmd.run(ctx, c, opts, pos)
}

// parseInterleaved lets flags follow positional arguments: the standard flag
// package stops at the first positional one, so parse again after it.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		used := len(args) - len(rest)
		if used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// api returns the client, after finding the server and the token. Called
// only once the command's input is validated, so bad input never reaches the
// server.
func (c *cli) api() (*api.Client, error) {
	if c.client != nil {
		return c.client, nil
	}
	u, err := url.Parse(c.g.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: want http(s)://HOST[:PORT]", c.g.server)
	}
	token := strings.TrimSpace(c.g.token)
	if token == "" {
		token, err = c.readTokenFile()
		if err != nil {
			return nil, err
		}
	}
	hc, err := c.httpClient(u.Scheme == "https")
	if err != nil {
		return nil, err
	}
	c.client = &api.Client{
		BaseURL: c.g.server,
		Token:   token,
		HTTP:    hc,
		Actor:   c.env("USER"),
		Observe: func(_, _ string, _ int, body []byte) { c.raw = body },
	}
	return c.client, nil
}

// readTokenFile reads the token road writes into its data directory:
// $ROAD_DATA_DIR/admin.token when that is set, else ./road-data/admin.token.
func (c *cli) readTokenFile() (string, error) {
	path := defaultTokenFile
	if d := c.env("ROAD_DATA_DIR"); d != "" {
		path = filepath.Join(d, "admin.token")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", usagef("no admin token: use --token, set ROAD_TOKEN, or run where %s is readable (%v)", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes+1))
	if err != nil {
		return "", usagef("reading %s: %v", path, err)
	}
	if len(b) > maxTokenBytes {
		return "", usagef("%s is larger than %d bytes; not a token", path, maxTokenBytes)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", usagef("no admin token: %s is empty", path)
	}
	return tok, nil
}
