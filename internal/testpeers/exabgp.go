package testpeers

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Announcer originates BGP routes towards a speaker under test.
type Announcer interface {
	// Announce sends prefix with AS_PATH [localAS asPath...] (asPath may be
	// empty: then the route is originated by localAS). With asSet the
	// elements of asPath form one AS_SET after localAS: [localAS {asPath...}]
	// (an aggregate; RFC 6811 §2: its origin AS is NONE).
	Announce(prefix netip.Prefix, asPath []uint32, asSet bool) error
	// Withdraw withdraws prefix.
	Withdraw(prefix netip.Prefix) error
	// Close stops the announcer (its session goes down). Also done in t.Cleanup.
	Close()
}

// Attribute values only: nothing is sent to these addresses (RFC 5737 /
// RFC 3849 documentation space); gobgpd refuses a loopback NEXT_HOP.
var (
	NextHop4 = netip.MustParseAddr("192.0.2.1")
	NextHop6 = netip.MustParseAddr("2001:db8::1")
)

// exaBGP feeds ExaBGP 4.2's process API through a FIFO read by cat(1):
// ExaBGP 4.2.21 rejects IPv6 routes in the static config of an IPv4
// neighbor, the API takes both.
type exaBGP struct {
	p       *process
	localAS uint32

	mu   sync.Mutex
	fifo *os.File
}

const exaBGPConf = `process feeder {
  run %s %s;
  encoder text;
}
neighbor 127.0.0.1 {
  router-id 192.0.2.2;
  local-address 127.0.0.1;
  local-as %d;
  peer-as %d;
  connect %d;
  family { ipv4 unicast; ipv6 unicast; }
  api { processes [ feeder ]; }
}
`

// StartExaBGP starts ExaBGP with one eBGP session from 127.0.0.1 (localAS)
// to the speaker at 127.0.0.1:peerPort (peerAS), which must be configured
// with neighbor 127.0.0.1 / peer-as localAS. It waits (up to 60 s) until
// ExaBGP reports the TCP connection; routes announced before the session is
// established are sent when it is.
func StartExaBGP(t testing.TB, peerPort int, localAS, peerAS uint32) Announcer {
	t.Helper()
	Require(t, "exabgp", "cat")
	cat, _ := exec.LookPath("cat")
	dir := t.TempDir()
	fifoPath := filepath.Join(dir, "commands")
	if err := syscall.Mkfifo(fifoPath, 0o600); err != nil {
		t.Fatalf("testpeers: mkfifo: %v", err)
	}
	// O_RDWR: opening never blocks and cat never sees EOF while we hold it.
	fifo, err := os.OpenFile(fifoPath, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("testpeers: open fifo: %v", err)
	}
	conf := filepath.Join(dir, "exabgp.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(exaBGPConf, cat, fifoPath, localAS, peerAS, peerPort)), 0o644); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	env := []string{
		"exabgp.daemon.daemonize=false",
		"exabgp.tcp.bind=",     // no listener of its own
		"exabgp.api.cli=false", // no named pipes under /run/exabgp
		"exabgp.log.destination=stdout",
		"exabgp.log.level=INFO",
	}
	if os.Geteuid() == 0 {
		env = append(env, "exabgp.daemon.user=root") // else it drops to nobody and cannot read dir
	}
	s := &exaBGP{localAS: localAS, fifo: fifo}
	s.p = startProcess(t, filepath.Join(dir, "exabgp.log"), env, "exabgp", conf)
	t.Cleanup(s.Close)
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	err = poll(ctx, 100*time.Millisecond, func() (bool, error) {
		if s.p.exited() {
			return false, fmt.Errorf("%w: exabgp exited: %v", ErrFailed, s.p.err)
		}
		return strings.Contains(s.p.log(), "connected to"), nil
	})
	if err != nil {
		t.Fatalf("testpeers: exabgp session to 127.0.0.1:%d: %v\n%s", peerPort, err, s.p.tail(4000))
	}
	return s
}

// announceCommand renders one ExaBGP API command.
func announceCommand(prefix netip.Prefix, localAS uint32, asPath []uint32, asSet bool) (string, error) {
	if !prefix.IsValid() || prefix.Masked() != prefix {
		return "", fmt.Errorf("%w: bad prefix %v", ErrFailed, prefix)
	}
	if asSet && len(asPath) == 0 {
		return "", fmt.Errorf("%w: empty AS_SET", ErrFailed)
	}
	nh := NextHop4
	if prefix.Addr().Is6() {
		nh = NextHop6
	}
	path := []string{strconv.FormatUint(uint64(localAS), 10)}
	if asSet {
		path = append(path, "(")
	}
	for _, as := range asPath {
		path = append(path, strconv.FormatUint(uint64(as), 10))
	}
	if asSet {
		path = append(path, ")")
	}
	return fmt.Sprintf("announce route %s next-hop %s origin igp as-path [ %s ]\n", prefix, nh, strings.Join(path, " ")), nil
}

func (s *exaBGP) send(cmd string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fifo == nil {
		return fmt.Errorf("%w: exabgp announcer closed", ErrFailed)
	}
	if s.p.exited() {
		return fmt.Errorf("%w: exabgp exited: %v\n%s", ErrFailed, s.p.err, s.p.tail(2000))
	}
	_, err := s.fifo.WriteString(cmd)
	return err
}

func (s *exaBGP) Announce(prefix netip.Prefix, asPath []uint32, asSet bool) error {
	cmd, err := announceCommand(prefix, s.localAS, asPath, asSet)
	if err != nil {
		return err
	}
	return s.send(cmd)
}

func (s *exaBGP) Withdraw(prefix netip.Prefix) error {
	if !prefix.IsValid() || prefix.Masked() != prefix {
		return fmt.Errorf("%w: bad prefix %v", ErrFailed, prefix)
	}
	nh := NextHop4
	if prefix.Addr().Is6() {
		nh = NextHop6
	}
	return s.send(fmt.Sprintf("withdraw route %s next-hop %s\n", prefix, nh))
}

func (s *exaBGP) Close() {
	s.p.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fifo != nil {
		s.fifo.Close()
		s.fifo = nil
	}
}
