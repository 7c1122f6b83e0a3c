package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"

	"github.com/roadrpki/road/internal/api"
)

// publishCommands act on the publication (admin tokens only).
var publishCommands = map[string]*command{
	"override": {synopsis: "--reason T",
		help:  "reconcile a refused publication: waive the publication invariants (and the start-up block) once, recorded in the history with the reason, and publish now; the gate is never waived",
		flags: publishOverrideFlags, run: runPublishOverride},
}

type publishOverrideOpts struct{ reason string }

func publishOverrideFlags(fs *flag.FlagSet) any {
	o := &publishOverrideOpts{}
	fs.StringVar(&o.reason, "reason", "", "why (`text`, recorded in the history)")
	return o
}

func runPublishOverride(ctx context.Context, c *cli, opts any, _ []string) error {
	reason := strings.TrimSpace(opts.(*publishOverrideOpts).reason)
	if reason == "" {
		return usagef("publish override needs --reason TEXT (it is recorded in the history)")
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.PublishOverride(ctx, reason); err != nil {
		var ae *api.APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict { // the gate still refuses
			return &exitErr{code: exitBlocked, err: err}
		}
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "override recorded (%s); published\n", reason)
	return nil
}
