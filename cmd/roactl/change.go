package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/api"
)

// changeCommands are the change pipeline: the two-person rule and revert.
var changeCommands = map[string]*command{
	"list": {synopsis: "[--state pending|applied|rejected|expired|reverted]",
		help:  "ROA changes of every state, newest first: ID, state, proposer, approver, what they add and remove",
		flags: changeListFlags, run: runChangeList},
	"show": {synopsis: "ID", help: "one change: its ROAs, findings, impact, actors and timeline (approved, signed, published, validated, served over RTR)",
		minArgs: 1, maxArgs: 1, flags: noFlags, run: runChangeShow},
	"approve": {synopsis: "ID [--force --reason T]",
		help:    "approve another token's pending change (approver or admin role); the checks run again now; exit 3 when they block or the token proposed it",
		minArgs: 1, maxArgs: 1, flags: approveFlags, run: runChangeApprove},
	"reject": {synopsis: "ID [--reason T]", help: "reject a pending change (approver or admin role); nothing is signed",
		minArgs: 1, maxArgs: 1, flags: rejectFlags, run: runChangeReject},
	"revert": {synopsis: "ID... | --last N [--dry-run] [--force --reason T]",
		help:    "propose the exact inverse of applied changes, through the same checks and approval policy; exit 3 blocked, 4 pending",
		maxArgs: -1, flags: revertFlags, run: runChangeRevert},
}

func parseChangeID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("change ID %q: want a positive number (roactl change list shows them)", s)
	}
	return id, nil
}

type changeListOpts struct{ state string }

func changeListFlags(fs *flag.FlagSet) any {
	o := &changeListOpts{}
	fs.StringVar(&o.state, "state", "", "only changes in this `state`: pending, applied, rejected, expired or reverted")
	return o
}

func runChangeList(ctx context.Context, c *cli, opts any, _ []string) error {
	state := opts.(*changeListOpts).state
	switch state {
	case "", "pending", "applied", "rejected", "expired", "reverted":
	default:
		return usagef("--state %q: want pending, applied, rejected, expired or reverted", state)
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	l, err := cl.Changes(ctx, state)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printChanges(c.stdout, l.Changes)
	return nil
}

func printChanges(w io.Writer, l []api.Change) {
	if len(l) == 0 {
		fmt.Fprintln(w, "no changes")
		return
	}
	t := newTable(w)
	fmt.Fprintln(t, "ID\tSTATE\tCREATED\tPROPOSER\tAPPROVER\tCHANGE")
	for _, ch := range l {
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%s\n", ch.ID, ch.State, fmtTime(ch.CreatedAt), orDash(ch.Proposer),
			orDash(ch.Approver), changeSummary(&ch))
	}
	t.Flush()
}

func changeSummary(ch *api.Change) string {
	var parts []string
	for _, r := range ch.Add {
		parts = append(parts, "+"+roaText(r))
	}
	for _, r := range ch.Remove {
		parts = append(parts, "-"+roaText(r))
	}
	s := strings.Join(parts, " ")
	if len(ch.Reverts) > 0 {
		s += " (reverts " + ids(ch.Reverts) + ")"
	}
	return s
}

func ids(l []int64) string {
	ss := make([]string, len(l))
	for i, id := range l {
		ss[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(ss, ", ")
}

func runChangeShow(ctx context.Context, c *cli, _ any, args []string) error {
	id, err := parseChangeID(args[0])
	if err != nil {
		return err
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	ch, err := cl.Change(ctx, id)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printChange(c.stdout, ch)
	return nil
}

func printChange(w io.Writer, ch *api.Change) {
	t := newTable(w)
	fmt.Fprintf(t, "change\t%d\n", ch.ID)
	fmt.Fprintf(t, "state\t%s\n", ch.State)
	fmt.Fprintf(t, "proposed by\t%s at %s\n", ch.ProposedBy, fmtTime(ch.CreatedAt))
	if ch.State == "pending" {
		fmt.Fprintf(t, "expires\t%s\n", fmtTime(ch.ExpiresAt))
	}
	if ch.Approver != "" {
		fmt.Fprintf(t, "decided by\t%s at %s\n", ch.Approver, fmtTime(ch.DecidedAt))
	}
	if len(ch.Approval) > 0 {
		fmt.Fprintf(t, "needs approval\t%s\n", strings.Join(ch.Approval, ", "))
	}
	if ch.Force {
		fmt.Fprintf(t, "forced\t%s\n", ch.Reason)
	}
	if len(ch.Reverts) > 0 {
		fmt.Fprintf(t, "reverts\t%s\n", ids(ch.Reverts))
	}
	if ch.RevertedBy != 0 {
		fmt.Fprintf(t, "reverted by\t%d\n", ch.RevertedBy)
	}
	for _, r := range ch.Add {
		fmt.Fprintf(t, "add\t%s\n", roaText(r))
	}
	for _, r := range ch.Remove {
		fmt.Fprintf(t, "remove\t%s\n", roaText(r))
	}
	if len(ch.Impact) > 0 {
		fmt.Fprintf(t, "impact\t%s\n", compactJSON(ch.Impact))
	}
	t.Flush()
	fmt.Fprintln(w)
	if len(ch.Findings) == 0 {
		fmt.Fprintln(w, "no findings")
	} else {
		t = newTable(w)
		fmt.Fprintln(t, "SEVERITY\tKIND\tMESSAGE")
		for _, f := range ch.Findings {
			fmt.Fprintf(t, "%s\t%s\t%s\n", orDash(f.Severity), orDash(f.Kind), orDash(f.Message))
		}
		t.Flush()
	}
	fmt.Fprintln(w)
	printTimeline(w, ch.Timeline)
}

func printTimeline(w io.Writer, l []api.ChangeEvent) {
	t := newTable(w)
	fmt.Fprintln(t, "STAGE\tAT\tACTOR\tDETAIL")
	for _, e := range l {
		var d []string
		if e.Serial != 0 {
			d = append(d, fmt.Sprintf("serial %d", e.Serial))
		}
		if e.Routers != nil {
			d = append(d, fmt.Sprintf("%d router(s) connected", *e.Routers))
		}
		if e.Note != "" {
			d = append(d, e.Note)
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", e.Stage, fmtTime(e.At), orDash(e.Actor), orDash(strings.Join(d, "; ")))
	}
	t.Flush()
}

type approveOpts struct {
	force  bool
	reason string
}

func approveFlags(fs *flag.FlagSet) any {
	o := &approveOpts{}
	fs.BoolVar(&o.force, "force", false, "override blocking findings the checks find now (needs --reason)")
	fs.StringVar(&o.reason, "reason", "", "why the override is needed (goes to history)")
	return o
}

func runChangeApprove(ctx context.Context, c *cli, opts any, args []string) error {
	o := opts.(*approveOpts)
	id, err := parseChangeID(args[0])
	if err != nil {
		return err
	}
	if o.force != (strings.TrimSpace(o.reason) != "") {
		return usagef("--force and --reason T go together")
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	res, _, err := cl.Approve(ctx, id, api.ApproveRequest{Force: o.force, Reason: o.reason})
	if err != nil {
		return err
	}
	return c.showResult(res)
}

// showResult prints a proposal-shaped answer and returns its exit error.
func (c *cli) showResult(res *api.ProposalResult) error {
	if c.jsonOut() {
		if err := c.printRaw(); err != nil {
			return err
		}
	} else {
		printProposal(c.stdout, res)
	}
	return outcome(res)
}

type rejectOpts struct{ reason string }

func rejectFlags(fs *flag.FlagSet) any {
	o := &rejectOpts{}
	fs.StringVar(&o.reason, "reason", "", "why (goes to the change's timeline)")
	return o
}

func runChangeReject(ctx context.Context, c *cli, opts any, args []string) error {
	id, err := parseChangeID(args[0])
	if err != nil {
		return err
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	ch, err := cl.Reject(ctx, id, opts.(*rejectOpts).reason)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "rejected change %d; nothing was signed\n", ch.ID)
	return nil
}

type revertOpts struct {
	last          int
	dryRun, force bool
	reason        string
}

func revertFlags(fs *flag.FlagSet) any {
	o := &revertOpts{}
	fs.IntVar(&o.last, "last", 0, "revert the last `N` applied changes (instead of IDs)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "run the safety checks on the inverse only; change nothing")
	fs.BoolVar(&o.force, "force", false, "override blocking findings that can be overridden (needs --reason)")
	fs.StringVar(&o.reason, "reason", "", "why the override is needed (goes to history)")
	return o
}

func runChangeRevert(ctx context.Context, c *cli, opts any, args []string) error {
	o := opts.(*revertOpts)
	req := api.RevertRequest{Last: o.last, DryRun: o.dryRun, Force: o.force, Reason: o.reason}
	for _, a := range args {
		id, err := parseChangeID(a)
		if err != nil {
			return err
		}
		req.IDs = append(req.IDs, id)
	}
	switch {
	case len(req.IDs) == 0 && o.last <= 0:
		return usagef("usage: roactl change revert ID... | --last N (N >= 1)")
	case len(req.IDs) > 0 && o.last != 0:
		return usagef("give change IDs or --last N, not both")
	case o.force != (strings.TrimSpace(o.reason) != ""):
		return usagef("--force and --reason T go together")
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	res, _, err := cl.Revert(ctx, req)
	if err != nil {
		return err
	}
	return c.showResult(res)
}
