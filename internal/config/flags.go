package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagText collects what one flag was given; every occurrence is kept so
// repeatable flags (--bgp-peer) see them all and the others take the last.
type flagText []string

func (f *flagText) String() string     { return strings.Join(*f, ",") }
func (f *flagText) Set(s string) error { *f = append(*f, s); return nil }

// boolText is a flagText that the flag package lets stand without a value.
type boolText struct{ *flagText }

func (boolText) IsBoolFlag() bool { return true }

// givenFlag is one flag of the command line with its row.
type givenFlag[T any] struct {
	row  *setting[T]
	text []string
}

// parseFlags parses args against the table's flags and returns the given
// ones in table order (the order they apply in).
func parseFlags[T any](table []setting[T], args []string) ([]givenFlag[T], error) {
	fs := flag.NewFlagSet("road", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	texts := make([]flagText, len(table))
	for i := range table {
		switch {
		case table[i].flag == "":
		case table[i].boolean:
			fs.Var(boolText{&texts[i]}, table[i].flag, table[i].help)
		default:
			fs.Var(&texts[i], table[i].flag, table[i].help)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, usageErr("unexpected argument %q", fs.Arg(0))
	}
	var out []givenFlag[T]
	for i := range table {
		if len(texts[i]) > 0 {
			out = append(out, givenFlag[T]{row: &table[i], text: texts[i]})
		}
	}
	return out, nil
}

// apply sets the flag's destination.
func (g givenFlag[T]) apply(c *T) error {
	if err := g.row.set(c, g.row.split(g.text)); err != nil {
		return usageErr("--%s: %v", g.row.flag, err)
	}
	return nil
}

// Usage writes the flags of the daemon to w, from the settings table.
func Usage(w io.Writer) {
	writeUsage(w, settings())
	io.WriteString(w, "\nSettings without a flag live in the config file; see docs/config.md.\n")
}

func writeUsage[T any](w io.Writer, table []setting[T]) {
	var b strings.Builder
	for _, s := range table {
		if s.flag == "" {
			continue
		}
		fmt.Fprintf(&b, "  %s", dashed(s.flag))
		if s.arg != "" {
			b.WriteString(" " + s.arg)
		}
		fmt.Fprintf(&b, "\n    \t%s", s.help)
		if s.env != "" {
			fmt.Fprintf(&b, " (env %s)", s.env)
		}
		if s.key != "" {
			fmt.Fprintf(&b, " [config: %s]", s.key)
		}
		if s.def != "" {
			fmt.Fprintf(&b, " (default %q)", s.def)
		} else if s.derived != "" {
			fmt.Fprintf(&b, " (default %s)", s.derived)
		}
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

// dashed writes a flag as users type it: -v, --data-dir.
func dashed(flag string) string {
	if len(flag) == 1 {
		return "-" + flag
	}
	return "--" + flag
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
