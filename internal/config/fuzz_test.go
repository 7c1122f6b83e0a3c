package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfigFile: any file either parses into a valid config or fails with
// ErrUsage; it never panics.
func FuzzConfigFile(f *testing.F) {
	f.Add(fullFile)
	f.Add("rtr = \"127.0.0.1:1\"\n")
	f.Add("[rtr]\nrefresh = -1\n")
	f.Add("asns = [1, \"AS2-AS3\", 1.5]\n")
	f.Add("[bgp]\nasn = true\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(dir, "road.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Parse([]string{"--config", p}, nil)
		if err != nil {
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("error %v does not wrap ErrUsage", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse returned a config that fails Validate: %v", err)
		}
	})
}

// FuzzPeer: the ASN@ADDRESS parser round-trips what it accepts.
func FuzzPeer(f *testing.F) {
	for _, s := range []string{"64501@127.0.0.1", "AS1@::1", "@", "1@[::1]", "4294967296@1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePeer(s)
		if err != nil {
			return
		}
		q, err := parsePeer(p.String())
		if err != nil || q != p {
			t.Fatalf("%q -> %v -> %v, %v", s, p, q, err)
		}
	})
}
