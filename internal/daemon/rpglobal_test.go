package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/tlsca"
	"github.com/roadrpki/road/internal/vrp"
)

// runDaemon opens and runs a daemon with real time until the test ends.
func runDaemon(t *testing.T, o Options) *Daemon {
	t.Helper()
	o.IP = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24")}
	o.AS, o.Timing, o.KeyPoolSize = []rpki.ASRange{{Min: 64496, Max: 64511}}, ca.DefaultTiming(), 4
	o.RsyncBase = "rsync://127.0.0.1:8873/repo/"
	logf, err := os.Create(filepath.Join(t.TempDir(), "road.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	o.Logger = slog.New(slog.NewTextHandler(logf, nil))
	d, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx); d.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", o.DataDir, err)
		}
	})
	return d
}

func addROAs(t *testing.T, d *Daemon, ss ...string) {
	t.Helper()
	req := &proposal.Request{Force: true, Reason: "test: no BGP here"}
	for _, v := range mustSet(t, ss...) {
		req.Add = append(req.Add, proposal.ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN})
	}
	if res, err := d.Propose(context.Background(), "test", req); err != nil || !res.Applied {
		t.Fatalf("proposal: %v %+v", err, res)
	}
}

func mustSet(t *testing.T, ss ...string) vrp.Set {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitListening waits until addr accepts TCP connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRTRServesTheUnionOfTALs: a daemon configured with an extra TAL (a
// second road on loopback, standing in for an RIR) serves that TAL's VRPs
// together with its own over RTR, and reports the feed in rp status.
func TestRTRServesTheUnionOfTALs(t *testing.T) {
	testpeers.Require(t, "rtrdump")
	base := t.TempDir()
	os.Chmod(base, 0o755)
	routerDir, worldDir := filepath.Join(base, "road"), filepath.Join(base, "world")
	// The world serves HTTPS with a certificate of the router's testbed TLS
	// CA, which the router's relying party trusts beside the system roots.
	cert, key, _, err := tlsca.Ensure(filepath.Join(routerDir, "tls"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	free := func() string { return fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t)) }
	worldHTTPS := free()
	world := runDaemon(t, Options{DataDir: worldDir, HTTPSAddr: worldHTTPS, RRDPBase: "https://" + worldHTTPS + "/rrdp/",
		TLSCert: cert, TLSKey: key})
	waitListening(t, worldHTTPS)
	worldROAs := []string{"198.51.100.0/24 => AS64500", "203.0.113.0/24-25 => AS64501"}
	addROAs(t, world, worldROAs...)
	worldTAL := filepath.Join(base, "world.tal")
	if b, err := os.ReadFile(filepath.Join(worldDir, "road.tal")); err != nil || os.WriteFile(worldTAL, b, 0o644) != nil {
		t.Fatalf("world TAL: %v", err)
	}

	routerHTTPS, rtrAddr := free(), free()
	router := runDaemon(t, Options{DataDir: routerDir, HTTPSAddr: routerHTTPS, RRDPBase: "https://" + routerHTTPS + "/rrdp/",
		RTRAddr: rtrAddr, RPTALs: []string{worldTAL}, RPGlobalInterval: time.Hour})
	waitListening(t, rtrAddr)
	ownROAs := []string{"192.0.2.0/24 => AS64496"}
	addROAs(t, router, ownROAs...)

	want := mustSet(t, append(ownROAs, worldROAs...)...)
	var got []vrp.VRP
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if got, err = testpeers.RTRDump(t, rtrAddr, 2); err == nil && slices.Equal(vrp.NewSet(got), want) {
			break
		}
		if time.Now().After(deadline) {
			st, _ := router.RPStatus(context.Background())
			t.Fatalf("RTR v2: %v %v, want %v (rp status %+v, global %+v)", err, got, want, st, st.Global)
		}
	}
	st, err := router.RPStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := st.Global
	if !st.OK || st.Degraded || st.Served != 3 || st.VRPs != 1 || g == nil || !slices.Equal(g.TALs, []string{worldTAL}) ||
		g.VRPs != 2 || g.Rejected != 0 || g.Degraded || g.Runs != 1 {
		t.Fatalf("rp status %+v, global %+v", st, g)
	}
}
