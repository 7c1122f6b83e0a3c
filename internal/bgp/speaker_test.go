package bgp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/route"
)

func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (CI=true)", name)
		}
		t.Skipf("%s missing", name)
	}
	return p
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// exaPeer is an ExaBGP 4.2 process that connects from 127.0.0.1 (AS 64501)
// to a speaker and takes route commands through its process API via a FIFO.
type exaPeer struct {
	cmd  *exec.Cmd
	fifo *os.File
	log  string
}

func startExaBGP(t *testing.T, port int, peerAS uint32) *exaPeer {
	t.Helper()
	exa := needTool(t, "exabgp")
	py := needTool(t, "python3")
	dir := t.TempDir()
	fifoPath := filepath.Join(dir, "commands")
	if err := syscall.Mkfifo(fifoPath, 0o600); err != nil {
		t.Fatal(err)
	}
	feeder := filepath.Join(dir, "feeder.py")
	// relays FIFO lines to ExaBGP's API; stays alive so ExaBGP does not respawn it
	os.WriteFile(feeder, []byte(`import sys, time
with open(sys.argv[1]) as f:
    for line in f:
        sys.stdout.write(line)
        sys.stdout.flush()
while True:
    time.sleep(60)
`), 0o600)
	conf := filepath.Join(dir, "exabgp.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`process feeder {
  run %s %s %s;
  encoder text;
}
neighbor 127.0.0.1 {
  router-id 192.0.2.2;
  local-address 127.0.0.1;
  local-as 64501;
  peer-as %d;
  connect %d;
  group-updates false;
  family { ipv4 unicast; ipv6 unicast; }
  api { processes [ feeder ]; }
}
`, py, feeder, fifoPath, peerAS, port)), 0o600)
	logPath := filepath.Join(dir, "exabgp.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exa, conf)
	cmd.Env = append(os.Environ(), "exabgp.daemon.user=root", "exabgp.daemon.daemonize=false", "exabgp.tcp.bind=",
		"exabgp.api.cli=false", "exabgp.log.destination=stdout", "exabgp.log.level=INFO")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// O_RDWR does not block on a FIFO without reader (Linux)
	fifo, err := os.OpenFile(fifoPath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	e := &exaPeer{cmd: cmd, fifo: fifo, log: logPath}
	t.Cleanup(func() { e.stop(); logf.Close() })
	return e
}

func (e *exaPeer) send(t *testing.T, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if _, err := fmt.Fprintln(e.fifo, l); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *exaPeer) stop() {
	if e.cmd.Process != nil && e.cmd.ProcessState == nil {
		syscall.Kill(-e.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { e.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	e.fifo.Close()
}

func (e *exaPeer) dumpLog(t *testing.T) {
	b, _ := os.ReadFile(e.log)
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	n := 0
	for sc.Scan() && n < 60 {
		t.Log("exabgp: " + sc.Text())
		n++
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tableRoutes(tb *Table) []string {
	var out []string
	tb.All(func(r route.Route) bool {
		o := fmt.Sprint(r.Origin)
		if r.NoOrigin {
			o = "NONE"
		}
		out = append(out, r.Prefix.String()+" "+o)
		return true
	})
	return out
}

// TestSpeakerExaBGP: a real ExaBGP session into the embedded speaker;
// announcements (IPv4, IPv6 via the process API, an AS_SET, a path through
// our own AS), a withdrawal, then the session drop and HoldAfterDown.
func TestSpeakerExaBGP(t *testing.T) {
	needTool(t, "exabgp")
	port := freePort(t)
	tb := NewTable()
	const hold = 2 * time.Second
	ctx := context.Background()
	sp, err := StartSpeaker(ctx, SpeakerConfig{
		ListenAddr: fmt.Sprintf("127.0.0.1:%d", port), ASN: 64500, RouterID: "192.0.2.254",
		Peers: []Peer{{ASN: 64501, Address: "127.0.0.1"}}, HoldAfterDown: hold,
	}, tb)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Stop()
	exa := startExaBGP(t, port, 64500)
	exa.send(t,
		"announce route 192.0.2.0/24 next-hop 192.0.2.1 origin igp as-path [ 64501 64496 ]",
		"announce route 198.51.100.0/24 next-hop 192.0.2.1 origin igp as-path [ 64501 64497 ]",
		"announce route 203.0.113.0/24 next-hop 192.0.2.1 origin igp as-path [ 64501 ( 64498 64499 ) ]",
		"announce route 2001:db8::/32 next-hop 2001:db8::1 origin igp as-path [ 64501 64499 ]",
		"announce route 2001:db8:100::/40 next-hop 2001:db8::1 origin igp as-path [ 64501 64500 64510 ]",
	)
	want := []string{
		"192.0.2.0/24 64496",
		"198.51.100.0/24 64497",
		"203.0.113.0/24 NONE",
		"2001:db8::/32 64499",
		"2001:db8:100::/40 64510",
	}
	start := time.Now()
	waitFor(t, "5 routes", 30*time.Second, func() bool { return tb.Len() >= len(want) })
	t.Logf("routes in the table %v after starting exabgp", time.Since(start))
	if got := tableRoutes(tb); !slices.Equal(got, want) {
		exa.dumpLog(t)
		t.Fatalf("table %q want %q", got, want)
	}
	es := tb.Lookup(mustPrefix("2001:db8::/32"))
	if len(es) != 1 || !slices.Equal(es[0].Peers, []string{"bgp:127.0.0.1"}) {
		t.Fatalf("lookup %+v", es)
	}
	// ExaBGP sends End-of-RIB for both families (RFC 4724 §2) right away.
	if up, synced := sp.Synced("127.0.0.1", time.Hour); !up || !synced {
		t.Fatalf("Synced = %v, %v", up, synced)
	}
	if up, synced := sp.Synced("192.0.2.9", 0); up || synced {
		t.Fatalf("Synced(unknown) = %v, %v", up, synced)
	}
	ps := sp.Peers()
	if len(ps) != 1 || ps[0].State != "established" || ps[0].ASN != 64501 || ps[0].Received != 5 {
		t.Fatalf("peers %+v", ps)
	}

	exa.send(t, "withdraw route 198.51.100.0/24 next-hop 192.0.2.1")
	waitFor(t, "withdrawal", 10*time.Second, func() bool { return tb.Len() == len(want)-1 })
	if got := tableRoutes(tb); !slices.Equal(got, slices.Delete(slices.Clone(want), 1, 2)) {
		t.Fatalf("after withdraw %q", got)
	}

	// The session cannot go down before the peer is told to stop, so the
	// routes may go no earlier than hold after this instant (a lower bound
	// that does not depend on how soon the polling below sees the drop).
	stopping := time.Now()
	exa.stop()
	var down time.Time
	waitFor(t, "session down", 15*time.Second, func() bool {
		es := tb.Lookup(mustPrefix("192.0.2.0/24"))
		if len(es) == 1 && slices.Equal(es[0].Peers, []string{"bgp:127.0.0.1#down1"}) {
			down = time.Now()
			return true
		}
		return false
	})
	if tb.Len() != len(want)-1 {
		t.Fatalf("routes went before HoldAfterDown: %d", tb.Len())
	}
	if up, synced := sp.Synced("127.0.0.1", 0); up || synced {
		t.Fatalf("Synced after down = %v, %v", up, synced)
	}
	waitFor(t, "routes dropped after hold", 10*time.Second, func() bool { return tb.Len() == 0 })
	t.Logf("routes dropped %v after the session was seen down", time.Since(down))
	if el := time.Since(stopping); el < hold {
		t.Fatalf("routes dropped %v after the peer stopped, hold %v", el, hold)
	}
}

func TestSpeakerConfigErrors(t *testing.T) {
	for _, c := range []SpeakerConfig{
		{ListenAddr: "127.0.0.1", ASN: 1, RouterID: "192.0.2.1"},
		{ListenAddr: "127.0.0.1:0", ASN: 1, RouterID: "192.0.2.1"},
		{ListenAddr: "127.0.0.1:1179", ASN: 0, RouterID: "192.0.2.1"},
		{ListenAddr: "127.0.0.1:1179", ASN: 1, RouterID: "x"},
		{ListenAddr: "127.0.0.1:1179", ASN: 1, RouterID: "192.0.2.1", Peers: []Peer{{ASN: 1, Address: "nope"}}},
	} {
		if _, err := StartSpeaker(context.Background(), c, NewTable()); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
