package testpeers

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"testing"
)

// Stable reason codes of the errors returned by this package.
var (
	ErrTimeout = errors.New("peer-timeout")       // the peer did not reach the wanted state in time
	ErrParse   = errors.New("peer-bad-output")    // a peer's output did not have the documented format
	ErrFailed  = errors.New("peer-failed")        // a peer exited non-zero or reported failure
	ErrNoMatch = errors.New("peer-table-differs") // WaitFor ended with a different table
)

// Require skips the test when one of the tools is not on PATH, and fails it
// instead when CI=true (CI must install them: scripts/install-test-deps.sh).
func Require(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("testpeers: missing tools %v (CI=true; run scripts/install-test-deps.sh)", missing)
		return
	}
	t.Skipf("testpeers: missing tools %v", missing)
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago. The
// port is released before returning, so another process could take it; the
// start helpers fail loudly if that happens.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testpeers: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
