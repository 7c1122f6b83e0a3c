package bgp

import (
	"bufio"
	"context"
	"fmt"
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

// BenchmarkSessionFullTable receives the 2010 table (one path per prefix)
// plus synthetic IPv6 from a real gobgpd over a loopback session.
// go test ./internal/bgp -run X -bench SessionFullTable -benchtime 1x
func BenchmarkSessionFullTable(b *testing.B) {
	gobgpd := needTool(b, "gobgpd")
	gobgp := needTool(b, "gobgp")
	all := fullTableRoutes(b, 423_486)
	var routes []route.Route
	for _, r := range all { // the 2010 IPv4 pairs and the synthetic IPv6 ones
		if r.Prefix.Addr().Is6() || r.Prefix.Bits() > 0 {
			routes = append(routes, r)
		}
	}
	sortRoutes(routes)
	dir := b.TempDir()
	n := writeRIBDump(b, filepath.Join(dir, "rib.mrt"), routes)
	for b.Loop() {
		port, api := freePort(b), freePort(b)
		tb := NewTable()
		heap0, rss0 := heapInuse(), rssKB(b)
		sp, err := StartSpeaker(context.Background(), SpeakerConfig{
			ListenAddr: fmt.Sprintf("127.0.0.1:%d", port), ASN: 64500, RouterID: "192.0.2.254",
			Peers: []Peer{{ASN: 64501, Address: "127.0.0.1"}}, HoldAfterDown: time.Minute,
		}, tb)
		if err != nil {
			b.Fatal(err)
		}
		conf := filepath.Join(dir, "gobgpd.toml")
		os.WriteFile(conf, []byte(fmt.Sprintf(`[global.config]
  as = 64501
  router-id = "192.0.2.2"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = 64500
  [neighbors.transport.config]
    remote-port = %d
    local-address = "127.0.0.1"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`, port)), 0o600)
		cmd := exec.Command(gobgpd, "-f", conf, "-p", "--api-hosts", fmt.Sprintf("127.0.0.1:%d", api), "--pprof-disable", "-l", "warn")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		logf, _ := os.Create(filepath.Join(dir, "gobgpd.log"))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		stop := func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			cmd.Wait()
			logf.Close()
		}
		time.Sleep(time.Second) // gRPC up
		start := time.Now()
		inj := exec.Command(gobgp, "-p", strconv.Itoa(api), "mrt", "inject", "global", filepath.Join(dir, "rib.mrt"))
		if out, err := inj.CombinedOutput(); err != nil {
			stop()
			b.Fatalf("inject: %v %s", err, out)
		}
		injected := time.Since(start)
		// wait until our table stops changing; gobgp's `mrt inject` drops the
		// last few hundred records of a file, so compare with what gobgpd
		// says it advertised rather than with n
		last, lastChange := -1, time.Now()
		for time.Since(lastChange) < 5*time.Second {
			time.Sleep(100 * time.Millisecond)
			if l := tb.Len(); l != last {
				last, lastChange = l, time.Now()
			}
		}
		got := lastChange.Sub(start)
		heap1, rss1 := heapInuse(), rssKB(b)
		out, _ := exec.Command(gobgp, "-p", strconv.Itoa(api), "neighbor", "127.0.0.1").CombinedOutput()
		advertised := -1
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) == 2 && f[0] == "Advertised:" {
				advertised, _ = strconv.Atoi(f[1])
			}
		}
		b.Logf("%d routes written, %d advertised by gobgpd, %d in our table; injected in %v, all in our table after %v; heap +%d MB, RSS +%d MB (speaker incl. gobgp Adj-RIB-In)",
			n, advertised, tb.Len(), injected.Round(time.Millisecond), got.Round(time.Millisecond), (int64(heap1)-int64(heap0))>>20, (rss1-rss0)>>10)
		b.ReportMetric(got.Seconds(), "s/table")
		b.ReportMetric(float64(rss1-rss0)/1024, "MB-RSS")
		stop()
		sp.Stop()
		if tb.Len() != advertised {
			b.Fatalf("table has %d routes, gobgpd advertised %d", tb.Len(), advertised)
		}
	}
}
