package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/roadrpki/road/internal/api"
)

// tokenCommands manage the named API tokens (admin tokens only).
var tokenCommands = map[string]*command{
	"add": {synopsis: "NAME --role read-only|operator|approver|admin",
		help:    "add a named API token; prints its secret once (road keeps only its hash)",
		minArgs: 1, maxArgs: 1, flags: tokenAddFlags, run: runTokenAdd},
	"list": {help: "the API tokens: name, role, created, created by (never secrets)",
		flags: noFlags, run: runTokenList},
	"revoke": {synopsis: "NAME", help: "revoke a token; requests with its secret get 401 from now on",
		minArgs: 1, maxArgs: 1, flags: noFlags, run: runTokenRevoke},
	"flag": {synopsis: "NAME [--off]", help: "flag a token: every change it proposes waits for another token's approval (--off clears the flag)",
		minArgs: 1, maxArgs: 1, flags: tokenFlagFlags, run: runTokenFlag},
}

type tokenFlagOpts struct{ off bool }

func tokenFlagFlags(fs *flag.FlagSet) any {
	o := &tokenFlagOpts{}
	fs.BoolVar(&o.off, "off", false, "clear the flag")
	return o
}

func runTokenFlag(ctx context.Context, c *cli, opts any, args []string) error {
	on := !opts.(*tokenFlagOpts).off
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.FlagToken(ctx, args[0], on); err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	if on {
		fmt.Fprintf(c.stdout, "flagged token %s: its changes now need a second token's approval\n", args[0])
	} else {
		fmt.Fprintf(c.stdout, "token %s is no longer flagged\n", args[0])
	}
	return nil
}

type tokenAddOpts struct{ role string }

func tokenAddFlags(fs *flag.FlagSet) any {
	o := &tokenAddOpts{}
	fs.StringVar(&o.role, "role", "", "the token's `role`: read-only, operator, approver or admin")
	return o
}

func runTokenAdd(ctx context.Context, c *cli, opts any, args []string) error {
	role := opts.(*tokenAddOpts).role
	switch role {
	case "read-only", "operator", "approver", "admin":
	case "":
		return usagef("token add needs --role read-only|operator|approver|admin")
	default:
		return usagef("--role %q: want read-only, operator, approver or admin", role)
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	t, err := cl.AddToken(ctx, args[0], role)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	// The secret alone on the last line, for scripts (and people) to copy.
	fmt.Fprintf(c.stdout, "token %s (%s) created; its secret, shown only now:\n%s\n", t.Name, t.Role, t.Secret)
	return nil
}

func runTokenList(ctx context.Context, c *cli, _ any, _ []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	l, err := cl.Tokens(ctx)
	if err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	printTokens(c, l.Tokens)
	return nil
}

func printTokens(c *cli, l []api.TokenInfo) {
	t := newTable(c.stdout)
	fmt.Fprintln(t, "NAME\tROLE\tCREATED\tCREATED-BY")
	for _, tk := range l {
		role := tk.Role
		if tk.Flagged {
			role += " (flagged)" // its changes need a second token's approval
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", tk.Name, role, fmtTime(tk.CreatedAt), orDash(tk.CreatedBy))
	}
	t.Flush()
}

func runTokenRevoke(ctx context.Context, c *cli, _ any, args []string) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	if _, err := cl.RevokeToken(ctx, args[0]); err != nil {
		return err
	}
	if c.jsonOut() {
		return c.printRaw()
	}
	fmt.Fprintf(c.stdout, "revoked token %s\n", args[0])
	return nil
}
