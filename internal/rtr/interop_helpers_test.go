package rtr

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// interopSet is a small table with IPv4, IPv6, maxLength and 4-byte ASNs.
func interopSet(t *testing.T) vrp.Set {
	return set(t, "192.0.2.0/24 => AS64496", "198.51.100.0/22-24 => AS64497", "203.0.113.0/24-32 => AS64498",
		"2001:db8:1000::/36 => AS4200000000", "2001:db8::/32-48 => AS64499", "10.0.0.0/8-16 => AS65000",
		"10.1.0.0/16 => AS65001", "2001:db8:ffff::/48 => AS0")
}

// changedSet withdraws one VRP and adds one.
func changedSet(t *testing.T, a vrp.Set) vrp.Set {
	var vs []vrp.VRP
	for _, v := range a {
		if v.ASN != 64497 {
			vs = append(vs, v)
		}
	}
	n, _ := vrp.Parse("100.64.0.0/10-24 => AS4200000001")
	return vrp.NewSet(append(vs, n))
}

// normLines renders a set as sorted "prefix maxlen asn" lines, the format of
// the peers/ recipes.
func normLines(s []vrp.VRP) string {
	var out []string
	for _, v := range s {
		out = append(out, fmt.Sprintf("%s %d %d", v.Prefix, v.MaxLen, v.ASN))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// parseTriples reads "prefix maxlen asn" (asn possibly signed int32, the
// rtrlib csv bug) into a normalized line set.
func parseTriples(t *testing.T, lines []string) string {
	var vs []vrp.VRP
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		p, err := vrp.ParsePrefix(f[0])
		if err != nil {
			continue
		}
		ml, err1 := strconv.Atoi(f[1])
		asnText := strings.TrimPrefix(f[2], "AS")
		asn, err2 := strconv.ParseInt(asnText, 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if asn < 0 {
			asn += 1 << 32
		}
		vs = append(vs, vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: uint32(asn)})
	}
	return normLines(vrp.NewSet(vs))
}

// runServer starts a server on a free loopback port; host selects 127.0.0.1 or ::1.
func runServer(t *testing.T, cfg Config, host string) (*Server, string, int) {
	t.Helper()
	if cfg.NotifyInterval == 0 {
		cfg.NotifyInterval = -1
	}
	s := NewServer(cfg)
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s, host, ln.Addr().(*net.TCPAddr).Port
}

// proc is a started peer process, killed at test end.
type proc struct {
	cmd *exec.Cmd
	out *lockedBuf
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(name, args...)
	buf := &lockedBuf{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return &proc{cmd: cmd, out: buf}
}

// eventually polls f until it returns "" or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, f func() string) {
	t.Helper()
	end := time.Now().Add(timeout)
	var last string
	for time.Now().Before(end) {
		if last = f(); last == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timeout after %v: %s", timeout, last)
}

func lines(s string) []string { return strings.Split(s, "\n") }

func readLines(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
