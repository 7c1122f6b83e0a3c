package testshared

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a helper ended the test.
type recorder struct {
	testing.TB
	ended string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.ended = "fatal"
	panic(r)
}
func (r *recorder) Skipf(format string, args ...any) {
	r.ended = "skip"
	panic(r)
}

func run(tb testing.TB, f func(testing.TB)) (ended string) {
	r := &recorder{TB: tb}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		ended = r.ended
	}()
	f(r)
	return "ok"
}

func TestFound(t *testing.T) {
	d := Dir(t)
	if filepath.Base(d) != "shared" {
		t.Fatalf("Dir %q", d)
	}
	p := Corpus(t, "bgpdump/test_data")
	if !strings.HasPrefix(p, d+string(filepath.Separator)+"corpus") {
		t.Fatalf("Corpus %q", p)
	}
	if p := Peers(t, "trixie.sh"); filepath.Base(p) != "trixie.sh" {
		t.Fatalf("Peers %q", p)
	}
	if p, ok := Lookup("peers/trixie.sh"); !ok || p != filepath.Join(d, "peers", "trixie.sh") {
		t.Fatalf("Lookup %q %v", p, ok)
	}
	if _, ok := Lookup("peers/none.sh"); ok {
		t.Fatal("Lookup found a missing file")
	}
}

// TestMissing: a missing file skips, or fails under CI=true; outside any
// checkout with shared/ beside it, Dir does the same.
func TestMissing(t *testing.T) {
	for ci, want := range map[string]string{"": "skip", "false": "skip", "true": "fatal"} {
		t.Setenv("CI", ci)
		if got := run(t, func(tb testing.TB) { Corpus(tb, "no/such/file") }); got != want {
			t.Errorf("CI=%q corpus file: %s, want %s", ci, got, want)
		}
		if got := run(t, func(tb testing.TB) { Peers(tb, "nothing.sh") }); got != want {
			t.Errorf("CI=%q peers file: %s, want %s", ci, got, want)
		}
	}
	t.Chdir(os.TempDir())
	t.Setenv("CI", "true")
	if got := run(t, func(tb testing.TB) { Dir(tb) }); got != "fatal" {
		t.Errorf("no shared dir under CI=true: %s", got)
	}
	t.Setenv("CI", "")
	if got := run(t, func(tb testing.TB) { Dir(tb) }); got != "skip" {
		t.Errorf("no shared dir: %s", got)
	}
}
