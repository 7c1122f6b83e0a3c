package impact

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

func set(t testing.TB, ss ...string) vrp.Set {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func vrps(t testing.TB, ss ...string) []vrp.VRP { return []vrp.VRP(set(t, ss...)) }

// table parses "PREFIX ORIGIN peer,peer" lines (origin NONE for an AS_SET).
func table(t testing.TB, lines ...string) (route.Slice, func(route.Route) []string) {
	t.Helper()
	var rs route.Slice
	peers := map[route.Route][]string{}
	for _, l := range lines {
		f := strings.Fields(l)
		r := route.Route{Prefix: netip.MustParsePrefix(f[0])}
		if f[1] == "NONE" {
			r.NoOrigin = true
		} else {
			asn, err := vrp.ParseASN(f[1])
			if err != nil {
				t.Fatal(err)
			}
			r.Origin = asn
		}
		rs = append(rs, r)
		if len(f) > 2 {
			peers[r] = strings.Split(f[2], ",")
		}
	}
	return rs, func(r route.Route) []string { return peers[r] }
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// noAll is a Source that fails the test when scanned whole: Analyze must
// only read the routes inside the changed prefixes.
type noAll struct {
	route.Slice
	t testing.TB
}

func (n noAll) All(func(route.Route) bool) { n.t.Fatal("Analyze scanned the whole table") }

// TestW1 is the case of the acceptance walk-through: a ROA for another
// origin over the holder's /24 harms the /24 and its /25.
func TestW1(t *testing.T) {
	rs, peers := table(t, "198.51.100.0/24 AS64497 rv1,rv2", "198.51.100.128/25 AS64497 rv2", "203.0.113.0/24 AS64499 rv1")
	rep := Analyze(Input{Routes: noAll{rs, t}, Peers: peers, Added: vrps(t, "198.51.100.0/24 => AS64498"),
		Own: NewSpace(prefixes("198.51.100.0/24", "198.51.100.128/25", "203.0.113.0/24"))})
	got, err := json.Marshal(map[string]any{"impact": rep})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"impact":{"harmed_routes":2,"unprotected_routes":0,"helped_routes":0,"changed_routes":2,` +
		`"transitions":[{"from":"not-found","to":"invalid","count":2,"routes":[` +
		`{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["rv1","rv2"]},` +
		`{"prefix":"198.51.100.128/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["rv2"]}]}],` +
		`"harmed":{"routes":2,"own_routes":2,"ipv4_slash24":1,"ipv6_slash48":0,"own_ipv4_share":0.5,"own_ipv6_share":0,"origins":[64497],"origin_count":1,"peers":["rv1","rv2"],"largest":[` +
		`{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["rv1","rv2"]},` +
		`{"prefix":"198.51.100.128/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-asn","peers":["rv2"]}]},` +
		`"helped":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]}}}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// crafted is a table with every kind of transition in one change; the
// AS0 ROA over 10.2.0.0/15 also makes the AS_SET route 10.3.0.0/16 Invalid.
func crafted(t testing.TB) Input {
	rs, peers := table(t,
		"10.0.0.0/16 AS1 a", "10.0.1.0/24 AS1 a,b", "10.0.2.0/24 AS9 b", // Valid, Valid, Invalid
		"10.1.0.0/16 AS2 a", "10.1.5.0/24 AS2 c", "10.2.0.0/16 AS5 c", // Valid, Invalid (length), NotFound
		"2001:db8::/32 AS3 a", "2001:db8:1::/48 AS3 b", "2001:db8:2::/48 AS7 b", // Valid, Valid, Invalid
		"192.0.2.0/24 AS4 d", "198.18.0.0/15 AS6 a", "203.0.113.0/24 AS10 a", "10.3.0.0/16 NONE a")
	return Input{
		Routes: noAll{rs, t}, Peers: peers,
		Before: set(t, "10.0.0.0/16-24 => AS1", "10.1.0.0/16 => AS2", "2001:db8::/32-48 => AS3", "192.0.2.0/24 => AS4"),
		Added: vrps(t, "10.0.0.0/16 => AS1", "10.1.5.0/24 => AS2", "10.2.0.0/15 => AS0", "2001:db8:1::/48 => AS3",
			"192.0.2.0/24 => AS8", "198.18.0.0/15 => AS6", "10.1.0.0/16 => AS2"), // the last is already there: no-op
		Removed: vrps(t, "10.0.0.0/16-24 => AS1", "2001:db8::/32-48 => AS3", "192.0.2.0/24 => AS4",
			"203.0.113.0/24 => AS10"), // not there: no-op
		Own: NewSpace(prefixes("10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.0.1.0/24", "2001:db8::/32")),
	}
}

func changeText(cs []RouteChange) string {
	var out []string
	for _, c := range cs {
		o := fmt.Sprintf("AS%d", c.Origin)
		if c.NoOrigin {
			o = "NONE"
		}
		out = append(out, fmt.Sprintf("%s %s %s>%s(%s) %s", c.Prefix, o, c.From, c.To, c.Reason, strings.Join(c.Peers, ",")))
	}
	return strings.Join(out, "; ")
}

func reportText(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "harmed %d unprotected %d helped %d changed %d\n", r.HarmedRoutes, r.UnprotectedRoutes, r.HelpedRoutes, r.ChangedRoutes)
	for _, tr := range r.Transitions {
		fmt.Fprintf(&b, "%s>%s %d: %s\n", tr.From, tr.To, tr.Count, changeText(tr.Routes))
	}
	for _, e := range []struct {
		name string
		e    Effect
	}{{"harmed", r.Harmed}, {"helped", r.Helped}} {
		fmt.Fprintf(&b, "%s %d: v4 %g v6 %g share %g/%g origins %v of %d peers %v largest %s\n", e.name, e.e.Routes,
			e.e.IPv4Slash24, e.e.IPv6Slash48, e.e.OwnIPv4Share, e.e.OwnIPv6Share, e.e.Origins, e.e.OriginCount, e.e.Peers, changeText(e.e.Largest))
	}
	return b.String()
}

func TestCraftedTransitions(t *testing.T) {
	got := reportText(Analyze(crafted(t)))
	want := `harmed 4 unprotected 1 helped 3 changed 8
valid>invalid 2: 10.0.1.0/24 AS1 valid>invalid(invalid-length) a,b; 192.0.2.0/24 AS4 valid>invalid(invalid-asn) d
not-found>invalid 2: 10.2.0.0/16 AS5 not-found>invalid(disallowed) c; 10.3.0.0/16 NONE not-found>invalid(disallowed) a
valid>not-found 1: 2001:db8::/32 AS3 valid>not-found(not-found) a
invalid>valid 1: 10.1.5.0/24 AS2 invalid>valid(valid) c
invalid>not-found 1: 2001:db8:2::/48 AS7 invalid>not-found(not-found) b
not-found>valid 1: 198.18.0.0/15 AS6 not-found>valid(valid) a
harmed 4: v4 514 v6 0 share 0.3346354166666667/0 origins [1 4 5] of 3 peers [a b c d] largest 10.2.0.0/16 AS5 not-found>invalid(disallowed) c; 10.3.0.0/16 NONE not-found>invalid(disallowed) a; 10.0.1.0/24 AS1 valid>invalid(invalid-length) a,b; 192.0.2.0/24 AS4 valid>invalid(invalid-asn) d
helped 3: v4 513 v6 1 share 0.0013020833333333333/1.52587890625e-05 origins [2 6 7] of 3 peers [a b c] largest 198.18.0.0/15 AS6 not-found>valid(valid) a; 10.1.5.0/24 AS2 invalid>valid(valid) c; 2001:db8:2::/48 AS7 invalid>not-found(not-found) b
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// The harmed share is the holder's 257 affected /24s of its 768.
	if r := Analyze(crafted(t)); r.Harmed.OwnIPv4Share != 257.0/768 || r.Helped.OwnIPv6Share != 1.0/65536 {
		t.Fatalf("shares %v %v", r.Harmed.OwnIPv4Share, r.Helped.OwnIPv6Share)
	}
}

// TestCraftedLimits caps the listed routes, origins and largest prefixes
// but never the counts.
func TestCraftedLimits(t *testing.T) {
	in := crafted(t)
	in.Limit, in.Top = 1, 1
	got := reportText(Analyze(in))
	want := `harmed 4 unprotected 1 helped 3 changed 8
valid>invalid 2: 10.0.1.0/24 AS1 valid>invalid(invalid-length) a,b
not-found>invalid 2: 10.2.0.0/16 AS5 not-found>invalid(disallowed) c
valid>not-found 1: 2001:db8::/32 AS3 valid>not-found(not-found) a
invalid>valid 1: 10.1.5.0/24 AS2 invalid>valid(valid) c
invalid>not-found 1: 2001:db8:2::/48 AS7 invalid>not-found(not-found) b
not-found>valid 1: 198.18.0.0/15 AS6 not-found>valid(valid) a
harmed 4: v4 514 v6 0 share 0.3346354166666667/0 origins [1] of 3 peers [a b c d] largest 10.2.0.0/16 AS5 not-found>invalid(disallowed) c
helped 3: v4 513 v6 1 share 0.0013020833333333333/1.52587890625e-05 origins [2] of 3 peers [a b c] largest 198.18.0.0/15 AS6 not-found>valid(valid) a
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestBetween: the router side gives two sets; the result is the same as
// the change spelled out, and an AS_SET route under a new VRP turns Invalid.
func TestBetween(t *testing.T) {
	in := crafted(t)
	after := vrp.NewSet(apply(in.Before, in.Added, in.Removed))
	in2 := Input{Routes: in.Routes, Peers: in.Peers, Before: in.Before, Own: in.Own}
	in2.Added, in2.Removed = Between(in.Before, after)
	if a, b := reportText(Analyze(in)), reportText(Analyze(in2)); a != b {
		t.Fatalf("spelled out:\n%s\nbetween sets:\n%s", a, b)
	}
	got := reportText(Analyze(Input{Routes: in.Routes, Before: in.Before, Added: vrps(t, "10.3.0.0/16 => AS64496")}))
	want := "harmed 1 unprotected 0 helped 0 changed 1\nnot-found>invalid 1: 10.3.0.0/16 NONE not-found>invalid(invalid-asn) \n" +
		"harmed 1: v4 256 v6 0 share 0/0 origins [] of 0 peers [] largest 10.3.0.0/16 NONE not-found>invalid(invalid-asn) \n" +
		"helped 0: v4 0 v6 0 share 0/0 origins [] of 0 peers [] largest \n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

// TestNoChange: no-ops and malformed VRPs change nothing.
func TestNoChange(t *testing.T) {
	in := crafted(t)
	bad := vrp.VRP{Prefix: netip.MustParsePrefix("10.0.0.0/16"), MaxLen: 8, ASN: 1}
	r := Analyze(Input{Routes: in.Routes, Before: in.Before, Added: append(vrps(t, "10.1.0.0/16 => AS2"), bad),
		Removed: vrps(t, "10.9.0.0/16 => AS2")})
	if got := reportText(r); got != "harmed 0 unprotected 0 helped 0 changed 0\n"+
		"harmed 0: v4 0 v6 0 share 0/0 origins [] of 0 peers [] largest \n"+
		"helped 0: v4 0 v6 0 share 0/0 origins [] of 0 peers [] largest \n" || r.Transitions == nil {
		t.Fatalf("got %q", got)
	}
}

// TestSpaceContains: a prefix is inside the space when one prefix covers it
// or the prefixes inside it fill it.
func TestSpaceContains(t *testing.T) {
	s := NewSpace(prefixes("10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/25", "10.1.0.0/16", "2001:db8::/33", "2001:db8:8000::/34"))
	for p, want := range map[string]bool{
		"10.0.0.0/24": true, "10.0.0.0/25": true, "10.0.1.0/24": false, "10.0.0.0/23": false,
		"10.1.2.0/24": true, "10.1.0.0/16": true, "10.0.0.0/8": false, "10.2.0.0/24": false,
		"2001:db8::/32": false, "2001:db8::/34": true, "2001:db8:8000::/34": true, "2001:db8:c000::/34": false,
	} {
		if got := s.Contains(netip.MustParsePrefix(p)); got != want {
			t.Errorf("Contains(%s) = %v", p, got)
		}
	}
}
