package main

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateValidate = flag.Bool("update-validate", false, "rewrite road validate golden files")

// The committed road publication of internal/rp's tests (issued
// 2026-03-01T12:00:00Z, manifests valid 24 h).
const (
	fixtureCache = "../../internal/rp/testdata/cache"
	fixtureTAL   = "../../internal/rp/testdata/road.tal"
	fixtureAt    = "2026-03-01T13:00:00Z"
)

func copyFixture(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(fixtureCache, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixtureCache, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func runValidate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"validate"}, args...), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *updateValidate {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestValidateJSONGolden(t *testing.T) {
	cache := copyFixture(t)
	code, out, errs := runValidate(t, "--tal", fixtureTAL, "--cache", cache, "--at", fixtureAt, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	goldenFile(t, "validate.json", out)
	if want := "7 VRPs (7 unique) from 7 ROAs, 2 CA certificates, 2 publication points; 0 rejected\n"; errs != want {
		t.Errorf("stderr %q, want %q", errs, want)
	}
}

func TestValidateCSVGolden(t *testing.T) {
	code, out, errs := runValidate(t, "--tal", fixtureTAL, "--cache", copyFixture(t), "--at", fixtureAt, "-o", "csv", "-q")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %q", code, errs)
	}
	goldenFile(t, "validate.csv", out)
}

// A ROA listed on the manifest but missing from the cache fails the CA's
// publication point (RFC 9286 §6.4): no VRPs, one rejection, exit 0 (the
// trust anchor itself validated).
func TestValidateRejectionsGolden(t *testing.T) {
	cache := copyFixture(t)
	if err := os.Remove(filepath.Join(cache, "127.0.0.1/repo/ca/192-0-2-0_24-24_AS64496.roa")); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runValidate(t, "--tal", fixtureTAL, "--cache", cache, "--at", fixtureAt)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	goldenFile(t, "validate-missing.json", out)
	goldenFile(t, "validate-missing.stderr", errs)
}

// With --manifest-state, a second run over the same cache is unchanged,
// and the state file records both publication points.
func TestValidateManifestState(t *testing.T) {
	cache := copyFixture(t)
	state := filepath.Join(t.TempDir(), "m.json")
	for i := 0; i < 2; i++ {
		code, out, errs := runValidate(t, "--tal", fixtureTAL, "--cache", cache, "--at", fixtureAt, "-o", "csv", "--manifest-state", state)
		if code != 0 || strings.Count(out, "\n") != 8 || !strings.HasSuffix(errs, "; 0 rejected\n") {
			t.Fatalf("run %d: exit %d %q %q", i, code, out, errs)
		}
	}
	b, err := os.ReadFile(state)
	if err != nil || strings.Count(string(b), `"number"`) != 2 {
		t.Errorf("state %s %v", b, err)
	}
}

func TestValidateStale(t *testing.T) {
	code, out, errs := runValidate(t, "--tal", fixtureTAL, "--cache", copyFixture(t), "--at", "2026-03-02T12:00:01Z", "-o", "csv")
	if code != 0 || out != "ASN,IP Prefix,Max Length,Trust Anchor,Expires\n" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	goldenFile(t, "validate-stale.stderr", errs)
}

func TestValidateUsage(t *testing.T) {
	cache := copyFixture(t)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"--cache", cache}, 2},
		{[]string{"--tal", fixtureTAL}, 2},
		{[]string{"--tal", fixtureTAL, "--cache", cache, "--at", "yesterday"}, 2},
		{[]string{"--tal", fixtureTAL, "--cache", cache, "-o", "xml"}, 2},
		{[]string{"--tal", fixtureTAL, "--cache", cache, "extra"}, 2},
		{[]string{"--tal", "/nonexistent.tal", "--cache", cache}, 1},
		{[]string{"--tal", fixtureTAL, "--cache", cache, "--tls-ca", "x.pem"}, 2}, // --tls-ca needs --fetch
		{[]string{"--tal", fixtureTAL, "--cache", cache, "--fetch", "--tls-ca", "/nonexistent.pem"}, 1},
		{[]string{"--tal", fixtureTAL, "--cache", cache, "--fetch", "--timeout", "0s"}, 2},
		{[]string{"--tal", fixtureTAL, "--cache", t.TempDir(), "--at", fixtureAt}, 1}, // no TA in the cache
	} {
		if code, _, errs := runValidate(t, c.args...); code != c.code {
			t.Errorf("%q: exit %d, want %d (%s)", c.args, code, c.code, errs)
		}
	}
}
