package impact

import (
	"cmp"
	"context"
	"math"
	"math/big"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/vrp"
)

// fullTable is the 2010 RouteViews table in a bgp.Table, one source per
// collector peer, with the same routes and peers kept apart for the brute
// force.
type fullTable struct {
	snap   route.Source
	table  *bgp.Table
	routes []route.Route            // unique (prefix, origin), sorted
	peers  map[route.Route][]string // sorted peer names
}

func loadFullTable(t testing.TB) fullTable {
	t.Helper()
	f, err := os.Open(testshared.Corpus(t, "bgpdump/test_expect/bview.20100701.0759.gz.bgp.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byPeer := map[string][]route.Route{}
	peers := map[route.Route][]string{}
	_, err = bgp.Decode(context.Background(), f, func(ev bgp.Event) error {
		if ev.Kind == bgp.EventAnnounce {
			name := ev.Peer.Addr.String()
			byPeer[name] = append(byPeer[name], ev.Route)
			if !slices.Contains(peers[ev.Route], name) {
				peers[ev.Route] = append(peers[ev.Route], name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ft := fullTable{table: bgp.NewTable(), peers: peers}
	for name, rs := range byPeer {
		id, err := ft.table.Peer(name)
		if err != nil {
			t.Fatal(err)
		}
		ft.table.ReplacePeer(id, rs, time.Unix(1277971199, 0))
	}
	for r, ps := range peers {
		slices.Sort(ps)
		ft.routes = append(ft.routes, r)
	}
	slices.SortFunc(ft.routes, compareRoute)
	ft.snap = ft.table.Snapshot()
	if len(ft.routes) != ft.table.Len() || len(byPeer) != 4 {
		t.Fatalf("%d routes, table %d, %d peers", len(ft.routes), ft.table.Len(), len(byPeer))
	}
	return ft
}

// peersOf is the production way to name a route's peers: the table's entry.
func (ft fullTable) peersOf(r route.Route) []string {
	for _, e := range ft.table.Lookup(r.Prefix) {
		if e.Origin == r.Origin && e.NoOrigin == r.NoOrigin {
			return e.Peers
		}
	}
	return nil
}

// syntheticVRPs authorizes a third of the routes exactly, a seventh with a
// loose maxLength and a wrong origin (so the routes they cover are Invalid),
// and puts AS0 on every 997th prefix.
func syntheticVRPs(rs []route.Route) vrp.Set {
	var vs []vrp.VRP
	for i, r := range rs {
		bits, max := r.Prefix.Bits(), r.Prefix.Addr().BitLen()
		switch {
		case r.NoOrigin:
		case i%997 == 0:
			vs = append(vs, vrp.VRP{Prefix: r.Prefix, MaxLen: uint8(bits), ASN: 0})
		case i%3 == 0:
			vs = append(vs, vrp.VRP{Prefix: r.Prefix, MaxLen: uint8(bits), ASN: r.Origin})
		case i%7 == 0:
			vs = append(vs, vrp.VRP{Prefix: r.Prefix, MaxLen: uint8(min(bits+2, max)), ASN: r.Origin + 1})
		}
	}
	return vrp.NewSet(vs)
}

type proposal struct {
	name           string
	added, removed []vrp.VRP
}

func fullTableProposals(t *testing.T, ft fullTable, before vrp.Set, bix *vrp.Index) []proposal {
	var ps []proposal
	ps = append(ps, proposal{name: "as0-over-a-slash8", added: vrps(t, "12.0.0.0/8 => AS0")})
	var rem, add, swapA, swapR, agg []vrp.VRP
	for i, v := range before {
		if i%50 == 0 {
			rem = append(rem, v)
		}
		if i%333 == 1 && v.ASN != 0 {
			swapR = append(swapR, v)
			swapA = append(swapA, vrp.VRP{Prefix: v.Prefix, MaxLen: v.MaxLen, ASN: v.ASN + 100})
		}
	}
	var w1 []vrp.VRP
	for i, r := range ft.routes {
		if i%400 == 0 && !r.NoOrigin {
			add = append(add, vrp.VRP{Prefix: r.Prefix, MaxLen: uint8(r.Prefix.Bits()), ASN: 64496})
		}
		if i%5 == 0 && r.Prefix.Bits() <= 20 && !r.NoOrigin {
			agg = append(agg, vrp.VRP{Prefix: r.Prefix, MaxLen: uint8(r.Prefix.Bits()), ASN: r.Origin})
		}
		// the W1 shape: a ROA for another origin over a /16 announced
		// with more-specifics and not covered by any VRP yet
		if w1 == nil && r.Prefix.Bits() == 16 && len(bix.Covering(r.Prefix)) == 0 && i+1 < len(ft.routes) &&
			r.Prefix.Contains(ft.routes[i+1].Prefix.Addr()) {
			w1 = []vrp.VRP{{Prefix: r.Prefix, MaxLen: 24, ASN: 64498}}
		}
	}
	ps = append(ps, proposal{name: "w1-shape", added: w1},
		proposal{name: "remove-every-50th", removed: rem},
		proposal{name: "foreign-origin-every-400th-route", added: add},
		proposal{name: "swap-origin", added: swapA, removed: swapR},
		proposal{name: "roas-for-aggregates", added: agg})
	// The router side: a whole other VRP set.
	half := vrp.NewSet(append(slices.Clone(before[:len(before)/2]), add...))
	a, r := Between(before, half)
	ps = append(ps, proposal{name: "new-set", added: a, removed: r})
	return ps
}

// TestFullTable2010 measures proposals against the 2010 table (323,752
// routes from 4 peers) and checks every figure against a brute force that
// re-validates every route before and after with full indexes.
func TestFullTable2010(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ft := loadFullTable(t)
	before := syntheticVRPs(ft.routes)
	var own []netip.Prefix
	for _, r := range ft.routes {
		if r.Origin%10 == 0 {
			own = append(own, r.Prefix)
		}
	}
	bix := vrp.NewIndex(before)
	for _, p := range fullTableProposals(t, ft, before, bix) {
		t.Run(p.name, func(t *testing.T) {
			in := Input{Routes: ft.snap, Peers: ft.peersOf, Before: before, Added: p.added, Removed: p.removed, Own: NewSpace(own), Limit: 20, Top: 7}
			start := time.Now()
			got := Analyze(in)
			took := time.Since(start)
			want := bruteForce(ft, bix, before, p, own, 20, 7)
			compareReports(t, got, want)
			t.Logf("+%d -%d VRPs: harmed %d (%d own; %g /24s, %g /48s, own share %.4f), unprotected %d, helped %d (%d own); %v",
				len(p.added), len(p.removed), got.HarmedRoutes, got.Harmed.OwnRoutes, got.Harmed.IPv4Slash24, got.Harmed.IPv6Slash48,
				got.Harmed.OwnIPv4Share, got.UnprotectedRoutes, got.HelpedRoutes, got.Helped.OwnRoutes, took)
			// pinned, so that a bug shared by both sides still shows
			if c := []int{got.HarmedRoutes, got.UnprotectedRoutes, got.HelpedRoutes}; !slices.Equal(c, pinned[p.name]) {
				t.Fatalf("harmed, unprotected, helped = %v, pinned %v", c, pinned[p.name])
			}
		})
	}
}

// pinned are the harmed, unprotected and helped routes of each proposal.
var pinned = map[string][]int{
	"as0-over-a-slash8":                {695, 0, 0},
	"w1-shape":                         {2, 0, 0},
	"remove-every-50th":                {503, 1653, 1368},
	"foreign-origin-every-400th-route": {415, 0, 0},
	"swap-origin":                      {327, 0, 0},
	"roas-for-aggregates":              {8278, 0, 9345},
	"new-set":                          {607, 53699, 37913},
}

// bruteForce validates every route against full indexes of both sets and
// measures space by merging address intervals.
func bruteForce(ft fullTable, bix *vrp.Index, before vrp.Set, p proposal, own []netip.Prefix, limit, top int) Report {
	gone := map[vrp.VRP]bool{}
	for _, v := range p.removed {
		gone[v] = true
	}
	after := slices.DeleteFunc(slices.Clone(before), func(v vrp.VRP) bool { return gone[v] })
	after = vrp.NewSet(append(after, p.added...))
	aix := vrp.NewIndex(after)
	var changes []RouteChange
	for _, r := range ft.routes {
		from := bix.Validate(r.Prefix, r.Origin, r.NoOrigin)
		to := aix.Validate(r.Prefix, r.Origin, r.NoOrigin)
		if from != to {
			changes = append(changes, RouteChange{Prefix: r.Prefix, Origin: r.Origin, NoOrigin: r.NoOrigin,
				From: from, To: to, Reason: aix.Classify(r.Prefix, r.Origin, r.NoOrigin), Peers: ft.peers[r]})
		}
	}
	out := Report{ChangedRoutes: len(changes), Transitions: []Transition{}}
	for _, ft := range transitionOrder {
		tr := Transition{From: ft[0], To: ft[1]}
		for _, c := range changes {
			if c.From == tr.From && c.To == tr.To {
				tr.Count++
				if len(tr.Routes) < limit {
					tr.Routes = append(tr.Routes, c)
				}
			}
		}
		if tr.Count > 0 {
			out.Transitions = append(out.Transitions, tr)
		}
	}
	var harmed, helped []RouteChange
	for _, c := range changes {
		switch {
		case c.To == vrp.Invalid:
			harmed = append(harmed, c)
		case c.From == vrp.Invalid || c.To == vrp.Valid:
			helped = append(helped, c)
		default:
			out.UnprotectedRoutes++
		}
	}
	out.HarmedRoutes, out.HelpedRoutes = len(harmed), len(helped)
	out.Harmed, out.Helped = bruteEffect(harmed, own, limit, top), bruteEffect(helped, own, limit, top)
	return out
}

func bruteEffect(cs []RouteChange, own []netip.Prefix, limit, top int) Effect {
	e := Effect{Routes: len(cs)}
	var ps []netip.Prefix
	originSet, peerSet := map[uint32]bool{}, map[string]bool{}
	mine4, mine6 := merge(own, true), merge(own, false)
	for _, c := range cs {
		ps = append(ps, c.Prefix)
		mine := mine4
		if !c.Prefix.Addr().Is4() {
			mine = mine6
		}
		if inside(merge([]netip.Prefix{c.Prefix}, c.Prefix.Addr().Is4())[0], mine) {
			e.OwnRoutes++
		}
		if !c.NoOrigin {
			originSet[c.Origin] = true
		}
		for _, p := range c.Peers {
			peerSet[p] = true
		}
	}
	for o := range originSet {
		e.Origins = append(e.Origins, o)
	}
	slices.Sort(e.Origins)
	e.OriginCount = len(e.Origins)
	e.Origins = e.Origins[:min(limit, len(e.Origins))]
	for p := range peerSet {
		e.Peers = append(e.Peers, p)
	}
	slices.Sort(e.Peers)
	for fam, unit := range []int{24, 48} {
		is4 := fam == 0
		hit, mine := merge(ps, is4), merge(own, is4)
		total, inOwn, all := span(hit), span(overlap(hit, mine)), span(mine)
		v, _ := new(big.Float).Quo(new(big.Float).SetInt(total), new(big.Float).SetMantExp(big.NewFloat(1), bitLen(is4)-unit)).Float64()
		share := 0.0
		if all.Sign() > 0 {
			share, _ = new(big.Float).Quo(new(big.Float).SetInt(inOwn), new(big.Float).SetInt(all)).Float64()
		}
		if is4 {
			e.IPv4Slash24, e.OwnIPv4Share = v, share
		} else {
			e.IPv6Slash48, e.OwnIPv6Share = v, share
		}
	}
	// largest: fewest bits beyond /24 (IPv4) or /48 (IPv6), IPv4 first on a tie
	largest := slices.Clone(cs)
	slices.SortStableFunc(largest, func(a, b RouteChange) int {
		ka, kb := a.Prefix.Bits()-24, b.Prefix.Bits()-24
		if !a.Prefix.Addr().Is4() {
			ka = a.Prefix.Bits() - 48
		}
		if !b.Prefix.Addr().Is4() {
			kb = b.Prefix.Bits() - 48
		}
		if c := cmp.Compare(ka, kb); c != 0 {
			return c
		}
		if a.Prefix.Addr().Is4() != b.Prefix.Addr().Is4() {
			if a.Prefix.Addr().Is4() {
				return -1
			}
			return 1
		}
		return 0
	})
	e.Largest = largest[:min(top, len(largest))]
	return e
}

func bitLen(is4 bool) int {
	if is4 {
		return 32
	}
	return 128
}

// interval is an inclusive address range.
type interval struct{ lo, hi *big.Int }

func merge(ps []netip.Prefix, is4 bool) []interval {
	var iv []interval
	for _, p := range ps {
		if p.Addr().Is4() != is4 {
			continue
		}
		lo := new(big.Int).SetBytes(p.Masked().Addr().AsSlice())
		n := new(big.Int).Lsh(big.NewInt(1), uint(bitLen(is4)-p.Bits()))
		iv = append(iv, interval{lo, new(big.Int).Sub(new(big.Int).Add(lo, n), big.NewInt(1))})
	}
	slices.SortFunc(iv, func(a, b interval) int { return a.lo.Cmp(b.lo) })
	var out []interval
	for _, x := range iv {
		if n := len(out); n > 0 && x.lo.Cmp(new(big.Int).Add(out[n-1].hi, big.NewInt(1))) <= 0 {
			if x.hi.Cmp(out[n-1].hi) > 0 {
				out[n-1].hi = x.hi
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// inside reports whether x lies in one of the merged intervals iv.
func inside(x interval, iv []interval) bool {
	i, _ := slices.BinarySearchFunc(iv, x, func(a, b interval) int { return a.lo.Cmp(b.lo) })
	if i < len(iv) && iv[i].lo.Cmp(x.lo) == 0 {
		return iv[i].hi.Cmp(x.hi) >= 0
	}
	return i > 0 && iv[i-1].hi.Cmp(x.hi) >= 0
}

func overlap(a, b []interval) []interval {
	var out []interval
	for i, j := 0, 0; i < len(a) && j < len(b); {
		lo, hi := a[i].lo, a[i].hi
		if b[j].lo.Cmp(lo) > 0 {
			lo = b[j].lo
		}
		if b[j].hi.Cmp(hi) < 0 {
			hi = b[j].hi
		}
		if lo.Cmp(hi) <= 0 {
			out = append(out, interval{lo, hi})
		}
		if a[i].hi.Cmp(b[j].hi) < 0 {
			i++
		} else {
			j++
		}
	}
	return out
}

func span(iv []interval) *big.Int {
	n := new(big.Int)
	for _, x := range iv {
		n.Add(n, new(big.Int).Add(new(big.Int).Sub(x.hi, x.lo), big.NewInt(1)))
	}
	return n
}

func compareReports(t *testing.T, got, want Report) {
	t.Helper()
	if got.HarmedRoutes != want.HarmedRoutes || got.UnprotectedRoutes != want.UnprotectedRoutes ||
		got.HelpedRoutes != want.HelpedRoutes || got.ChangedRoutes != want.ChangedRoutes {
		t.Fatalf("counts: got %d/%d/%d/%d want %d/%d/%d/%d", got.HarmedRoutes, got.UnprotectedRoutes, got.HelpedRoutes,
			got.ChangedRoutes, want.HarmedRoutes, want.UnprotectedRoutes, want.HelpedRoutes, want.ChangedRoutes)
	}
	if len(got.Transitions) != len(want.Transitions) {
		t.Fatalf("%d transitions, want %d", len(got.Transitions), len(want.Transitions))
	}
	for i, g := range got.Transitions {
		w := want.Transitions[i]
		if g.From != w.From || g.To != w.To || g.Count != w.Count || changeText(g.Routes) != changeText(w.Routes) {
			t.Fatalf("transition %d:\ngot  %s>%s %d %s\nwant %s>%s %d %s", i, g.From, g.To, g.Count, changeText(g.Routes), w.From, w.To, w.Count, changeText(w.Routes))
		}
	}
	for _, e := range []struct {
		name      string
		got, want Effect
	}{{"harmed", got.Harmed, want.Harmed}, {"helped", got.Helped, want.Helped}} {
		g, w := e.got, e.want
		if g.Routes != w.Routes || g.OwnRoutes != w.OwnRoutes || !near(g.IPv4Slash24, w.IPv4Slash24) || !near(g.IPv6Slash48, w.IPv6Slash48) ||
			!near(g.OwnIPv4Share, w.OwnIPv4Share) || !near(g.OwnIPv6Share, w.OwnIPv6Share) ||
			!slices.Equal(g.Origins, w.Origins) || g.OriginCount != w.OriginCount || !slices.Equal(g.Peers, w.Peers) {
			t.Fatalf("%s:\ngot  %d (%d own) %g %g %g %g %v %d %v\nwant %d (%d own) %g %g %g %g %v %d %v", e.name,
				g.Routes, g.OwnRoutes, g.IPv4Slash24, g.IPv6Slash48, g.OwnIPv4Share, g.OwnIPv6Share, g.Origins, g.OriginCount, g.Peers,
				w.Routes, w.OwnRoutes, w.IPv4Slash24, w.IPv6Slash48, w.OwnIPv4Share, w.OwnIPv6Share, w.Origins, w.OriginCount, w.Peers)
		}
		if changeText(g.Largest) != changeText(w.Largest) {
			t.Fatalf("%s largest:\ngot  %s\nwant %s", e.name, changeText(g.Largest), changeText(w.Largest))
		}
	}
}

// near allows the rounding of summing many powers of two in a float64.
func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}
