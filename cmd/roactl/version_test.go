package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/buildinfo"
)

// TestVersion: roactl version needs no server or token and prints what the
// binary records (internal/buildinfo tests the text of every case).
func TestVersion(t *testing.T) {
	bi := buildinfo.Read("roactl")
	var want bytes.Buffer
	bi.WriteText(&want)
	r := runCLI(nil, "version")
	expect(t, r, 0, want.String())
	if !strings.HasPrefix(r.stdout, "roactl ") || !strings.HasSuffix(r.stdout, "\ngo "+runtime.Version()+"\n") {
		t.Fatalf("version text: %q", r.stdout)
	}
	r = runCLI(nil, "version", "-o", "json")
	var got buildinfo.Info
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got != bi {
		t.Fatalf("-o json: %+v, decoded %+v, want %+v", r, got, bi)
	}
	for _, key := range []string{`"program": "roactl"`, `"version": `, `"modified": `, `"go": "` + runtime.Version() + `"`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("-o json lacks %s: %s", key, r.stdout)
		}
	}
	if r := runCLI(nil, "version", "extra"); r.code != 2 {
		t.Fatalf("version extra: %+v", r)
	}
}
