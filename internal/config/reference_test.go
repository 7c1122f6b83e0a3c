package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/BurntSushi/toml"
)

var update = flag.Bool("update", false, "rewrite docs/config.md and road.example.toml from the settings table")

// TestReference: the generated reference matches the table.
func TestReference(t *testing.T) {
	for _, f := range []struct {
		path string
		want []byte
	}{
		{filepath.Join("..", "..", "docs", "config.md"), ReferenceMarkdown()},
		{filepath.Join("..", "..", "road.example.toml"), ExampleTOML()},
	} {
		if *update {
			if err := os.WriteFile(f.path, f.want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f.path)
		if err != nil || !bytes.Equal(got, f.want) {
			t.Errorf("%s does not match the settings table (%v); regenerate it: go test ./internal/config -run TestReference -update", f.path, err)
		}
	}
}

// TestExampleIsDefault: the example file is a valid config that changes
// nothing, so its values are the real defaults.
func TestExampleIsDefault(t *testing.T) {
	p := filepath.Join("..", "..", "road.example.toml")
	c, err := Parse([]string{"--config", p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.ConfigFile = ""
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("road.example.toml gives\n%+v\nnot the defaults\n%+v", c, Default())
	}
}

// TestTable: every row is reachable and documented.
func TestTable(t *testing.T) {
	flags, keys := map[string]bool{}, map[string]bool{}
	for _, s := range settings() {
		if s.flag == "" && s.key == "" || s.help == "" || s.set == nil {
			t.Errorf("row %+v lacks a flag or key, help or setter", s)
		}
		if flags[s.flag] && s.flag != "" || keys[s.key] && s.key != "" {
			t.Errorf("%s given twice", s.label())
		}
		flags[s.flag], keys[s.key] = true, true
		if s.key != "" && s.def == "" && s.example == "" {
			t.Errorf("%s: off by default but no example value for road.example.toml", s.label())
		}
		if s.example != "" {
			c := Default()
			vs, err := s.toml.values(exampleValue(t, s))
			if err == nil {
				err = s.set(c, vs)
			}
			if err != nil {
				t.Errorf("%s: example %q: %v", s.label(), s.example, err)
			}
		}
	}
}

// exampleValue decodes a row's example as the TOML file would hold it.
func exampleValue(t *testing.T, s setting[Config]) any {
	t.Helper()
	switch s.toml {
	case tomlStrings, tomlASNs:
		var out []any
		for _, v := range s.split([]string{s.example}) {
			out = append(out, v)
		}
		return out
	case tomlTables:
		var doc map[string]any
		if _, err := toml.Decode("v = "+tomlValue(s, s.example), &doc); err != nil {
			t.Fatal(err)
		}
		return doc["v"]
	default:
		return s.example
	}
}
