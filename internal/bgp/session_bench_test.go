package bgp

import (
	"bufio"
	"context"
	"fmt"
	"github.com/roadrpki/road/internal/testpeers"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/route"
)

// writeRIBDump writes routes as a TABLE_DUMP_V2 file (RFC 6396 §4.3) with
// one peer, one entry per prefix: the first origin of each prefix.
func writeRIBDump(tb testing.TB, path string, routes []route.Route) int {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.Write(mrtRec(mrtTableDumpV2, tdv2PeerIndex, cat(u32(1), u16(0), u16(1), []byte{2}, u32(2), []byte{192, 0, 2, 1}, u32(64496))))
	n := 0
	var last netip.Prefix
	for _, r := range routes {
		if r.Prefix == last {
			continue
		}
		last = r.Prefix
		attrs := cat(attr(0x40, 1, []byte{0}), attr(0x40, attrASPath, seg(segSequence, 4, 64496, r.Origin)))
		var sub int
		var pfx []byte
		if r.Prefix.Addr().Is4() {
			sub, pfx = 2, nlri4(r.Prefix.String())
			attrs = append(attrs, attr(0x40, 3, []byte{192, 0, 2, 1})...)
		} else {
			sub, pfx = 4, nlri6(r.Prefix.String())
			// full MP_REACH_NLRI: gobgp's MRT reader does not take the
			// RFC 6396 §4.3.4 abbreviated (next-hop only) form
			nh := netip.MustParseAddr("2001:db8::1").As16()
			attrs = append(attrs, attr(0x80, attrMPReach, cat(u16(afiIPv6), []byte{safiUnicast, 16}, nh[:], []byte{0}, pfx))...)
		}
		w.Write(mrtRec(mrtTableDumpV2, sub, cat(u32(uint32(n)), pfx, u16(1), u16(0), u32(0), u16(len(attrs)), attrs)))
		n++
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return n
}

func rssKB(tb testing.TB) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			v, _ := strconv.Atoi(strings.Fields(l)[1])
			return v
		}
	}
	return 0
}

// gobgpdPeer is a gobgpd (AS 64501) that connects to our speaker on
// 127.0.0.1:port and advertises what is injected into its global RIB.
type gobgpdPeer struct {
	cmd      *exec.Cmd
	api      int
	gobgp    string
	stopOnce func()
}

func startGoBGPDPeer(b *testing.B, dir string, port int) *gobgpdPeer {
	gobgpd := needTool(b, "gobgpd")
	p := &gobgpdPeer{api: freePort(b), gobgp: needTool(b, "gobgp")}
	conf := filepath.Join(dir, "gobgpd.toml")
	os.WriteFile(conf, []byte(testpeers.GoBGPDPeerConfig(port)), 0o600)
	p.cmd = exec.Command(gobgpd, "-f", conf, "-p", "--api-hosts", fmt.Sprintf("127.0.0.1:%d", p.api), "--pprof-disable", "-l", "warn")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, _ := os.Create(filepath.Join(dir, "gobgpd.log"))
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p.stopOnce = func() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		p.cmd.Wait()
		logf.Close()
	}
	time.Sleep(time.Second) // gRPC up
	return p
}

func (p *gobgpdPeer) inject(b *testing.B, mrt string) {
	if out, err := exec.Command(p.gobgp, "-p", strconv.Itoa(p.api), "mrt", "inject", "global", mrt).CombinedOutput(); err != nil {
		p.stopOnce()
		b.Fatalf("inject: %v %s", err, out)
	}
}

// advertised is what gobgpd says it sent us ("Advertised:" of the neighbor).
func (p *gobgpdPeer) advertised() int {
	out, _ := exec.Command(p.gobgp, "-p", strconv.Itoa(p.api), "neighbor", "127.0.0.1").CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Advertised:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}

// globalRIB is the number of destinations in gobgpd's global RIB (both families).
func (p *gobgpdPeer) globalRIB() int {
	n := 0
	for _, fam := range []string{"ipv4", "ipv6"} {
		// "Table ipv4-unicast\nDestination: N, Path: M"
		out, _ := exec.Command(p.gobgp, "-p", strconv.Itoa(p.api), "global", "rib", "summary", "-a", fam).CombinedOutput()
		for _, l := range strings.Split(string(out), "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "Destination: "); ok {
				v, _ := strconv.Atoi(strings.TrimSuffix(strings.Fields(rest)[0], ","))
				n += v
			}
		}
	}
	return n
}

// waitStable returns when tb has not changed for quiet, and the time of its last change.
func waitStable(tb *Table, quiet time.Duration) time.Time {
	last, lastChange := -1, time.Now()
	for time.Since(lastChange) < quiet {
		time.Sleep(50 * time.Millisecond)
		if l := tb.Len(); l != last {
			last, lastChange = l, time.Now()
		}
	}
	return lastChange
}

func sessionRoutes(b *testing.B) []route.Route {
	all := fullTableRoutes(b, 423_486)
	var routes []route.Route
	for _, r := range all { // the 2010 IPv4 pairs and the synthetic IPv6 ones
		if r.Prefix.Addr().Is6() || r.Prefix.Bits() > 0 {
			routes = append(routes, r)
		}
	}
	sortRoutes(routes)
	return routes
}

// BenchmarkSessionFullTable receives the 2010 table (one path per prefix)
// plus synthetic IPv6 from a real gobgpd over a loopback session, while
// gobgpd is fed by `gobgp mrt inject` (so the time is mostly the injection).
// go test ./internal/bgp -run X -bench SessionFullTable -benchtime 1x
func BenchmarkSessionFullTable(b *testing.B) {
	routes := sessionRoutes(b)
	dir := b.TempDir()
	n := writeRIBDump(b, filepath.Join(dir, "rib.mrt"), routes)
	for b.Loop() {
		port := freePort(b)
		tb := NewTable()
		heap0, rss0 := heapInuse(), rssKB(b)
		sp, err := startBenchSpeaker(port, tb)
		if err != nil {
			b.Fatal(err)
		}
		peer := startGoBGPDPeer(b, dir, port)
		start := time.Now()
		peer.inject(b, filepath.Join(dir, "rib.mrt"))
		injected := time.Since(start)
		// gobgp's `mrt inject` drops the last few hundred records of a
		// file, so compare with what gobgpd says it advertised rather than n
		got := waitStable(tb, 5*time.Second).Sub(start)
		heap1, rss1 := heapInuse(), rssKB(b)
		advertised := peer.advertised()
		b.Logf("%d routes written, %d advertised by gobgpd, %d in our table; injected in %v, all in our table after %v; heap +%d MB, RSS +%d MB (speaker incl. gobgp Adj-RIB-In)",
			n, advertised, tb.Len(), injected.Round(time.Millisecond), got.Round(time.Millisecond), (int64(heap1)-int64(heap0))>>20, (rss1-rss0)>>10)
		b.ReportMetric(got.Seconds(), "s/table")
		b.ReportMetric(float64(rss1-rss0)/1024, "MB-RSS")
		peer.stopOnce()
		sp.Stop()
		if tb.Len() != advertised {
			b.Fatalf("table has %d routes, gobgpd advertised %d", tb.Len(), advertised)
		}
	}
}

// BenchmarkSessionFullTableReceive: gobgpd holds the whole table before our
// speaker starts listening; the time is from the session's establishment to
// the last route in our table, which is what a restart of road costs.
// go test ./internal/bgp -run X -bench SessionFullTableReceive -benchtime 1x
func BenchmarkSessionFullTableReceive(b *testing.B) {
	routes := sessionRoutes(b)
	dir := b.TempDir()
	n := writeRIBDump(b, filepath.Join(dir, "rib.mrt"), routes)
	for b.Loop() {
		port := freePort(b)
		peer := startGoBGPDPeer(b, dir, port)
		peer.inject(b, filepath.Join(dir, "rib.mrt"))
		inRIB := peer.globalRIB()
		tb := NewTable()
		heap0, rss0 := heapInuse(), rssKB(b)
		sp, err := startBenchSpeaker(port, tb)
		if err != nil {
			peer.stopOnce()
			b.Fatal(err)
		}
		var up time.Time
		for deadline := time.Now().Add(30 * time.Second); up.IsZero() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if ps := sp.Peers(); len(ps) == 1 && ps[0].State == "established" {
				up = time.Now()
			}
		}
		if up.IsZero() {
			peer.stopOnce()
			sp.Stop()
			b.Fatal("session did not come up")
		}
		var first time.Time
		for deadline := time.Now().Add(60 * time.Second); tb.Len() == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		}
		first = time.Now()
		got := waitStable(tb, 3*time.Second).Sub(up)
		b.Logf("first route %v after the session came up", first.Sub(up).Round(time.Millisecond))
		heap1, rss1 := heapInuse(), rssKB(b)
		b.Logf("%d routes written, %d in gobgpd's RIB, %d in our table %v after the session came up; heap +%d MB, RSS +%d MB (speaker incl. gobgp Adj-RIB-In)",
			n, inRIB, tb.Len(), got.Round(time.Millisecond), (int64(heap1)-int64(heap0))>>20, (rss1-rss0)>>10)
		b.ReportMetric(got.Seconds(), "s/table")
		b.ReportMetric(float64(rss1-rss0)/1024, "MB-RSS")
		peer.stopOnce()
		sp.Stop()
		if tb.Len() != inRIB {
			b.Fatalf("table has %d routes, gobgpd's RIB %d", tb.Len(), inRIB)
		}
	}
}

// startBenchSpeaker is our speaker (AS64500) on 127.0.0.1:port with gobgpd's
// peer AS64501 (testpeers.GoBGPDPeerConfig) as its only neighbour.
func startBenchSpeaker(port int, tb *Table) (*Speaker, error) {
	return StartSpeaker(context.Background(), SpeakerConfig{
		ListenAddr: fmt.Sprintf("127.0.0.1:%d", port), ASN: 64500, RouterID: "192.0.2.254",
		Peers: []Peer{{ASN: 64501, Address: "127.0.0.1"}}, HoldAfterDown: time.Minute,
	}, tb)
}
