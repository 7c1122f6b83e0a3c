package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/manpage"
)

var updateMan = flag.Bool("update-man", false, "rewrite docs/man/road.8 from the --help texts")

// manPage is road(8): the commands as road help lists them, then the --help
// of every subcommand of the table but serve, whose flags are the settings
// table's (docs/config.md; left out so a new setting does not stale the page).
func manPage(t *testing.T) manpage.Page {
	help := func(args ...string) string {
		code, out, _ := runRoad(args...)
		if code != 0 {
			t.Fatalf("road %v: exit %d", args, code)
		}
		return out
	}
	var commands bytes.Buffer
	writeCommands(&commands)
	if !strings.HasPrefix(help("help"), commands.String()) {
		t.Fatal("road help does not start with the commands")
	}
	var cmds []manpage.Sub
	for _, s := range subcommands() {
		if s.name != "serve" && s.name != "help" { // their text is the description
			cmds = append(cmds, manpage.Sub{Title: "road " + s.name, Text: help(s.name, "--help")})
		}
	}
	return manpage.Page{Name: "road", Section: 8, Summary: "RPKI CA, RRDP/rsync publication, relying party and RTR server",
		Sections: []manpage.Section{
			{Title: "Description", Subs: []manpage.Sub{{Text: commands.String() +
				"\nThe flags of road serve (most are also keys of the TOML file given with --config):\n" +
				"road serve --help, or docs/config.md.\n"}}},
			{Title: "Commands", Subs: cmds},
			{Title: "Files", Subs: []manpage.Sub{{Text: "DATA_DIR/road.db      SQLite: CA keys, ROAs, intents, history (back it up)\n" +
				"DATA_DIR/road.tal     the TAL to give relying parties\n" +
				"DATA_DIR/admin.token  the REST API's admin bearer token\n" +
				"DATA_DIR/rrdp/        RRDP files; DATA_DIR/rsync/current/: the rsync tree\n"}}},
			{Title: "See also", Subs: []manpage.Sub{{Text: "roactl(1); docs/contract.md, docs/config.md, docs/operating.md\n"}}},
		}}
}

// TestManPage: docs/man/road.8 is the page the --help texts make now
// (go test ./cmd/road -run TestManPage -update-man rewrites it).
func TestManPage(t *testing.T) {
	var b bytes.Buffer
	if err := manPage(t).Write(&b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("..", "..", "docs", "man", "road.8")
	if *updateMan {
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is not the page of the current --help texts (%v); regenerate it: go test ./cmd/road -run TestManPage -update-man", p, err)
	}
}
