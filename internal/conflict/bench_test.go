package conflict

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// sortedRoutes is an indexed route.Source for benchmarks: routes in
// pre-order (family, address, length), so the routes inside a prefix are one
// contiguous run found by binary search. internal/bgp's table does the same
// job in production.
type sortedRoutes []route.Route

func newSortedRoutes(rs []route.Route) sortedRoutes {
	s := slices.Clone(rs)
	slices.SortFunc(s, compareRoute)
	return sortedRoutes(s)
}

func (s sortedRoutes) Within(p netip.Prefix, yield func(route.Route) bool) {
	i := sort.Search(len(s), func(i int) bool { return vrp.ComparePrefix(s[i].Prefix, p) >= 0 })
	for ; i < len(s) && vrp.Covers(p, s[i].Prefix); i++ {
		if !yield(s[i]) {
			return
		}
	}
}

func (s sortedRoutes) All(yield func(route.Route) bool) {
	for _, r := range s {
		if !yield(r) {
			return
		}
	}
}

func TestSortedRoutesWithin(t *testing.T) {
	rs := routes(t, "10.0.0.0/8 1", "10.0.0.0/16 2", "10.0.1.0/24 3", "10.1.0.0/16 4", "11.0.0.0/8 5", "2001:db8::/32 6", "9.0.0.0/8 7")
	s := newSortedRoutes(rs)
	for _, p := range []string{"10.0.0.0/16", "10.0.0.0/7", "0.0.0.0/0", "2001:db8::/48", "::/0", "10.0.1.0/25"} {
		var got, want []route.Route
		s.Within(netip.MustParsePrefix(p), func(r route.Route) bool { got = append(got, r); return true })
		route.Slice(s).Within(netip.MustParsePrefix(p), func(r route.Route) bool { want = append(want, r); return true })
		if !slices.Equal(got, want) {
			t.Errorf("Within(%s) = %v, want %v", p, got, want)
		}
	}
}

// syntheticTable builds a deterministic table: n global routes outside
// 10.0.0.0/8 plus, inside it, the holder's routes matching its ROAs.
type synthetic struct {
	routes sortedRoutes
	roas   vrp.Set
	held   func(netip.Prefix) bool
}

func buildSynthetic(nGlobal, nROAs int) synthetic {
	r := rand.New(rand.NewPCG(42, 42))
	rs := make([]route.Route, 0, nGlobal+3*nROAs)
	for len(rs) < nGlobal {
		if r.IntN(6) == 0 {
			var b [16]byte
			b[0], b[1] = 0x2a, byte(r.IntN(256))
			for i := 2; i < 6; i++ {
				b[i] = byte(r.IntN(256))
			}
			rs = append(rs, route.Route{Prefix: netip.PrefixFrom(netip.AddrFrom16(b), 19+r.IntN(30)).Masked(), Origin: uint32(1 + r.IntN(70000))})
			continue
		}
		a := netip.AddrFrom4([4]byte{byte(11 + r.IntN(212)), byte(r.IntN(256)), byte(r.IntN(256)), 0})
		rs = append(rs, route.Route{Prefix: netip.PrefixFrom(a, 8+r.IntN(17)).Masked(), Origin: uint32(1 + r.IntN(70000))})
	}
	var vs []vrp.VRP
	for i := range nROAs {
		// ROA i covers 10.x.y.0/22; the holder announces it and both /23s.
		base := netip.AddrFrom4([4]byte{10, byte(i >> 6), byte(i&63) << 2, 0})
		asn := uint32(64500 + i%50)
		p22 := netip.PrefixFrom(base, 22)
		vs = append(vs, vrp.VRP{Prefix: p22, MaxLen: 23, ASN: asn})
		rs = append(rs, route.Route{Prefix: p22, Origin: asn})
		upper := netip.AddrFrom4([4]byte{10, byte(i >> 6), byte(i&63)<<2 | 2, 0})
		rs = append(rs, route.Route{Prefix: netip.PrefixFrom(base, 23), Origin: asn},
			route.Route{Prefix: netip.PrefixFrom(upper, 23), Origin: asn})
	}
	held := pfx("10.0.0.0/8")
	return synthetic{
		routes: newSortedRoutes(rs),
		roas:   vrp.NewSet(vs),
		held:   func(p netip.Prefix) bool { return prefixesCover(held, p) },
	}
}

func TestSyntheticIsClean(t *testing.T) {
	syn := buildSynthetic(1000, 200)
	a := AnalyzeTable(syn.roas, syn.routes, syn.held)
	if a.ROAStates[ROASeen] != 200 || a.RouteStates["valid"] != 600 || len(a.Routes) != 600 {
		t.Fatalf("synthetic table not as designed: %v %v", a.ROAStates, a.RouteStates)
	}
}

// BenchmarkAnalyzeOneProposal checks a one-prefix change (replace the origin
// of a /22 whose three routes are announced) against a 1.2M-route
// table and 10,000 configured ROAs; it reports the median as p50-ms.
func BenchmarkAnalyzeOneProposal(b *testing.B) {
	syn := buildSynthetic(1_200_000, 10_000)
	in := Input{
		Current: syn.roas,
		Add:     roas(b, "10.1.4.0/22 => AS64999"),
		Remove:  roas(b, "10.1.4.0/22-23 => AS64515"),
		Routes:  syn.routes,
		HeldFunc: func(p netip.Prefix) bool {
			return syn.held(p)
		},
	}
	if res := Analyze(in); len(res.Findings) != 4 || res.Findings[0].Kind != KindInvalidatesRoute {
		b.Fatalf("unexpected findings %v", res.Findings)
	}
	var d []time.Duration
	for b.Loop() {
		t0 := time.Now()
		Analyze(in)
		d = append(d, time.Since(t0))
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkAnalyzeTable10k analyses 10,000 ROAs and their 30,000 routes inside
// a 1.2M-route table.
func BenchmarkAnalyzeTable10k(b *testing.B) {
	syn := buildSynthetic(1_200_000, 10_000)
	for b.Loop() {
		a := AnalyzeTable(syn.roas, syn.routes, syn.held)
		if len(a.ROAs) != 10_000 || len(a.Routes) != 30_000 {
			b.Fatalf("%d ROAs %d routes", len(a.ROAs), len(a.Routes))
		}
	}
}

// BenchmarkSuggest10k runs Suggest over the same data.
func BenchmarkSuggest10k(b *testing.B) {
	syn := buildSynthetic(1_200_000, 10_000)
	for b.Loop() {
		Suggest(syn.roas, syn.routes, nil, syn.held)
	}
}
