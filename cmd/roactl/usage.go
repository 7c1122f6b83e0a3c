package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

var groupOrder = []string{"intent", "roa", "change", "bgp", "audit", "rp", "rtr", "publish", "token", "ca", "parent", "repository", "child", "publisher", "identity"}

func subNames(g map[string]*command) []string {
	var out []string
	for k := range g {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `usage: roactl [--server URL] [--token T] [--cacert FILE] [-o table|json] COMMAND [ARGS]

Talks to road's REST API. --server defaults to $ROAD_SERVER, else `+defaultServer+`;
--token to $ROAD_TOKEN, else ./`+defaultTokenFile+`. An https:// server's certificate must chain
to --cacert ($ROAD_CACERT), else to the system roots or ./`+defaultCAFile+` (road's testbed CA)
when it exists. Global flags may also follow the command.
ROA syntax: "PREFIX[-MAXLEN] => ASN", e.g. "192.0.2.0/24 => AS64496", "2001:db8::/32-48 => 64497".
Exit codes: 0 ok, 1 error, 2 usage or bad input, 3 blocked by a safety check (or the
two-person rule), 4 held for a second token's approval (roactl change approve), 5 a check
found problems (audit run: warn or error findings; rp status: degraded, failed, not run, or
not exactly the configured ROAs; ca migrate-check: routes would lose their VRP).
A connection lost during a change may have left it applied: see roactl history.

commands:
`)
	line := func(name string, c *command) {
		fmt.Fprintf(w, "  roactl %s\n      %s\n", strings.TrimSpace(name+" "+c.synopsis), c.help)
	}
	line("status", topCommands["status"])
	for _, g := range groupOrder {
		for _, sub := range subNames(groups[g]) {
			line(g+" "+sub, groups[g][sub])
		}
	}
	line("expiry", topCommands["expiry"])
	line("history", topCommands["history"])
	line("version", topCommands["version"])
	fmt.Fprintln(w, "\nRun roactl COMMAND --help for a command's flags.")
}

func printGroupUsage(w io.Writer, name string, g map[string]*command) {
	fmt.Fprintf(w, "usage: roactl %s SUBCOMMAND\n\n", name)
	for _, sub := range subNames(g) {
		fmt.Fprintf(w, "  roactl %s\n      %s\n", strings.TrimSpace(name+" "+sub+" "+g[sub].synopsis), g[sub].help)
	}
}

func printCommandUsage(w io.Writer, name string, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: roactl %s\n\n%s\n\nflags:\n", strings.TrimSpace(name+" "+c.synopsis), c.help)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
