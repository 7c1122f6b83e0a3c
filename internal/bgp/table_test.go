package bgp

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func collect(src route.Source, p netip.Prefix) []route.Route {
	var out []route.Route
	fn := func(r route.Route) bool { out = append(out, r); return true }
	if p.IsValid() {
		src.Within(p, fn)
	} else {
		src.All(fn)
	}
	return out
}

func TestTableBasics(t *testing.T) {
	tb := NewTable()
	a, _ := tb.Peer("peer:a")
	b, _ := tb.Peer("peer:b")
	now := time.Unix(1700000000, 0)
	tb.Add(a, route.Route{Prefix: mustPrefix("192.0.2.0/24"), Origin: 64496}, now)
	tb.Add(b, route.Route{Prefix: mustPrefix("192.0.2.0/24"), Origin: 64496}, now.Add(time.Second))
	tb.Add(a, route.Route{Prefix: mustPrefix("192.0.2.128/25"), Origin: 64497}, now)
	tb.Add(b, route.Route{Prefix: mustPrefix("192.0.2.0/25"), NoOrigin: true, Origin: 5}, now)
	tb.Add(a, route.Route{Prefix: mustPrefix("2001:db8::/32"), Origin: 64498}, now)
	tb.Add(a, route.Route{Prefix: mustPrefix("10.0.0.0/8"), Origin: 1}, now)
	if tb.Len() != 5 {
		t.Fatalf("Len=%d want 5", tb.Len())
	}
	got := collect(tb, mustPrefix("192.0.2.0/24"))
	want := []route.Route{
		{Prefix: mustPrefix("192.0.2.0/24"), Origin: 64496},
		{Prefix: mustPrefix("192.0.2.0/25"), NoOrigin: true},
		{Prefix: mustPrefix("192.0.2.128/25"), Origin: 64497},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Within=%v want %v", got, want)
	}
	es := tb.Lookup(mustPrefix("192.0.2.0/24"))
	if len(es) != 1 || !slices.Equal(es[0].Peers, []string{"peer:a", "peer:b"}) || es[0].LastSeen.Unix() != 1700000001 || es[0].Origin != 64496 {
		t.Fatalf("Lookup=%+v", es)
	}
	// implicit withdraw: peer a now announces the /24 from another origin
	tb.Add(a, route.Route{Prefix: mustPrefix("192.0.2.0/24"), Origin: 64499}, now)
	es = tb.Lookup(mustPrefix("192.0.2.0/24"))
	if len(es) != 2 || es[0].Origin != 64496 || !slices.Equal(es[0].Peers, []string{"peer:b"}) || es[1].Origin != 64499 {
		t.Fatalf("after implicit withdraw Lookup=%+v", es)
	}
	snap := tb.Snapshot()
	tb.Withdraw(b, mustPrefix("192.0.2.0/24"))
	tb.DropPeer(a)
	if got := collect(tb, netip.Prefix{}); !slices.Equal(got, []route.Route{{Prefix: mustPrefix("192.0.2.0/25"), NoOrigin: true}}) {
		t.Fatalf("after drop: %v", got)
	}
	if n := len(collect(snap, netip.Prefix{})); n != 6 {
		t.Fatalf("snapshot changed: %d routes", n)
	}
	if tb.PeerName(a) != "" {
		t.Fatal("dropped peer still named")
	}
}

// model is the brute-force reference: peer -> prefix -> origin key.
type model map[PeerID]map[netip.Prefix]route.Route

func (m model) routes() []route.Route {
	set := map[route.Route]bool{}
	for _, ps := range m {
		for _, r := range ps {
			set[r] = true
		}
	}
	var out []route.Route
	for r := range set {
		out = append(out, r)
	}
	sortRoutes(out)
	return out
}

func sortRoutes(rs []route.Route) {
	slices.SortFunc(rs, func(a, b route.Route) int { return compareKey(routeKey(a), routeKey(b)) })
}

func randPrefix(rng *rand.Rand) netip.Prefix {
	if rng.IntN(3) == 0 {
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		b[4] = byte(rng.IntN(4))
		b[5] = byte(rng.IntN(4))
		return netip.PrefixFrom(netip.AddrFrom16(b), 32+rng.IntN(17)).Masked()
	}
	b := [4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(4)), byte(rng.IntN(256))}
	return netip.PrefixFrom(netip.AddrFrom4(b), 8+rng.IntN(25)).Masked()
}

func TestTableMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tb := NewTable()
	m := model{}
	var ids []PeerID
	for i := range 5 {
		id, err := tb.Peer(string(rune('a' + i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		m[id] = map[netip.Prefix]route.Route{}
	}
	type snapAt struct {
		s    route.Source
		want []route.Route
	}
	var snaps []snapAt
	for step := range 20000 {
		peer := ids[rng.IntN(len(ids))]
		p := randPrefix(rng)
		switch op := rng.IntN(100); {
		case op < 70:
			r := route.Route{Prefix: p, Origin: uint32(64496 + rng.IntN(3))}
			if rng.IntN(20) == 0 {
				r = route.Route{Prefix: p, NoOrigin: true}
			}
			tb.Add(peer, r, time.Unix(int64(step), 0))
			m[peer][p] = r
		case op < 95:
			tb.Withdraw(peer, p)
			delete(m[peer], p)
		case op < 96:
			tb.DropPeer(peer)
			name := string(rune('a' + int(peer)))
			if _, err := tb.Peer(name); err != nil {
				t.Fatal(err)
			}
			m[peer] = map[netip.Prefix]route.Route{}
		case op < 97:
			var rs []route.Route
			for range rng.IntN(300) {
				rs = append(rs, route.Route{Prefix: randPrefix(rng), Origin: 64500})
			}
			tb.ReplacePeer(peer, rs, time.Unix(int64(step), 0))
			m[peer] = map[netip.Prefix]route.Route{}
			for _, r := range rs {
				m[peer][r.Prefix] = r // later duplicates win, same origin here
			}
		default:
			snaps = append(snaps, snapAt{tb.Snapshot(), m.routes()})
		}
		if step%1000 == 999 {
			want := m.routes()
			if got := collect(tb, netip.Prefix{}); !slices.Equal(got, want) {
				t.Fatalf("step %d: All has %d routes, model %d", step, len(got), len(want))
			}
			if tb.Len() != len(want) {
				t.Fatalf("Len %d want %d", tb.Len(), len(want))
			}
			for range 50 {
				q := randPrefix(rng)
				got := collect(tb, q)
				exp := collect(route.Slice(want), q)
				if !slices.Equal(got, exp) {
					t.Fatalf("Within(%v)=%v want %v", q, got, exp)
				}
			}
		}
	}
	for i, s := range snaps {
		if got := collect(s.s, netip.Prefix{}); !slices.Equal(got, s.want) {
			t.Fatalf("snapshot %d changed: %d routes want %d", i, len(got), len(s.want))
		}
	}
}

func TestWithinEdges(t *testing.T) {
	tb := NewTable()
	p, _ := tb.Peer("x")
	for _, s := range []string{"0.0.0.0/0 => AS1", "255.255.255.255/32 => AS2", "::/0 => AS3", "ffff::/16 => AS4", "2001:db8::1/128 => AS5"} {
		v, err := vrp.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		tb.Add(p, route.Route{Prefix: v.Prefix, Origin: v.ASN}, time.Unix(0, 0))
	}
	cases := map[string]int{"0.0.0.0/0": 2, "255.255.255.255/32": 1, "128.0.0.0/1": 1, "::/0": 3, "ffff::/16": 1, "2001:db8::/32": 1, "2001:db8::1/128": 1, "2001:db8::2/127": 0}
	for q, n := range cases {
		if got := collect(tb, mustPrefix(q)); len(got) != n {
			t.Errorf("Within(%s)=%v want %d", q, got, n)
		}
	}
}

func TestEntryJSON(t *testing.T) {
	tb := NewTable()
	a, _ := tb.Peer("bgp:192.0.2.9")
	b, _ := tb.Peer("import:ris")
	tb.Add(a, route.Route{Prefix: mustPrefix("192.0.2.0/24"), NoOrigin: true}, time.Unix(1700000000, 0))
	tb.Add(b, route.Route{Prefix: mustPrefix("192.0.2.0/24"), NoOrigin: true}, time.Unix(1600000000, 0))
	tb.Add(b, route.Route{Prefix: mustPrefix("192.0.2.0/25"), Origin: 64496}, time.Unix(1600000000, 0))
	got, err := json.Marshal(tb.Entries(mustPrefix("192.0.2.0/24"), false, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"prefix":"192.0.2.0/24","origin":0,"no_origin":true,"peers":["bgp:192.0.2.9","import:ris"],"last_seen":"2023-11-14T22:13:20Z"},` +
		`{"prefix":"192.0.2.0/25","origin":64496,"peers":["import:ris"],"last_seen":"2020-09-13T12:26:40Z"}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if es := tb.Entries(mustPrefix("192.0.2.0/24"), true, 0); len(es) != 1 {
		t.Fatalf("exact: %+v", es)
	}
	if es := tb.Entries(netip.Prefix{}, false, 1); len(es) != 1 {
		t.Fatalf("limit: %+v", es)
	}
}

func TestParsePeer(t *testing.T) {
	p, err := ParsePeer("64501@127.0.0.1")
	if err != nil || p != (Peer{ASN: 64501, Address: "127.0.0.1"}) {
		t.Fatalf("%+v %v", p, err)
	}
	p, err = ParsePeer("AS4200000000@2001:db8::1")
	if err != nil || p != (Peer{ASN: 4200000000, Address: "2001:db8::1"}) {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"64501", "0@127.0.0.1", "x@127.0.0.1", "64501@host"} {
		if _, err := ParsePeer(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
