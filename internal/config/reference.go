package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The generated reference: docs/config.md and road.example.toml are made
// from the settings table by `go test ./internal/config -update`, and the
// test fails when they differ from it, so the documentation cannot drift.

const generatedNote = "generated from the settings table in internal/config/settings.go by `go test ./internal/config -update`; do not edit"

// ReferenceMarkdown is docs/config.md: every setting with its TOML key,
// flag, environment variable, default and meaning.
func ReferenceMarkdown() []byte {
	var b strings.Builder
	b.WriteString("# road configuration reference\n\n<!-- " + generatedNote + " -->\n\n")
	b.WriteString("Every setting of `road serve`. Precedence, lowest first: the default, the TOML file given\n" +
		"with `--config`, the environment, the flag. Unknown keys in the file are an error (exit 2).\n" +
		"`road.example.toml` at the top of the repository is the same list as a commented file.\n" +
		"Every duration, here and in `road rtr`, is Go syntax (`90s`, `15m`, `1h30m`) or a bare integer number\n" +
		"of seconds (`3600`); in the file a string or an integer.\n")
	for _, sec := range sections() {
		title := "Top-level keys"
		if sec.name != "" {
			title = "`[" + sec.name + "]`"
		}
		b.WriteString("\n## " + title + "\n\n| key | flag | default | meaning |\n|---|---|---|---|\n")
		for _, s := range sec.rows {
			flagCol := ""
			if s.flag != "" {
				flagCol = "`--" + s.flag + "`"
				if s.arg != "" {
					flagCol = "`--" + s.flag + " " + s.arg + "`"
				}
			}
			if s.env != "" {
				flagCol += ", env `" + s.env + "`"
			}
			key := "`" + strings.TrimPrefix(s.key, sec.name+".") + "`"
			if s.key == "" {
				key = "(flag only)"
			}
			def := "none"
			switch {
			case s.def != "":
				def = "`" + s.def + "`"
			case s.derived != "":
				def = s.derived
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", key, flagCol, def, strings.ReplaceAll(s.help, "|", `\|`))
		}
	}
	b.WriteString("\n## `road rtr` (standalone RTR cache, flags only)\n\n| flag | default | meaning |\n|---|---|---|\n")
	for _, s := range rtrCacheSettings() {
		def := "none"
		if s.def != "" {
			def = "`" + s.def + "`"
		}
		flag := strings.ReplaceAll(strings.TrimSpace(dashed(s.flag)+" "+s.arg), "|", `\|`)
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", flag, def, strings.ReplaceAll(s.help, "|", `\|`))
	}
	return []byte(b.String())
}

// ExampleTOML is road.example.toml: every key with its default, or, for a
// setting that is off by default, commented out with an example value.
func ExampleTOML() []byte {
	var b strings.Builder
	b.WriteString("# road.example.toml: every key of road's config file (road --config FILE).\n# " +
		generatedNote + ".\n# Values shown are the defaults; commented-out keys are off by default.\n" +
		"# Durations: Go syntax (\"90s\", \"15m\", \"1h30m\") or an integer number of seconds (3600).\n")
	for _, sec := range sections() {
		if sec.name != "" {
			b.WriteString("\n[" + sec.name + "]\n")
		}
		for _, s := range sec.rows {
			if s.key != "" {
				writeExample(&b, s, strings.TrimPrefix(s.key, sec.name+"."))
			}
		}
	}
	return []byte(b.String())
}

func writeExample(b *strings.Builder, s setting[Config], key string) {
	b.WriteString("\n# " + s.help)
	if s.flag != "" {
		b.WriteString(" (--" + s.flag + ")")
	}
	b.WriteString("\n")
	v, prefix := s.def, ""
	if v == "" {
		v, prefix = s.example, "# "
	}
	b.WriteString(prefix + key + " = " + tomlValue(s, v) + "\n")
}

// tomlValue writes text (flag syntax) as the TOML value the key takes.
func tomlValue(s setting[Config], text string) string {
	switch s.toml {
	case tomlNumber, tomlBool:
		return text
	case tomlTables:
		return waveInline(text)
	case tomlStrings, tomlASNs:
		var q []string
		for _, v := range s.split([]string{text}) {
			q = append(q, strconv.Quote(v))
		}
		return "[" + strings.Join(q, ", ") + "]"
	default:
		return strconv.Quote(text)
	}
}

type sectionRows struct {
	name string
	rows []setting[Config]
}

// sections groups the table's keyed rows by TOML table, top-level first,
// then the tables in the order they first appear; flag-only rows go with
// the top level in the markdown.
func sections() []sectionRows {
	var out []sectionRows
	out = append(out, sectionRows{})
	for _, s := range settings() {
		name := section(s.key)
		i := slices.IndexFunc(out, func(r sectionRows) bool { return r.name == name })
		if i < 0 {
			out = append(out, sectionRows{name: name})
			i = len(out) - 1
		}
		out[i].rows = append(out[i].rows, s)
	}
	return out
}
