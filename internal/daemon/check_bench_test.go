package daemon

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/vrp"
)

// benchTable is the 2010 RouteViews table (bgpdump -m text in the corpus)
// plus synthetic IPv4 more-specifics and IPv6 routes up to n routes, plus
// the holder's own: one /48 per configured ROA in 2001:db8::/32.
func benchTable(b *testing.B, n, nROAs int) []route.Route {
	b.Helper()
	f, err := os.Open(testshared.Corpus(b, "bgpdump/test_expect/bview.20100701.0759.gz.bgp.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	_, base, err := bgp.Import(context.Background(), f)
	if err != nil {
		b.Fatal(err)
	}
	out := slices.Clone(base)
	for _, r := range base {
		if len(out) >= n*3/4 {
			break
		}
		if bits := r.Prefix.Bits(); r.Prefix.Addr().Is4() && bits <= 23 {
			lo := netip.PrefixFrom(r.Prefix.Addr(), bits+1)
			a := r.Prefix.Addr().As4()
			a[bits/8] |= 0x80 >> (bits % 8)
			out = append(out, route.Route{Prefix: lo, Origin: r.Origin}, route.Route{Prefix: netip.PrefixFrom(netip.AddrFrom4(a), bits+1), Origin: r.Origin})
		}
	}
	for i := range nROAs {
		out = append(out, route.Route{Prefix: ownPrefix(i), Origin: ownASN(i)})
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for len(out) < n {
		var a [16]byte
		a[0] = 0x2a
		for i := 1; i < 8; i++ {
			a[i] = byte(rng.Uint32())
		}
		out = append(out, route.Route{Prefix: netip.PrefixFrom(netip.AddrFrom16(a), 32+rng.IntN(17)).Masked(), Origin: 1 + rng.Uint32N(400000)})
	}
	slices.SortFunc(out, func(a, b route.Route) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		if c := a.Prefix.Bits() - b.Prefix.Bits(); c != 0 {
			return c
		}
		return int(int64(a.Origin) - int64(b.Origin))
	})
	out = slices.Compact(out)
	for len(out) < n {
		var a [16]byte
		a[0] = 0x2b
		for i := 1; i < 8; i++ {
			a[i] = byte(rng.Uint32())
		}
		out = append(out, route.Route{Prefix: netip.PrefixFrom(netip.AddrFrom16(a), 48), Origin: 1 + rng.Uint32N(400000)})
	}
	return out[:n]
}

func ownPrefix(i int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i)}), 48)
}

func ownASN(i int) uint32 { return 64496 + uint32(i%16) }

// BenchmarkProposalCheck is a one-prefix dry-run proposal through Propose
// (store reads of 10,000 ROAs, index, conflict.Analyze over the live
// 1.2M-route table): the p50 the operator waits for (goal < 5 ms).
func BenchmarkProposalCheck(b *testing.B) {
	const nROAs = 10_000
	d, _ := testDaemon(b)
	routes := benchTable(b, 1_200_000, nROAs)
	id, _ := d.routes.Table().Peer("import:bench")
	d.routes.Table().ReplacePeer(id, routes, time.Unix(1700000000, 0))
	if d.routes.Table().Len() < 1_190_000 {
		b.Fatalf("table has %d routes", d.routes.Table().Len())
	}
	if err := d.st.Update(context.Background(), func(tx *store.Tx) error {
		for i := range nROAs {
			if _, err := tx.AddROA(vrp.VRP{Prefix: ownPrefix(i), MaxLen: 48, ASN: ownASN(i)}, "", "", testNow); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	// Replace the origin of one announced /48: its route would become Invalid.
	victim := ownPrefix(4242)
	req := &proposal.Request{DryRun: true,
		Add:    []proposal.ROA{{Prefix: victim.String(), ASN: 64511}},
		Remove: []proposal.ROA{{Prefix: victim.String(), MaxLength: 48, ASN: ownASN(4242)}}}
	res, err := d.props.Propose(context.Background(), "bench", req)
	if err != nil || !res.Blocked || len(res.Findings) == 0 || res.Findings[0].Kind != "invalidates-route" {
		b.Fatalf("%v %+v", err, res)
	}
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := d.props.Propose(context.Background(), "bench", req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
	b.Logf("%d routes in the table, %d ROAs; findings: %s", d.routes.Table().Len(), nROAs, fmt.Sprint(res.Findings[0].Message))
}

// BenchmarkBGPAnalysis10k is GET /bgp/analysis's work (snapshot, store read,
// conflict.AnalyzeTableWith) for 10,000 ROAs in the 1.2M-route table.
func BenchmarkBGPAnalysis10k(b *testing.B) {
	const nROAs = 10_000
	d, _ := testDaemon(b)
	routes := benchTable(b, 1_200_000, nROAs)
	id, _ := d.routes.Table().Peer("import:bench")
	d.routes.Table().ReplacePeer(id, routes, time.Unix(1700000000, 0))
	if err := d.st.Update(context.Background(), func(tx *store.Tx) error {
		for i := range nROAs {
			if _, err := tx.AddROA(vrp.VRP{Prefix: ownPrefix(i), MaxLen: 48, ASN: ownASN(i)}, "", "", testNow); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := d.props.Analysis(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
