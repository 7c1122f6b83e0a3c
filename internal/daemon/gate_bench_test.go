package daemon

import (
	"context"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/proposal"
)

// BenchmarkROAChangeGate is one ROA added through Propose with 1,000 ROAs
// configured and a warm key pool, until the new RRDP serial is live, with
// the pre-publication gate off and on (issue 12: p50 under 100 ms with the
// gate). One data directory is seeded, copied, and opened once with the
// gate off and once with it on; the changes alternate between the two, so
// both see the same load on a shared machine. Each iteration is one change
// to each.
func BenchmarkROAChangeGate(b *testing.B) {
	const poolSize, nROAs = 4, 1000
	base := b.TempDir()
	seeded := filepath.Join(base, "seeded")
	open := func(dir string, gate bool) *Daemon {
		c := testConfig(dir)
		c.Resources = []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}
		c.Publish.Gate = gate
		d, err := Open(context.Background(), c, Runtime{KeyPoolSize: poolSize})
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	d := open(seeded, false)
	req := &proposal.Request{}
	for i := range nROAs {
		req.Add = append(req.Add, proposal.ROA{Prefix: ownPrefix(i).String(), ASN: ownASN(i)})
	}
	if res, err := d.props.Propose(context.Background(), "bench", req); err != nil || !res.Applied {
		b.Fatalf("seeding %d ROAs: %v %+v", nROAs, err, res)
	}
	d.Close()
	dirs := [2]string{filepath.Join(base, "off"), filepath.Join(base, "on")}
	var ds [2]*Daemon
	for i, dir := range dirs {
		if out, err := exec.Command("cp", "-a", seeded, dir).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		ds[i] = open(dir, i == 1)
		defer ds[i].Close()
	}
	var lat [2][]time.Duration
	next := nROAs
	for b.Loop() {
		for i, d := range ds {
			b.StopTimer()
			for d.keys.Ready() < poolSize { // warm: the pool is full and its filler idle
				time.Sleep(10 * time.Millisecond)
			}
			req := &proposal.Request{Add: []proposal.ROA{{Prefix: ownPrefix(next).String(), ASN: 64496}}}
			_, before := d.pub.State()
			b.StartTimer()
			start := time.Now()
			res, err := d.props.Propose(context.Background(), "bench", req)
			el := time.Since(start)
			if err != nil || !res.Applied || res.Serial != before+1 {
				b.Fatalf("change (gate %v): %v %+v (serial before %d)", i == 1, err, res, before)
			}
			lat[i] = append(lat[i], el)
		}
		next++
	}
	for i, name := range []string{"off", "on"} {
		slices.Sort(lat[i])
		b.ReportMetric(float64(lat[i][len(lat[i])/2].Microseconds())/1000, "gate-"+name+"-p50-ms")
		b.ReportMetric(float64(lat[i][len(lat[i])*9/10].Microseconds())/1000, "gate-"+name+"-p90-ms")
	}
}
