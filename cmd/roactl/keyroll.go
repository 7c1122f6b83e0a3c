package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/roadrpki/road/internal/api"
)

// The key rolls: the CA's (RFC 6489) under `ca roll`, the BPKI
// identity's (RFC 8183) under `identity`.
func init() {
	caCommands["roll"] = &command{synopsis: "[--activate]",
		help: "start a CA key roll: a new key is certified by the parent (or the testbed TA) and published with an empty manifest and CRL, " +
			"activated after [ca] roll_staging, then the old key is revoked; --activate ends a pending roll's staging now",
		maxArgs: 0, flags: rollFlags, run: runCARoll}
	groups["identity"] = identityCommands
}

var identityCommands = map[string]*command{
	"roll": {help: "make a new BPKI identity and print its <child_request> and <publisher_request> (RFC 8183) to send to every parent and repository; " +
		"road signs with the current identity until identity activate", flags: noFlags, run: runIdentityRoll},
	"activate": {help: "sign RFC 6492 and RFC 8181 messages with the new identity (once every parent and repository has imported it)",
		flags: noFlags, run: runIdentityActivate},
}

type rollOpts struct{ activate bool }

func rollFlags(fs *flag.FlagSet) any {
	o := &rollOpts{}
	fs.BoolVar(&o.activate, "activate", false, "end the staging period of a pending roll now (an emergency roll)")
	return o
}

func runCARoll(ctx context.Context, c *cli, opts any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	s, err := cl.StartRoll(ctx, opts.(*rollOpts).activate)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printKeyRoll(c.stdout, s.Roll)
	return nil
}

// printKeyRoll is one line about the CA's key roll.
func printKeyRoll(w io.Writer, r *api.KeyRoll) {
	if r == nil {
		return
	}
	line := fmt.Sprintf("key roll\t%s, new key %s, old key %s, started %s by %s", r.Phase, strings.ToUpper(r.NewKey),
		strings.ToUpper(r.OldKey), fmtTime(r.StartedAt), safe(r.Actor))
	switch r.Phase {
	case "pending":
		line += ", activated at " + fmtTime(r.ActivateAt)
	case "active":
		line += ", activated " + fmtTime(r.ActivatedAt) + ", old key's certificate being revoked"
	case "done":
		line += ", done " + fmtTime(r.DoneAt)
	}
	fmt.Fprintln(w, line)
}

func runIdentityRoll(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	r, err := cl.IdentityRoll(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	for _, x := range []string{r.ChildRequest, r.PublisherRequest} {
		fmt.Fprint(c.stdout, x)
		if !strings.HasSuffix(x, "\n") {
			fmt.Fprintln(c.stdout)
		}
	}
	return nil
}

func runIdentityActivate(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.IdentityActivate(ctx); err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintln(c.stdout, "the new identity is active")
	return nil
}
