// Package manpage writes a man page (roff, man macros) whose sections are
// plain text shown as written: road's and roactl's pages are their --help
// texts, so the pages cannot drift from what the binaries print.
package manpage

import (
	"fmt"
	"io"
	"strings"
)

// Page is one man page.
type Page struct {
	Name     string // program name, e.g. "roactl"
	Section  int    // 1 user commands, 8 system administration
	Summary  string // one line for NAME
	Sections []Section
}

// Section is a heading (.SH) with subsections (.SS) of preformatted text;
// a Sub with an empty Title is text directly under the heading.
type Section struct {
	Title string
	Subs  []Sub
}

// Sub is a subsection.
type Sub struct {
	Title string
	Text  string
}

// Write writes p as roff. The text is set unfilled (.nf), so every line
// stays as the program prints it.
func (p Page) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s %d \"\" \"ROAd\"\n", strings.ToUpper(p.Name), p.Section)
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", p.Name, escape(p.Summary))
	for _, s := range p.Sections {
		fmt.Fprintf(&b, ".SH %s\n", quote(strings.ToUpper(s.Title)))
		for _, sub := range s.Subs {
			if sub.Title != "" {
				fmt.Fprintf(&b, ".SS %s\n", quote(sub.Title))
			}
			b.WriteString(".nf\n")
			for _, line := range strings.Split(strings.TrimRight(sub.Text, "\n"), "\n") {
				b.WriteString(escape(line) + "\n")
			}
			b.WriteString(".fi\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escape makes one line of text literal for roff: backslashes are \e, and
// a line that starts with a control character (. or ') is guarded by \&.
func escape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// quote is a macro argument: in double quotes, with " doubled (groff).
func quote(s string) string {
	return `"` + strings.ReplaceAll(escape(s), `"`, `""`) + `"`
}
