package testpeers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// syncTimeout bounds how long a client may take for its first full sync.
const syncTimeout = 60 * time.Second

// RTRSession is an RTR client that stays connected, so a test can observe
// incremental updates (Serial Notify → Serial Query → delta).
type RTRSession interface {
	// Table returns the client's current table, sorted and unique. It first
	// waits (up to 60 s) for the client's first End of Data.
	Table() ([]vrp.VRP, error)
	// WaitFor polls Table until it equals want (any order) or ctx ends; the
	// error (ErrNoMatch) then lists what was missing and extra.
	WaitFor(ctx context.Context, want []vrp.VRP) error
	// Close stops the client. Also done in t.Cleanup.
	Close()
}

// StartStayRTR starts stayrtr on 127.0.0.1:port serving the VRP JSON file at
// path vrpsJSON (re-read every -refresh seconds; pass "-refresh", "1" to see
// file changes quickly), with -checktime=false and metrics on a free
// 127.0.0.1 port. It waits until the file is loaded (or refused) and the port
// listens, and returns stayrtr's PID. A "-bind", "[::1]:PORT" flag moves the
// listener (it must stay on loopback). Killed in t.Cleanup.
func StartStayRTR(t testing.TB, vrpsJSON string, port int, flags ...string) (pid int) {
	t.Helper()
	Require(t, "stayrtr")
	abs, err := filepath.Abs(vrpsJSON)
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	args := []string{"-bind", "127.0.0.1:" + strconv.Itoa(port),
		"-metrics.addr", "127.0.0.1:" + strconv.Itoa(FreePort(t)),
		"-cache", abs, "-checktime=false", "-refresh", "3600"}
	args = append(args, flags...) // later flags win (Go flag package)
	bindHost, bindPort := "127.0.0.1", port
	if b := lastFlagValue(flags, "bind"); b != "" {
		h, ps, err := net.SplitHostPort(b)
		n, perr := strconv.Atoi(ps)
		if err != nil || perr != nil || !isLoopbackHost(h) {
			t.Fatalf("testpeers: stayrtr -bind %q: want a loopback host:port", b)
		}
		bindHost, bindPort = h, n
	}
	p := startProcess(t, filepath.Join(t.TempDir(), "stayrtr.log"), nil, "stayrtr", args...)
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	err = poll(ctx, 50*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("%w: stayrtr exited: %v", ErrFailed, p.err)
		}
		l := p.log()
		return strings.Contains(l, "Updated added") || strings.Contains(l, "level=error"), nil
	})
	if err == nil {
		err = waitListening(ctx, p, bindHost, bindPort)
	}
	if err != nil {
		t.Fatalf("testpeers: stayrtr: %v\n%s", err, p.tail(4000))
	}
	return p.cmd.Process.Pid
}

// lastFlagValue returns the value of the last -name/--name flag in Go flag
// syntax ("-name v" or "-name=v"), or "".
func lastFlagValue(flags []string, name string) string {
	v := ""
	for i, f := range flags {
		f = strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-")
		if f == name && i+1 < len(flags) {
			v = flags[i+1]
		} else if val, ok := strings.CutPrefix(f, name+"="); ok {
			v = val
		}
	}
	return v
}

// RTRDump runs `rtrdump -connect ADDR -rtr.version V -file out.json` (one
// Reset Query, exits after End of Data) and returns the table. addr is
// "127.0.0.1:323" or "[::1]:323". Beware: version 2 against a v0/v1-only
// cache (FORT) makes rtrdump downgrade and end with an EMPTY table; use 1.
func RTRDump(t testing.TB, addr string, version int) ([]vrp.VRP, error) {
	t.Helper()
	Require(t, "rtrdump")
	out := filepath.Join(t.TempDir(), "rtrdump.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*syncTimeout)
	defer cancel()
	res, err := runCommand(ctx, nil, "rtrdump", "-connect", addr, "-rtr.version", strconv.Itoa(version), "-file", out)
	if err != nil {
		return nil, fmt.Errorf("rtrdump: %w\n%s", err, tailString(string(res.output), 2000))
	}
	if res.exitCode != 0 {
		return nil, fmt.Errorf("%w: rtrdump exited %d\n%s", ErrFailed, res.exitCode, tailString(string(res.output), 2000))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("%w: rtrdump wrote no file: %v\n%s", ErrFailed, err, tailString(string(res.output), 2000))
	}
	s, err := ParseVRPJSON(b)
	if err != nil {
		return nil, fmt.Errorf("rtrdump: %w", err)
	}
	return []vrp.VRP(s), nil
}

// waitForTable polls table until it returns want. Parse errors and dead
// clients end the wait at once.
func waitForTable(ctx context.Context, table func(context.Context) ([]vrp.VRP, error), want []vrp.VRP) error {
	wantSet := vrp.NewSet(slices.Clone(want))
	var last []vrp.VRP
	var lastErr error
	err := poll(ctx, 200*time.Millisecond, func() (bool, error) {
		got, err := table(ctx)
		if errors.Is(err, ErrParse) || errors.Is(err, ErrFailed) {
			return false, err
		}
		if err != nil {
			lastErr = err
			return false, nil
		}
		last, lastErr = got, nil
		return slices.Equal(got, []vrp.VRP(wantSet)), nil
	})
	if err == nil || !errors.Is(err, ErrTimeout) {
		return err
	}
	if lastErr != nil {
		return fmt.Errorf("%w: %v (last error: %v)", ErrNoMatch, err, lastErr)
	}
	missing, extra := wantSet.Diff(vrp.NewSet(last))
	return fmt.Errorf("%w: have %d VRPs, want %d; missing %s; extra %s", ErrNoMatch, len(last), len(wantSet), firstVRPs(missing), firstVRPs(extra))
}

// firstVRPs formats up to 5 VRPs for an error message.
func firstVRPs(vs []vrp.VRP) string {
	var b strings.Builder
	b.WriteString("[")
	for i, v := range vs {
		if i == 5 {
			fmt.Fprintf(&b, " ... %d more", len(vs)-5)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.String())
	}
	b.WriteString("]")
	return b.String()
}

// hostPort joins host and port, bracketing IPv6 literals.
func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// checkLoopbackHost refuses RTR/BGP peers that are not on this machine.
func checkLoopbackHost(t testing.TB, host string) {
	t.Helper()
	if !isLoopbackHost(host) {
		t.Fatalf("testpeers: %q is not a loopback address", host)
	}
}
