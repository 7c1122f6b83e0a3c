package manpage

import (
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	p := Page{Name: "roactl", Section: 1, Summary: "the CLI of road",
		Sections: []Section{
			{Title: "Synopsis", Subs: []Sub{{Text: "roactl [--server URL] COMMAND\n"}}},
			{Title: "Commands", Subs: []Sub{{Title: `roactl roa add "ROA"`, Text: ".dot first\n'quote first\nback\\slash\n\n  indented"}}},
		}}
	var b strings.Builder
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `.TH ROACTL 1 "" "ROAd"
.SH NAME
roactl \- the CLI of road
.SH "SYNOPSIS"
.nf
roactl [--server URL] COMMAND
.fi
.SH "COMMANDS"
.SS "roactl roa add ""ROA"""
.nf
\&.dot first
\&'quote first
back\eslash

  indented
.fi
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}
