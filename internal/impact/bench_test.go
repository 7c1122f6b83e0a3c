package impact

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// synthetic is a 1.2M-route table in a bgp.Table (4 peers): random global
// routes outside 10.0.0.0/8, and inside it the holder's 10,000 /22s, each
// announced with both its /23s and authorized by a /22-23 ROA. The VRP set
// holds the holder's ROAs plus one VRP per third global route.
type synthetic struct {
	snap route.Source
	own  []route.Route
	vrps vrp.Set
}

func buildSynthetic(tb testing.TB, nGlobal, nOwn22 int) synthetic {
	tb.Helper()
	r := rand.New(rand.NewPCG(42, 42))
	rs := make([]route.Route, 0, nGlobal+3*nOwn22)
	var vs []vrp.VRP
	for len(rs) < nGlobal {
		var rt route.Route
		if r.IntN(6) == 0 {
			var b [16]byte
			b[0], b[1] = 0x2a, byte(r.IntN(256))
			for i := 2; i < 6; i++ {
				b[i] = byte(r.IntN(256))
			}
			rt = route.Route{Prefix: netip.PrefixFrom(netip.AddrFrom16(b), 19+r.IntN(30)).Masked(), Origin: uint32(1 + r.IntN(70000))}
		} else {
			a := netip.AddrFrom4([4]byte{byte(11 + r.IntN(212)), byte(r.IntN(256)), byte(r.IntN(256)), 0})
			rt = route.Route{Prefix: netip.PrefixFrom(a, 8+r.IntN(17)).Masked(), Origin: uint32(1 + r.IntN(70000))}
		}
		rs = append(rs, rt)
		if len(rs)%3 == 0 {
			vs = append(vs, vrp.VRP{Prefix: rt.Prefix, MaxLen: uint8(rt.Prefix.Bits()), ASN: rt.Origin})
		}
	}
	var own []route.Route
	for i := range nOwn22 {
		base := netip.AddrFrom4([4]byte{10, byte(i >> 6), byte(i&63) << 2, 0})
		upper := netip.AddrFrom4([4]byte{10, byte(i >> 6), byte(i&63)<<2 | 2, 0})
		asn := uint32(64500 + i%50)
		vs = append(vs, vrp.VRP{Prefix: netip.PrefixFrom(base, 22), MaxLen: 23, ASN: asn})
		own = append(own, route.Route{Prefix: netip.PrefixFrom(base, 22), Origin: asn},
			route.Route{Prefix: netip.PrefixFrom(base, 23), Origin: asn}, route.Route{Prefix: netip.PrefixFrom(upper, 23), Origin: asn})
	}
	rs = append(rs, own...)
	tb2 := bgp.NewTable()
	for p := range 4 {
		id, err := tb2.Peer(fmt.Sprintf("peer%d", p))
		if err != nil {
			tb.Fatal(err)
		}
		var part []route.Route
		for i := p; i < len(rs); i += 4 {
			part = append(part, rs[i])
		}
		tb2.ReplacePeer(id, part, time.Unix(1, 0))
	}
	return synthetic{snap: tb2.Snapshot(), own: own, vrps: vrp.NewSet(vs)}
}

// BenchmarkOnePrefix1M2 measures a one-prefix change (the origin of one of
// the holder's /22s replaced: its three routes turn Invalid) against 1.2M
// routes and ~410,000 VRPs; it reports the median as p50-ms.
func BenchmarkOnePrefix1M2(b *testing.B) {
	syn := buildSynthetic(b, 1_200_000, 10_000)
	own := make([]netip.Prefix, len(syn.own))
	for i, r := range syn.own {
		own[i] = r.Prefix
	}
	in := Input{Routes: syn.snap, Before: syn.vrps, Own: NewSpace(own),
		Added: vrps(b, "10.1.4.0/22 => AS64999"), Removed: vrps(b, "10.1.4.0/22-23 => AS64515")}
	if r := Analyze(in); r.HarmedRoutes != 3 || r.Harmed.IPv4Slash24 != 4 || r.Harmed.OwnIPv4Share != 4.0/40000 {
		b.Fatalf("unexpected impact %+v", r)
	}
	b.Logf("%d VRPs", len(syn.vrps))
	var d []time.Duration
	for b.Loop() {
		t0 := time.Now()
		Analyze(in)
		d = append(d, time.Since(t0))
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e6, "p50-ms")
}

// BenchmarkResilience30k analyses the holder's 30,000 routes against the
// whole VRP set (~410,000 VRPs, indexed each run); a third of the holder's
// ROAs are withdrawn so that 10,000 routes have no fallback.
func BenchmarkResilience30k(b *testing.B) {
	syn := buildSynthetic(b, 1_200_000, 10_000)
	var vs []vrp.VRP
	for _, v := range syn.vrps {
		if v.Prefix.Addr().Is4() && v.Prefix.Addr().As4()[0] == 10 && v.Prefix.Addr().As4()[2]%12 == 0 {
			continue
		}
		vs = append(vs, v)
	}
	roas := vrp.NewSet(vs)
	held := prefixes("10.0.0.0/8")
	r := AnalyzeResilience(syn.own, roas, held)
	if r.Routes != 30_000 || r.WithFallback+len(r.WithoutFallback) != 30_000 {
		b.Fatalf("%d routes, %d with fallback, %d without", r.Routes, r.WithFallback, len(r.WithoutFallback))
	}
	b.Logf("%d VRPs; %d with fallback, %d without", len(roas), r.WithFallback, len(r.WithoutFallback))
	for b.Loop() {
		AnalyzeResilience(syn.own, roas, held)
	}
}
