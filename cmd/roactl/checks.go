package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/roadrpki/road/internal/api"
)

// The check commands print their answer like any other command and then
// exit 5 (exitFound) when it shows a problem, whatever -o says, so they run
// as they are under cron or as a Nagios check. An answer that is not the
// expected JSON is printed and is an error (exit 1): a check that cannot
// read its result has not passed.

// runAudit runs an audit now. Findings of warn or error severity are
// problems; info findings (no audit emits them yet) are not. Findings cut
// off by the server's bound (truncated) count as problems: their severity
// is unknown.
func runAudit(ctx context.Context, c *cli, _ any, args []string) error {
	switch args[0] {
	case "consistency", "expiry", "bgp":
	default:
		return usagef("audit run %q: want consistency, expiry or bgp", args[0])
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	res, err := cl.RunAudit(ctx, args[0])
	if err != nil && !errors.Is(err, api.ErrUnexpectedJSON) {
		return err
	}
	if rerr := c.renderGeneric(); rerr != nil || err != nil {
		return errors.Join(rerr, err)
	}
	if n := auditProblems(res); n > 0 {
		return &problemsFound{fmt.Sprintf("the %s audit found %d problem(s)", args[0], n)}
	}
	return nil
}

func auditProblems(r *api.AuditResult) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity != "info" {
			n++
		}
	}
	if r.Truncated && r.FindingCount > len(r.Findings) {
		n += r.FindingCount - len(r.Findings)
	}
	return n
}

// runRPStatus shows the bundled relying party's state. Problems: it has
// not run yet, it is degraded (RTR keeps the last good view), its last run
// failed, it did not validate exactly the configured ROAs (missing, extra,
// rejected objects), or the configured TALs' feed is degraded or failed.
func runRPStatus(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	st, err := cl.RPStatus(ctx)
	if err != nil && !errors.Is(err, api.ErrUnexpectedJSON) {
		return err
	}
	if rerr := c.renderGeneric(); rerr != nil || err != nil {
		return errors.Join(rerr, err)
	}
	if p := rpProblems(st); len(p) > 0 {
		return &problemsFound{strings.Join(p, "; ")}
	}
	return nil
}

func rpProblems(st *api.RPStatus) []string {
	var p []string
	switch {
	case st.Degraded:
		p = append(p, "the relying party is degraded ("+orDash(st.Reason)+"): RTR serves its last good view")
	case st.Error != "":
		p = append(p, "the relying party's last run failed ("+orDash(st.Reason)+")")
	case st.Runs == 0 && st.LastRun.IsZero():
		p = append(p, "the relying party has not run yet")
	case len(st.Missing)+len(st.Extra)+st.Rejected > 0:
		p = append(p, fmt.Sprintf("the relying party did not validate exactly the configured ROAs (%d missing, %d extra, %d rejected)",
			len(st.Missing), len(st.Extra), st.Rejected))
	case !st.OK:
		p = append(p, "the relying party is not ok")
	}
	if g := st.Global; g != nil {
		switch {
		case g.Degraded:
			p = append(p, "the configured TALs' feed is degraded ("+orDash(g.Reason)+")")
		case g.Error != "":
			p = append(p, "the configured TALs' last run failed ("+orDash(g.Reason)+")")
		}
	}
	return p
}
