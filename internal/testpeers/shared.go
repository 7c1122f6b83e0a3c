package testpeers

import (
	"os"
	"os/exec"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

// SharedDir returns the project's shared/ folder: testshared.Dir (skip
// when missing, fail under CI=true).
func SharedDir(t testing.TB) string {
	t.Helper()
	return testshared.Dir(t)
}

// Corpus returns the path of rel below shared/corpus: testshared.Corpus.
func Corpus(t testing.TB, rel string) string {
	t.Helper()
	return testshared.Corpus(t, rel)
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
		testshared.Missing(t, "testpeers: the Debian 13 peers are not set up (run %s setup)", script)
	}
	return func(args ...string) *exec.Cmd {
		return exec.Command("bash", append([]string{script, "run"}, args...)...)
	}
}
