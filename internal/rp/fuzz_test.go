package rp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzSplitRsyncURI: an accepted URI maps to a relative path without
// empty, "." or ".." segments, so no URI reaches outside the cache.
func FuzzSplitRsyncURI(f *testing.F) {
	for _, s := range []string{"rsync://127.0.0.1:8873/repo/ca/x.roa", "rsync://h/m/", "rsync://h/m/../../etc/passwd",
		"rsync://h//x", "rsync://h/m/./a", "rsync://h\\x/m/a", "rsync://[::1]:873/m/a.cer", "https://h/m/a", "rsync://h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		rel, err := splitRsyncURI(uri)
		if err != nil {
			if ReasonOf(err) != ReasonBadURI {
				t.Fatalf("%q: %v", uri, err)
			}
			return
		}
		if !strings.HasPrefix(uri, "rsync://") || filepath.IsAbs(rel) {
			t.Fatalf("%q accepted as %q", uri, rel)
		}
		for _, s := range strings.Split(strings.TrimSuffix(rel, "/"), "/") {
			if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "\\\x00") {
				t.Fatalf("%q accepted with segment %q", uri, s)
			}
		}
		if p := filepath.Join("/cache", rel); !strings.HasPrefix(p, "/cache/") {
			t.Fatalf("%q leaves the cache: %s", uri, p)
		}
	})
}

// FuzzRepositoryFile replaces one file of the fixture repository (chosen
// by the input) with fuzzed bytes: validation must not panic, must finish,
// and may only lose VRPs, never gain or alter one.
func FuzzRepositoryFile(f *testing.F) {
	var files []string
	filepath.WalkDir(fixtureCache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)
	if len(files) == 0 {
		f.Skip("no fixture")
	}
	for i, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(uint8(i), b)
		if len(b) > 10 {
			c := slices.Clone(b)
			c[len(c)/2] ^= 0xff
			f.Add(uint8(i), c)
			f.Add(uint8(i), b[:len(b)/2])
		}
	}
	tal, err := LoadTAL(fixtureTAL)
	if err != nil {
		f.Fatal(err)
	}
	at := fixedClock(t0.Add(time.Hour))
	base, err := Validate(f.Context(), Options{Cache: fixtureCache, Clock: at}, []TAL{tal})
	if err != nil {
		f.Fatal(err)
	}
	want := base.Set()
	cache := f.TempDir()
	copyTree(f, fixtureCache, cache)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		rel, _ := filepath.Rel(fixtureCache, files[int(which)%len(files)])
		p := filepath.Join(cache, rel)
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(p, orig, 0o644)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Validate(t.Context(), Options{Cache: cache, Clock: at}, []TAL{tal})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.Set() {
			if !want.Contains(v) {
				t.Fatalf("VRP %v appeared", v)
			}
		}
		for _, x := range res.Rejected {
			if x.Reason == "" {
				t.Fatalf("rejection without reason: %+v", x)
			}
		}
	})
}
