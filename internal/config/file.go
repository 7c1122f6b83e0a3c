package config

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// maxFileSize bounds the config file read into memory.
const maxFileSize = 1 << 20

// loadFile applies the TOML file at path onto c, key by key through the
// settings table; a key the table does not have is an error.
func loadFile(c *Config, table []setting[Config], path string) error {
	data, err := readBounded(path)
	if err != nil {
		return usageErr("--config: %v", err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return usageErr("%s: %v", path, err)
	}
	found, unknown, err := flatten(table, doc)
	if err != nil {
		return usageErr("%s: %v", path, err)
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return usageErr("%s: unknown key %s", path, strings.Join(unknown, ", "))
	}
	for i := range table {
		s := &table[i]
		v, ok := found[s.key]
		if !ok || s.key == "" {
			continue
		}
		vs, err := s.toml.values(v)
		if err == nil {
			err = s.set(c, vs)
		}
		if err != nil {
			return usageErr("%s: %s: %v", path, s.key, err)
		}
	}
	return nil
}

// flatten maps the decoded document onto the table's dotted keys.
func flatten(table []setting[Config], doc map[string]any) (found map[string]any, unknown []string, err error) {
	keys := map[string]bool{}
	sections := map[string]bool{}
	aliases := map[string]string{}
	for _, s := range table {
		if s.key != "" {
			keys[s.key] = true
			sections[section(s.key)] = true
		}
		if s.alias != "" {
			aliases[s.alias] = s.key
		}
	}
	found = map[string]any{}
	for k, v := range doc {
		tbl, isTable := v.(map[string]any)
		switch {
		case keys[k]:
			found[k] = v
		case aliases[k] != "" && !isTable:
			if _, ok := v.(string); !ok {
				return nil, nil, fmt.Errorf("%s must be an address string or a table", k)
			}
			found[aliases[k]] = v
		case sections[k] && isTable:
			for sk, sv := range tbl {
				if keys[k+"."+sk] {
					found[k+"."+sk] = sv
				} else {
					unknown = append(unknown, k+"."+sk)
				}
			}
		default:
			unknown = append(unknown, k)
		}
	}
	return found, unknown, nil
}

func readBounded(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	buf := make([]byte, st.Size())
	if _, err := fh.ReadAt(buf, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return buf, nil
}
