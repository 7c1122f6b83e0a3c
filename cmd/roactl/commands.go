package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/vrp"
)

// command is one roactl subcommand. flags registers its own flags and returns
// the value run receives as opts.
type command struct {
	synopsis string
	help     string
	minArgs  int
	maxArgs  int // -1: unbounded
	flags    func(fs *flag.FlagSet) any
	run      func(ctx context.Context, c *cli, opts any, args []string) error
}

func noFlags(*flag.FlagSet) any { return nil }

var topCommands = map[string]*command{
	"status": {synopsis: "", help: "daemon, CA, publication serial, RP and RTR state",
		maxArgs: 0, flags: noFlags, run: runStatus},
	"expiry": {synopsis: "[--within 30d]", help: "objects and VRPs by effective expiry",
		maxArgs: 0, flags: expiryFlags, run: runExpiry},
	"history": {synopsis: "", help: "append-only log of every change: who, when, what, findings, overrides",
		maxArgs: 0, flags: noFlags, run: runHistory},
	"version": {help: "roactl's version, VCS revision and time, and Go version (-o json: one object)",
		maxArgs: 0, flags: noFlags, run: runVersion},
}

var groups = map[string]map[string]*command{
	"token":      tokenCommands,      // token.go
	"ca":         caCommands,         // migrate.go
	"rtr":        rtrCommands,        // rtrwaves.go
	"parent":     parentCommands,     // delegation.go
	"repository": repositoryCommands, // delegation.go
	"change":     changeCommands,     // change.go
	"child":      childCommands,      // parent.go
	"publisher":  publisherCommands,  // parent.go
	"intent": {
		"add": {synopsis: "PREFIX ASN [--note T]", help: "record an intended announcement",
			minArgs: 2, maxArgs: 2, flags: intentFlags, run: runIntentAdd},
		"remove": {synopsis: "PREFIX ASN", help: "forget an intended announcement",
			minArgs: 2, maxArgs: 2, flags: noFlags, run: runIntentRemove},
		"list": {help: "list intended announcements", flags: noFlags, run: runIntentList},
	},
	"roa": {
		"list": {help: "configured ROAs with their published object, not-after, state",
			flags: noFlags, run: runROAList},
		"add": {synopsis: `"ROA"... [--dry-run] [--force --reason T] [--comment T]`,
			help:    `add ROAs ("PREFIX[-MAXLEN] => ASN"); a proposal with only additions`,
			minArgs: 1, maxArgs: -1, flags: proposeFlags, run: runROAAdd},
		"remove": {synopsis: `"ROA"... [--dry-run] [--force --reason T]`,
			help:    "remove ROAs; a proposal with only removals",
			minArgs: 1, maxArgs: -1, flags: proposeFlags, run: runROARemove},
		"propose": {synopsis: `--add "ROA"... --remove "ROA"... [--dry-run] [--force --reason T] [--comment T]`,
			help: "atomic change; prints findings; exit 3 when blocked", flags: proposeFlags, run: runPropose},
	},
	"bgp": {
		"routes": {synopsis: "[PREFIX]", help: "the live route table (prefix, origin, peers seen)",
			maxArgs: 1, flags: noFlags, run: runBGPRoutes},
		"import": {synopsis: "FILE [--name NAME]", help: "import MRT (TABLE_DUMP_V2, gzip/bzip2) or text \"PREFIX ORIGIN\" lines; - reads stdin; re-importing NAME replaces it",
			minArgs: 1, maxArgs: 1, flags: importFlags, run: runBGPImport},
		"peers": {help: "configured BGP neighbours and their sessions", flags: noFlags, run: getter(func(ctx context.Context, cl *api.Client) error {
			_, err := cl.BGPPeers(ctx)
			return err
		})},
		"unimport": {synopsis: "NAME", help: "forget the routes of an earlier import (NAME as bgp routes shows it after import:)",
			minArgs: 1, maxArgs: 1, flags: noFlags, run: runBGPUnimport},
		"analyze": {help: "ROA set vs routes", flags: noFlags, run: getter(func(ctx context.Context, cl *api.Client) error {
			_, err := cl.BGPAnalysis(ctx)
			return err
		})},
		"resilience": {help: "the holder's routes without a Valid covering route to fall back on, with the ROA or announcement that would add one",
			flags: noFlags, run: runBGPResilience},
		"suggest": {help: "minimal ROA suggestions for the routes", flags: noFlags, run: getter(func(ctx context.Context, cl *api.Client) error {
			_, err := cl.BGPSuggestions(ctx)
			return err
		})},
	},
	"audit": {
		"run": {synopsis: "consistency|expiry|bgp", help: "run an audit now; exit 5 when it finds problems (warn or error findings)",
			minArgs: 1, maxArgs: 1, flags: noFlags, run: runAudit},
		"list": {help: "past audit results", flags: noFlags, run: getter(func(ctx context.Context, cl *api.Client) error {
			_, err := cl.Audits(ctx)
			return err
		})},
	},
	"publish": publishCommands, // publish.go
	"rp": {
		"vrps": {help: "VRPs the bundled relying party validated", flags: noFlags, run: getter(func(ctx context.Context, cl *api.Client) error {
			_, err := cl.RPVRPs(ctx)
			return err
		})},
		"status": {help: "the bundled relying party's last run; exit 5 when it is degraded, failed or did not validate exactly the configured ROAs",
			flags: noFlags, run: runRPStatus},
	},
}

// getter runs a GET whose answer is rendered generically (tables from JSON).
func getter(fetch func(ctx context.Context, cl *api.Client) error) func(context.Context, *cli, any, []string) error {
	return func(ctx context.Context, c *cli, _ any, _ []string) error {
		cl, err := c.api()
		if err != nil {
			return err
		}
		if err := shown(fetch(ctx, cl)); err != nil {
			return err
		}
		return c.renderGeneric()
	}
}

// shown is err, except that an answer which does not fit the client's type
// is no error for commands that print the server's JSON as it came.
func shown(err error) error {
	if errors.Is(err, api.ErrUnexpectedJSON) {
		return nil
	}
	return err
}

func runStatus(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printStatus(c.stdout, st)
	return nil
}

// --- intents

type intentOpts struct{ note string }

func intentFlags(fs *flag.FlagSet) any {
	o := &intentOpts{}
	fs.StringVar(&o.note, "note", "", "free-text `note` (who announces it, why)")
	return o
}

// parseIntent validates PREFIX ASN locally.
func parseIntent(args []string) (api.Intent, error) {
	p, err := vrp.ParsePrefix(args[0])
	if err != nil {
		return api.Intent{}, usagef("bad prefix %q: %v", args[0], err)
	}
	asn, err := vrp.ParseASN(args[1])
	if err != nil {
		return api.Intent{}, usagef("bad ASN %q: %v", args[1], err)
	}
	return api.Intent{Prefix: p.String(), Origin: asn}, nil
}

func runIntentAdd(ctx context.Context, c *cli, opts any, args []string) error {
	in, err := parseIntent(args)
	if err != nil {
		return err
	}
	in.Note = opts.(*intentOpts).note
	cl, err := c.api()
	if err != nil {
		return err
	}
	stored, err := cl.AddIntent(ctx, in)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	// The answer is the intent as recorded: adding one again keeps its note
	// unless --note gives a new one.
	msg := fmt.Sprintf("added intent %s AS%d", in.Prefix, in.Origin)
	if stored.Note != "" {
		msg += " (note: " + safe(stored.Note) + ")"
	}
	fmt.Fprintln(c.stdout, msg)
	return nil
}

func runIntentRemove(ctx context.Context, c *cli, _ any, args []string) error {
	in, err := parseIntent(args)
	if err != nil {
		return err
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.RemoveIntent(ctx, in); err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "removed intent %s AS%d\n", in.Prefix, in.Origin)
	return nil
}

func runIntentList(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	l, err := cl.Intents(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printIntents(c.stdout, l.Intents)
	return nil
}

// --- ROAs and proposals

func runROAList(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	l, err := cl.ROAs(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printROAs(c.stdout, l.ROAs)
	return nil
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type proposeOpts struct {
	add, remove     listFlag
	dryRun, force   bool
	reason, comment string
	exception       string
}

func proposeFlags(fs *flag.FlagSet) any {
	o := &proposeOpts{}
	fs.Var(&o.add, "add", "`ROA` to add, \"PREFIX[-MAXLEN] => ASN\" (repeatable)")
	fs.Var(&o.remove, "remove", "`ROA` to remove (repeatable)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "run the safety checks only; change nothing")
	fs.BoolVar(&o.force, "force", false, "override blocking findings that can be overridden (needs --reason)")
	fs.StringVar(&o.reason, "reason", "", "why the override is needed (goes to history)")
	fs.StringVar(&o.comment, "comment", "", "`comment` stored with the added ROAs")
	fs.StringVar(&o.exception, "exception", "", "record a deliberate loose maxLength for the added ROAs with this `reason` (RFC 9319 §5.1)")
	return o
}

// parseROAs validates every ROA string locally (vrp.Parse) before any request.
func parseROAs(ss []string, comment string) ([]api.ROA, error) {
	out := make([]api.ROA, 0, len(ss))
	for _, s := range ss {
		v, err := vrp.Parse(s)
		// A maxLength outside prefix length..32/128 is well-formed input the
		// server answers with a blocking bad-maxlength finding (exit 3),
		// listed with every other finding of the proposal. maxLength 0 cannot
		// be sent (0 means "equal to the prefix length" on the wire).
		if err != nil && !(errors.Is(err, vrp.ErrMaxLength) && v.MaxLen != 0) {
			return nil, usagef("bad ROA %q: %s", s, roaErrorText(s, err))
		}
		out = append(out, api.ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN, Comment: comment})
	}
	return out, nil
}

// roaErrorText is vrp.Parse's reason without the repeated input, plus the syntax.
func roaErrorText(s string, err error) string {
	q := strconv.Quote(s)
	msg := strings.ReplaceAll(strings.ReplaceAll(err.Error(), q+": ", ""), ": "+q, "")
	if !strings.Contains(msg, "PREFIX[-MAXLEN]") {
		msg += ` (want "PREFIX[-MAXLEN] => ASN", e.g. "192.0.2.0/24 => AS64496")`
	}
	return msg
}

func runROAAdd(ctx context.Context, c *cli, opts any, args []string) error {
	o := opts.(*proposeOpts)
	o.add = append(o.add, args...)
	return propose(ctx, c, o)
}

func runROARemove(ctx context.Context, c *cli, opts any, args []string) error {
	o := opts.(*proposeOpts)
	o.remove = append(o.remove, args...)
	return propose(ctx, c, o)
}

func runPropose(ctx context.Context, c *cli, opts any, args []string) error {
	o := opts.(*proposeOpts)
	if len(args) > 0 {
		return usagef("roa propose takes ROAs only with --add and --remove, not %q", args[0])
	}
	return propose(ctx, c, o)
}

func propose(ctx context.Context, c *cli, o *proposeOpts) error {
	add, err := parseROAs(o.add, o.comment)
	if err != nil {
		return err
	}
	remove, err := parseROAs(o.remove, "")
	if err != nil {
		return err
	}
	if len(add)+len(remove) == 0 {
		return usagef("nothing to propose: give --add and/or --remove ROAs")
	}
	if o.force && strings.TrimSpace(o.reason) == "" {
		return usagef("--force needs --reason T (the reason goes to history)")
	}
	if o.reason != "" && !o.force {
		return usagef("--reason is only used with --force")
	}
	if o.exception != "" {
		if len(add) == 0 {
			return usagef("--exception applies to added ROAs; give --add")
		}
		for i := range add {
			add[i].Exception = o.exception
		}
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	res, _, err := cl.Propose(ctx, &api.ProposalRequest{Add: add, Remove: remove, DryRun: o.dryRun, Force: o.force, Reason: o.reason})
	if err != nil {
		return err
	}
	if c.jsonOut() {
		if err := c.printRaw(); err != nil {
			return err
		}
	} else {
		printProposal(c.stdout, res)
	}
	return outcome(res)
}

// outcome is the error a proposal's result exits with: 3 blocked, 4 pending.
func outcome(res *api.ProposalResult) error {
	switch {
	case res.Blocked:
		return errBlocked
	case res.Pending:
		return errPending
	}
	return nil
}

// --- BGP, expiry, audits

func runBGPRoutes(ctx context.Context, c *cli, _ any, args []string) error {
	prefix := ""
	if len(args) == 1 {
		p, err := vrp.ParsePrefix(args[0])
		if err != nil {
			return usagef("bad prefix %q: %v", args[0], err)
		}
		prefix = p.String()
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.BGPRoutes(ctx, prefix); shown(err) != nil {
		return err
	}
	return c.renderGeneric()
}

type importOpts struct{ name string }

func importFlags(fs *flag.FlagSet) any {
	o := &importOpts{}
	fs.StringVar(&o.name, "name", "", "import source `name` (default: the file's base name)")
	return o
}

func runBGPImport(ctx context.Context, c *cli, opts any, args []string) error {
	var r io.Reader
	name := args[0]
	if name == "-" {
		r, name = c.stdin, "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return usagef("bgp import: %v", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return usagef("bgp import: %s is a directory", name)
		}
		r, name = f, filepath.Base(name)
	}
	if n := opts.(*importOpts).name; n != "" {
		name = n
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.BGPImport(ctx, name, r); shown(err) != nil {
		return err
	}
	return c.renderGeneric()
}

func runBGPUnimport(ctx context.Context, c *cli, _ any, args []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.BGPRemoveImport(ctx, args[0]); shown(err) != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "removed the routes of import %s\n", args[0])
	return nil
}

type expiryOpts struct{ within string }

func expiryFlags(fs *flag.FlagSet) any {
	o := &expiryOpts{}
	fs.StringVar(&o.within, "within", "", "only what expires within this `duration` (30d, 72h)")
	return o
}

func runExpiry(ctx context.Context, c *cli, opts any, _ []string) error {
	var within time.Duration
	if s := opts.(*expiryOpts).within; s != "" {
		d, err := api.ParseWithin(s) // the server reads ?within= the same way
		if err != nil {
			return usagef("--within: %v", err)
		}
		within = d
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.Expiry(ctx, within); shown(err) != nil {
		return err
	}
	return c.renderGeneric()
}

func runHistory(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	h, err := cl.History(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printHistory(c.stdout, h.Entries)
	return nil
}

// --- output helpers shared by the commands

func (c *cli) jsonOut() bool { return c.g.output == "json" }

// printRaw prints the server's last answer as-is, indented.
func (c *cli) printRaw() error {
	fmt.Fprintln(c.stdout, indentJSON(c.raw))
	return nil
}

// renderGeneric prints the last answer: as-is with -o json, else as tables.
func (c *cli) renderGeneric() error {
	if c.jsonOut() {
		return c.printRaw()
	}
	return renderJSONTable(c.stdout, c.raw)
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
