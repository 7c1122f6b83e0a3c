package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/manpage"
)

var updateMan = flag.Bool("update-man", false, "rewrite docs/man/roactl.1 from the --help texts")

// manPage is roactl(1): roactl --help, then every command's --help (from the
// command tables, so a new command is in it), as roactl prints them.
func manPage(t *testing.T) manpage.Page {
	help := func(args ...string) string {
		r := runCLI(nil, append(args, "--help")...)
		if r.code != 0 {
			t.Fatalf("roactl %v --help: exit %d", args, r.code)
		}
		return r.stdout
	}
	var names []string
	for name := range topCommands {
		names = append(names, name)
	}
	for g, subs := range groups {
		for sub := range subs {
			names = append(names, g+" "+sub)
		}
	}
	slices.Sort(names)
	var cmds []manpage.Sub
	for _, name := range names {
		cmds = append(cmds, manpage.Sub{Title: "roactl " + name, Text: help(strings.Fields(name)...)})
	}
	return manpage.Page{Name: "roactl", Section: 1, Summary: "the command-line client of road's REST API",
		Sections: []manpage.Section{
			{Title: "Description", Subs: []manpage.Sub{{Text: help()}}},
			{Title: "Commands", Subs: cmds},
			{Title: "Environment", Subs: []manpage.Sub{{Text: "ROAD_SERVER    road's API URL (--server)\n" +
				"ROAD_TOKEN     the bearer token (--token)\n" +
				"ROAD_DATA_DIR  without a token: read ROAD_DATA_DIR/admin.token instead of ./road-data/admin.token\n"}}},
			{Title: "See also", Subs: []manpage.Sub{{Text: "road(8); docs/contract.md, docs/operating.md\n"}}},
		}}
}

// TestManPage: docs/man/roactl.1 is the page the --help texts make now
// (go test ./cmd/roactl -run TestManPage -update-man rewrites it).
func TestManPage(t *testing.T) {
	var b bytes.Buffer
	if err := manPage(t).Write(&b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("..", "..", "docs", "man", "roactl.1")
	if *updateMan {
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is not the page of the current --help texts (%v); regenerate it: go test ./cmd/roactl -run TestManPage -update-man", p, err)
	}
}
