package bgp

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/testshared"
)

const targetRoutes = 1_200_000

// fullTableRoutes returns the 2010 table's (prefix, origin) pairs, plus
// synthetic more-specifics (halves of every IPv4 prefix up to /23, same
// origin) and IPv6 routes in 2000::/3 until there are n routes.
func fullTableRoutes(tb testing.TB, n int) []route.Route {
	tb.Helper()
	f, err := os.Open(fullTable2010(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	_, base, err := Import(context.Background(), f)
	if err != nil {
		tb.Fatal(err)
	}
	// unique (prefix, origin) pairs, at most 8 origins per prefix (loadLive
	// gives each origin of a prefix its own peer)
	seen := map[route.Route]bool{}
	perPrefix := map[netip.Prefix]int{}
	var out []route.Route
	push := func(r route.Route) {
		if !seen[r] && perPrefix[r.Prefix] < 8 {
			seen[r] = true
			perPrefix[r.Prefix]++
			out = append(out, r)
		}
	}
	for _, r := range base {
		push(r)
	}
	for _, r := range base {
		if len(out) >= n*3/4 {
			break
		}
		if b := r.Prefix.Bits(); b <= 23 && r.Prefix.Addr().Is4() {
			lo := netip.PrefixFrom(r.Prefix.Addr(), b+1)
			a := r.Prefix.Addr().As4()
			a[(b)/8] |= 0x80 >> (b % 8)
			hi := netip.PrefixFrom(netip.AddrFrom4(a), b+1)
			push(route.Route{Prefix: lo, Origin: r.Origin})
			push(route.Route{Prefix: hi, Origin: r.Origin})
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for len(out) < n {
		var a [16]byte
		a[0] = 0x20 | byte(rng.IntN(2))
		for i := 1; i < 8; i++ {
			a[i] = byte(rng.Uint32())
		}
		bits := 32 + rng.IntN(17)
		push(route.Route{Prefix: netip.PrefixFrom(netip.AddrFrom16(a), bits).Masked(), Origin: 64496 + uint32(rng.IntN(100000))})
	}
	return out[:n]
}

// heapInuse returns HeapInuse after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// loadLive feeds routes one by one in random order from 16 peers, the way
// the speaker does: the k-th origin of a prefix comes from peer k, and every
// third route also from peer 8+k.
func loadLive(t *Table, routes []route.Route) {
	var ids [16]PeerID
	for i := range ids {
		ids[i], _ = t.Peer("bgp:peer" + string(rune('a'+i)))
	}
	rank := make([]uint8, len(routes))
	count := map[netip.Prefix]uint8{}
	for i, r := range routes {
		rank[i] = count[r.Prefix]
		count[r.Prefix]++
	}
	clear(count)
	rng := rand.New(rand.NewPCG(1, 1))
	order := rng.Perm(len(routes))
	now := time.Unix(1700000000, 0)
	for _, i := range order {
		k := rank[i] % 8
		t.Add(ids[k], routes[i], now)
		if i%3 == 0 {
			t.Add(ids[8+k], routes[i], now)
		}
	}
}

func measure(tb testing.TB, routes []route.Route, load func(*Table)) (float64, *Table) {
	before := heapInuse()
	t := NewTable()
	load(t)
	after := heapInuse()
	runtime.KeepAlive(routes)
	return float64(after-before) / float64(t.Len()), t
}

// TestMemoryPerRoute: the table stays under 100 bytes per route at 1.2
// million routes, fed randomly like a BGP session and in bulk like an import.
func TestMemoryPerRoute(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	routes := fullTableRoutes(t, targetRoutes)
	live, tl := measure(t, routes, func(tb *Table) { loadLive(tb, routes) })
	bulk, tbk := measure(t, routes, func(tb *Table) {
		id, _ := tb.Peer("import:x")
		tb.ReplacePeer(id, routes, time.Unix(0, 0))
	})
	t.Logf("%d routes: %.1f bytes/route fed live, %.1f bytes/route bulk", tl.Len(), live, bulk)
	if tl.Len() != targetRoutes || tbk.Len() != targetRoutes {
		t.Fatalf("table sizes %d %d", tl.Len(), tbk.Len())
	}
	if live > 100 || bulk > 100 {
		t.Fatalf("over 100 bytes per route: live %.1f bulk %.1f", live, bulk)
	}
}

func BenchmarkMemoryPerRoute(b *testing.B) {
	routes := fullTableRoutes(b, targetRoutes)
	for b.Loop() {
		per, _ := measure(b, routes, func(tb *Table) { loadLive(tb, routes) })
		b.ReportMetric(per, "bytes/route")
	}
}

func BenchmarkLiveAdd(b *testing.B) {
	routes := fullTableRoutes(b, targetRoutes)
	for b.Loop() {
		loadLive(NewTable(), routes)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(routes)*4/3), "ns/add")
}

func benchWithin(b *testing.B, bits int) {
	routes := fullTableRoutes(b, targetRoutes)
	t := NewTable()
	loadLive(t, routes)
	snap := t.Snapshot()
	rng := rand.New(rand.NewPCG(3, 3))
	var qs []netip.Prefix
	for range 4096 {
		r := routes[rng.IntN(len(routes))]
		if r.Prefix.Addr().Is4() && r.Prefix.Bits() >= bits {
			qs = append(qs, netip.PrefixFrom(r.Prefix.Addr(), bits).Masked())
		}
	}
	found := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		snap.Within(qs[i%len(qs)], func(route.Route) bool { found++; return true })
	}
	b.ReportMetric(float64(found)/float64(b.N), "routes/op")
}

func BenchmarkWithin24(b *testing.B) { benchWithin(b, 24) }
func BenchmarkWithin16(b *testing.B) { benchWithin(b, 16) }

func BenchmarkImportText2010(b *testing.B) {
	table := fullTable2010(b)
	for b.Loop() {
		f, _ := os.Open(table)
		st, _, err := Import(context.Background(), f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Routes), "routes")
	}
}

func BenchmarkImportMRT2002(b *testing.B) {
	path := testshared.Corpus(b, "bgpdump/test_data/bview.20020722.2337.gz")
	for b.Loop() {
		f, _ := os.Open(path)
		st, _, err := Import(context.Background(), f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Routes), "routes")
	}
}
