package testpeers

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StartRsyncd serves dir read-only as rsync://127.0.0.1:PORT/module/ with
// `rsync --daemon --no-detach` and returns PORT. dir is used as given (made
// absolute, symlinks NOT resolved): the daemon changes into it per
// connection, so a publisher that swaps a symlink atomically is followed.
// The daemon is killed in t.Cleanup.
func StartRsyncd(t testing.TB, dir, module string) (port int) {
	t.Helper()
	Require(t, "rsync")
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("testpeers: rsyncd dir: %v", err)
	}
	if module == "" || strings.ContainsAny(module, "[]/\n ") {
		t.Fatalf("testpeers: rsyncd: bad module name %q", module)
	}
	state := t.TempDir()
	port = FreePort(t)
	var conf strings.Builder
	conf.WriteString("use chroot = no\n")
	fmt.Fprintf(&conf, "log file = %s\n", filepath.Join(state, "rsyncd.log"))
	if os.Geteuid() == 0 {
		// As root the daemon would otherwise switch to nobody, who may not
		// read a test's 0700 temp dirs.
		conf.WriteString("uid = root\ngid = root\n")
	}
	fmt.Fprintf(&conf, "[%s]\n  path = %s\n  read only = yes\n", module, abs)
	confPath := filepath.Join(state, "rsyncd.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		t.Fatalf("testpeers: rsyncd config: %v", err)
	}
	p := startProcess(t, filepath.Join(state, "stdout.log"), nil, "rsync",
		"--daemon", "--no-detach", "--config="+confPath, "--address=127.0.0.1", "--port="+strconv.Itoa(port))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitListening(ctx, p, "127.0.0.1", port); err != nil {
		t.Fatalf("testpeers: rsyncd: %v\n%s", err, p.tail(2000))
	}
	return port
}

// waitListening waits until host:port accepts TCP connections, failing early
// if p exits.
func waitListening(ctx context.Context, p *process, host string, port int) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	return poll(ctx, 50*time.Millisecond, func() (bool, error) {
		if p != nil && p.exited() {
			return false, fmt.Errorf("%w: %s exited before listening on %s: %v", ErrFailed, p.name, addr, p.err)
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, nil
		}
		c.Close()
		return true, nil
	})
}
