package main

import (
	"strings"
	"testing"
)

// TestHelpEveryCommand: every command of the tables (topCommands, groups)
// answers --help and -h on stdout with exit 0 and a usage naming it, without
// a server; every group answers --help; roactl --help lists every command.
func TestHelpEveryCommand(t *testing.T) {
	names := map[string]bool{}
	for name := range topCommands {
		names[name] = true
	}
	for g, subs := range groups {
		names[g] = true
		for sub := range subs {
			names[g+" "+sub] = true
		}
	}
	if len(names) < 25 {
		t.Fatalf("only %d commands and groups in the tables", len(names))
	}
	env := func(k string) string {
		return map[string]string{"ROAD_SERVER": "http://127.0.0.1:1", "ROAD_TOKEN": "tok"}[k] // nothing listens there
	}
	usage := runCLI(nil, "--help")
	for name := range names {
		for _, h := range []string{"--help", "-h"} {
			r := runCLI(env, append(strings.Fields(name), h)...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: roactl "+name) || r.stderr != "" {
				t.Errorf("roactl %s %s: exit %d, stderr %q, stdout:\n%s", name, h, r.code, r.stderr, r.stdout)
			}
		}
		if _, isGroup := groups[name]; !isGroup && !strings.Contains(usage.stdout, "\n  roactl "+name) {
			t.Errorf("roactl --help does not list %q", name)
		}
	}
}
