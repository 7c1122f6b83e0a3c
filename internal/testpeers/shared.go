package testpeers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SharedDir returns the project's shared/ folder (the corpus, the peer
// recipes), found beside the checkout by walking up from the test's
// directory. When it is missing the test is skipped, or fails when
// CI=true: CI always has it, and a skipped real-data test proves nothing.
func SharedDir(t testing.TB) string {
	t.Helper()
	if d, ok := findShared(); ok {
		return d
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("testpeers: ../shared (corpus and peer recipes) not found beside the checkout (CI=true)")
	}
	t.Skip("testpeers: ../shared not found beside the checkout")
	return ""
}

// Corpus returns the path of rel below shared/corpus, with SharedDir's
// rules for a missing corpus.
func Corpus(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(SharedDir(t), "corpus", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testpeers: corpus file missing (CI=true): %v", err)
		}
		t.Skipf("testpeers: corpus file missing: %v", err)
	}
	return p
}

func findShared() (string, bool) {
	d, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		c := filepath.Join(d, "shared")
		if st, err := os.Stat(filepath.Join(c, "corpus")); err == nil && st.IsDir() {
			return c, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// trixieReady is the marker ../shared/peers/trixie.sh setup leaves.
const trixieReady = "/var/lib/road-peers/trixie/.road-peers-ready"

// Trixie returns a function that builds a command running inside the
// Debian 13 chroot of shared/peers/trixie.sh (rpki-client 9.5, FORT 1.6.8,
// BIRD 2.17, StayRTR 0.6.2). The chroot shares /tmp and the loopback
// network. Missing chroot: skip, or fail when CI=true
// (scripts/install-test-deps.sh sets it up).
func Trixie(t testing.TB) func(args ...string) *exec.Cmd {
	t.Helper()
	script := TrixieScript(t)
	if _, err := os.Stat(trixieReady); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testpeers: the Debian 13 peers are not set up (CI=true; run %s setup)", script)
		}
		t.Skipf("testpeers: the Debian 13 peers are not set up (run %s setup)", script)
	}
	return func(args ...string) *exec.Cmd {
		return exec.Command("bash", append([]string{script, "run"}, args...)...)
	}
}
