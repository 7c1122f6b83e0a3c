package waves

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// serveOn runs srv on a free port of host until the test ends.
func serveOn(t *testing.T, srv *rtr.Server, host string, port int) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, itoa(port)))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ln.Addr().(*net.TCPAddr).Port
}

func itoa(n int) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n)).String()[len("0.0.0.0:"):]
}

// waitTable waits for a streaming client's table to be exactly want.
func waitTable(t *testing.T, name string, s testpeers.RTRSession, want vrp.Set) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, want); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// dump is rtrdump's table (one Reset Query) from addr: exactly what that
// address's wave serves now.
func dump(t *testing.T, addr string, want vrp.Set) {
	t.Helper()
	got, err := testpeers.RTRDump(t, addr, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vrp.NewSet(got), want) {
		t.Fatalf("rtrdump %s: %v\nwant %v", addr, got, want)
	}
}

// clientsAt waits until wave has exactly n connected routers (rtrdump's
// closed connections gone), all synced to serial.
func clientsAt(t *testing.T, srv *rtr.Server, wave string, n int, serial uint32) {
	t.Helper()
	var last string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		seen, ok := 0, true
		for _, c := range srv.Status().Clients {
			if c.Wave == wave {
				seen++
				ok = ok && c.HasSerial && c.Serial == serial
			}
		}
		if seen == n && ok {
			return
		}
		last = fmt.Sprintf("%+v", srv.Status().Clients)
	}
	t.Fatalf("wave %s: want %d routers at serial %d: %s", wave, n, serial, last)
}

// tableIs checks a streaming client's table now.
func tableIs(t *testing.T, name string, s testpeers.RTRSession, want vrp.Set) {
	t.Helper()
	got, err := s.Table()
	if err != nil || !slices.Equal(vrp.NewSet(got), want) {
		t.Fatalf("%s table %v (%v), want %v", name, got, err, want)
	}
}

// TestWavesWithRealRouters: BIRD (wave "canary", from 127.0.0.1) and
// rtrclient (wave "rest", from ::1, matching no group), with rtrdump
// dumping each wave. A set change reaches the canary only until its hold
// time has passed on the injected clock, then the rest; a failing health
// command rolls the canary back, and every table ends exactly as expected.
func TestWavesWithRealRouters(t *testing.T) {
	testpeers.Require(t, "bird", "birdc", "rtrclient", "stdbuf", "rtrdump")
	ck := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	healthy := filepath.Join(t.TempDir(), "healthy")
	if err := os.WriteFile(healthy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := rtr.NewServer(rtr.Config{NotifyInterval: -1, Waves: []rtr.WaveGroup{
		{Name: "canary", Sources: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, {Name: "rest"}}})
	ctl, err := New(Config{Server: srv, Groups: []Group{{"canary", time.Hour}, {"rest", time.Hour}},
		Health: Health{Command: "test -e " + healthy, Timeout: 10 * time.Second}, Clock: ck.now})
	if err != nil {
		t.Fatal(err)
	}
	port := serveOn(t, srv, "127.0.0.1", 0)
	serveOn(t, srv, "::1", port)
	v4, v6 := net.JoinHostPort("127.0.0.1", itoa(port)), net.JoinHostPort("::1", itoa(port))

	a := mustSet(t, "192.0.2.0/24 => AS64496", "198.51.100.0/22-24 => AS64497", "2001:db8::/32-48 => AS4200000000")
	b := mustSet(t, "192.0.2.0/24 => AS64496", "198.51.100.0/22-24 => AS64497", "2001:db8::/32-48 => AS4200000000",
		"203.0.113.0/24 => AS64498")
	c := mustSet(t, "192.0.2.0/24 => AS64511", "2001:db8::/32-48 => AS4200000000")
	ctl.Update(a, nil)
	bird := testpeers.StartBIRDRTR(t, "127.0.0.1", port)
	rc := testpeers.StartRTRClient(t, "::1", port)
	waitTable(t, "bird", bird, a)
	waitTable(t, "rtrclient", rc, a)

	// B reaches the canary only.
	sb, _ := ctl.Update(b, nil)
	waitTable(t, "bird", bird, b)
	dump(t, v4, b)
	dump(t, v6, a)
	clientsAt(t, srv, "canary", 1, sb)
	clientsAt(t, srv, "rest", 1, sb-1)
	tableIs(t, "rtrclient", rc, a)
	ck.add(59 * time.Minute)
	step(t, ctl, "")
	dump(t, v6, a)
	tableIs(t, "rtrclient", rc, a)
	ck.add(time.Minute)
	step(t, ctl, "promoted")
	waitTable(t, "rtrclient", rc, b)
	dump(t, v6, b)
	ck.add(time.Hour)
	step(t, ctl, "completed")

	// C reaches the canary; health fails; the canary goes back to B under a new serial.
	sc, _ := ctl.Update(c, nil)
	waitTable(t, "bird", bird, c)
	dump(t, v4, c)
	dump(t, v6, b)
	tableIs(t, "rtrclient", rc, b)
	if err := os.Remove(healthy); err != nil {
		t.Fatal(err)
	}
	step(t, ctl, "rolled-back")
	waitTable(t, "bird", bird, b)
	clientsAt(t, srv, "canary", 1, sc+1)
	clientsAt(t, srv, "rest", 1, sb)
	tableIs(t, "bird", bird, b)
	tableIs(t, "rtrclient", rc, b)
	dump(t, v4, b)
	dump(t, v6, b)
	if st := ctl.Status(); !st.Held || st.Rolling || st.Waves[0].Serial != sc+1 || st.Waves[1].Serial != sb {
		t.Fatalf("status %+v", st)
	}
}
