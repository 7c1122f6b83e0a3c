// Package testshared finds, for tests, the project's shared folder: the
// directory "shared" beside the checkout (../shared from the module root),
// holding the corpus of real RPKI and BGP data and the peer recipes. It is
// the one place that decides what a test does when that folder or a file
// in it is missing: skip, or fail when CI=true (CI always has it, and a
// skipped real-data test proves nothing). It imports nothing of the
// project, so the tests of every package may use it, those of the packages
// internal/testpeers itself imports included.
package testshared

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared folder, found by walking up from the test's
// directory to the first parent holding shared/corpus.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d, ok := find(); ok {
		return d
	}
	Missing(tb, "testshared: ../shared (corpus and peer recipes) not found beside the checkout")
	return ""
}

// Corpus returns the path of rel (slash-separated) below shared/corpus; it
// must exist.
func Corpus(tb testing.TB, rel string) string {
	tb.Helper()
	return below(tb, "corpus", rel)
}

// Peers returns the path of rel below shared/peers; it must exist.
func Peers(tb testing.TB, rel string) string {
	tb.Helper()
	return below(tb, "peers", rel)
}

// Lookup returns the path of rel below the shared folder and whether it
// is there, for a test that does part of its work without it; under
// CI=true such a test must still call Dir, Corpus or Peers.
func Lookup(rel string) (string, bool) {
	d, ok := find()
	if !ok {
		return "", false
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	_, err := os.Stat(p)
	return p, err == nil
}

// Missing ends a test that lacks something from the shared folder: a
// skip, or a failure when CI=true.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format+" (CI=true)", args...)
	}
	tb.Skipf(format, args...)
}

func below(tb testing.TB, dir, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(tb), dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		Missing(tb, "testshared: %s file missing: %v", dir, err)
	}
	return p
}

func find() (string, bool) {
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
