package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/proposal"
)

// BenchmarkROAChangeToNewSerial is one ROA added through Propose (checks,
// signing, commit with history, RRDP snapshot + delta + notification and
// rsync tree, RTR update) until the new RRDP serial is live, with a warm key
// pool. It reports the p50 and p90 of the change latency (goal p50 < 50 ms).
func BenchmarkROAChangeToNewSerial(b *testing.B) {
	const poolSize = 4
	dir := b.TempDir()
	c := testConfig(dir)
	c.HTTP, c.Resources = "127.0.0.1:0", []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}
	d, err := Open(context.Background(), c, Runtime{KeyPoolSize: poolSize})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for d.keys.Ready() < poolSize { // warm: the pool is full and its filler idle
			time.Sleep(10 * time.Millisecond)
		}
		req := &proposal.Request{Add: []proposal.ROA{{Prefix: fmt.Sprintf("2001:db8:%x::/48", i), ASN: 64496}}}
		_, before := d.pub.State()
		b.StartTimer()
		start := time.Now()
		res, err := d.props.Propose(context.Background(), "bench", req)
		el := time.Since(start)
		b.StopTimer()
		if err != nil || !res.Applied || res.Serial != before+1 {
			b.Fatalf("change %d: %v %+v (serial before %d)", i, err, res, before)
		}
		lat = append(lat, el)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
}
