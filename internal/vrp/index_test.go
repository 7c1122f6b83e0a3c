package vrp

import (
	"compress/gzip"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

func mustSet(t testing.TB, lines ...string) Set {
	t.Helper()
	vs := make([]VRP, 0, len(lines))
	for _, l := range lines {
		v, err := Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return NewSet(vs)
}

func TestIndexValidate(t *testing.T) {
	ix := NewIndex(mustSet(t,
		"10.0.0.0/16 => AS65001",
		"10.0.0.0/16-24 => AS65002",
		"10.1.0.0/16 => AS0",
		"10.1.2.0/24 => AS65003",
		"192.0.2.0/24-32 => AS65004",
		"2001:db8::/32-48 => AS65005",
		"2001:db8:1::/48-128 => AS65006",
		"2001:db8:2::/48 => AS0",
	))
	cases := []struct {
		route    string
		origin   uint32
		noOrigin bool
		want     State
		reason   Reason
	}{
		{"10.0.0.0/16", 65001, false, Valid, ReasonValid},
		{"10.0.1.0/24", 65001, false, Invalid, ReasonInvalidLength},
		{"10.0.1.0/24", 65002, false, Valid, ReasonValid},
		{"10.0.1.0/25", 65002, false, Invalid, ReasonInvalidLength},
		{"10.0.1.0/24", 65009, false, Invalid, ReasonInvalidASN},
		{"10.0.0.0/16", 65001, true, Invalid, ReasonInvalidASN}, // AS_SET: NONE matches nothing
		{"10.0.0.0/8", 65001, false, NotFound, ReasonNotFound},  // less specific than every VRP
		{"11.0.0.0/16", 65001, false, NotFound, ReasonNotFound},
		{"10.1.0.0/16", 0, false, Invalid, ReasonDisallowed}, // AS0 never matches, even origin 0
		{"10.1.3.0/24", 65003, false, Invalid, ReasonDisallowed},
		{"10.1.2.0/24", 65003, false, Valid, ReasonValid},
		{"10.1.2.0/25", 65003, false, Invalid, ReasonInvalidLength},
		{"192.0.2.255/32", 65004, false, Valid, ReasonValid}, // maxLength 32
		{"192.0.2.0/23", 65004, false, NotFound, ReasonNotFound},
		{"2001:db8::/48", 65005, false, Valid, ReasonValid},
		{"2001:db8::/49", 65005, false, Invalid, ReasonInvalidLength},
		{"2001:db8:1::1/128", 65006, false, Valid, ReasonValid},           // maxLength 128
		{"2001:db8:1::1/128", 65005, false, Invalid, ReasonInvalidLength}, // the /32-48 names AS65005
		{"2001:db8:1::1/128", 65007, false, Invalid, ReasonInvalidASN},
		{"2001:db8:2::/48", 65005, false, Valid, ReasonValid}, // AS0 does not hurt a matched route
		{"2001:db8:2::/56", 65005, false, Invalid, ReasonInvalidLength},
		{"2001:db9::/32", 65005, false, NotFound, ReasonNotFound},
		{"::/0", 65005, false, NotFound, ReasonNotFound},
	}
	for _, c := range cases {
		p := netip.MustParsePrefix(c.route)
		if got := ix.Validate(p, c.origin, c.noOrigin); got != c.want {
			t.Errorf("Validate(%s, AS%d, none=%v) = %v, want %v", c.route, c.origin, c.noOrigin, got, c.want)
		}
		if got := ix.Classify(p, c.origin, c.noOrigin); got != c.reason {
			t.Errorf("Classify(%s, AS%d, none=%v) = %v, want %v", c.route, c.origin, c.noOrigin, got, c.reason)
		}
	}
}

func TestIndexCoveringWithin(t *testing.T) {
	s := mustSet(t,
		"10.0.0.0/8 => AS1",
		"10.0.0.0/16 => AS2",
		"10.0.0.0/16-24 => AS3",
		"10.0.1.0/24 => AS4",
		"10.1.0.0/16 => AS5",
		"11.0.0.0/8 => AS6",
		"2001:db8::/32 => AS7",
	)
	ix := NewIndex(s)
	got := ix.Covering(netip.MustParsePrefix("10.0.1.0/24"))
	want := []VRP{s[3], s[1], s[2], s[0]} // most specific prefix first
	if !slices.Equal(got, want) {
		t.Errorf("Covering = %v, want %v", got, want)
	}
	if got := ix.Covering(netip.MustParsePrefix("10.2.0.0/16")); !slices.Equal(got, []VRP{s[0]}) {
		t.Errorf("Covering(10.2/16) = %v", got)
	}
	if got := ix.Within(netip.MustParsePrefix("10.0.0.0/16")); !slices.Equal(got, s[1:4]) {
		t.Errorf("Within(10.0/16) = %v, want %v", got, s[1:4])
	}
	if got := ix.Within(netip.MustParsePrefix("10.0.0.0/7")); !slices.Equal(got, s[0:6]) {
		t.Errorf("Within(10/7) = %v", got)
	}
	if got := ix.Within(netip.MustParsePrefix("2000::/3")); !slices.Equal(got, s[6:]) {
		t.Errorf("Within(2000::/3) = %v", got)
	}
	if got := ix.Within(netip.MustParsePrefix("12.0.0.0/8")); len(got) != 0 {
		t.Errorf("Within(12/8) = %v", got)
	}
}

func TestIndexCleansUnsortedInput(t *testing.T) {
	raw := Set{
		{netip.MustParsePrefix("10.0.1.7/24"), 24, 1}, // host bits: masked
		{netip.MustParsePrefix("10.0.0.0/16"), 24, 1},
		{netip.MustParsePrefix("10.0.0.0/16"), 24, 1}, // duplicate
		{},
	}
	ix := NewIndex(raw)
	if ix.Len() != 2 {
		t.Fatalf("Len = %d, want 2", ix.Len())
	}
	if st := ix.Validate(netip.MustParsePrefix("10.0.1.0/24"), 1, false); st != Valid {
		t.Errorf("state %v", st)
	}
	if st := ix.Validate(netip.Prefix{}, 1, false); st != NotFound {
		t.Errorf("invalid prefix state %v", st)
	}
}

// bruteValidate is RFC 6811 §2 read literally.
func bruteValidate(s Set, p netip.Prefix, origin uint32, none bool) State {
	st := NotFound
	for _, v := range s {
		if v.Prefix.Addr().Is4() != p.Addr().Is4() || v.Prefix.Bits() > p.Bits() || !v.Prefix.Contains(p.Addr()) {
			continue
		}
		st = Invalid
		if !none && v.ASN != 0 && v.ASN == origin && p.Bits() <= int(v.MaxLen) {
			return Valid
		}
	}
	return st
}

// randPrefix draws prefixes from a small space so that sets overlap a lot.
func randPrefix(r *rand.Rand) netip.Prefix {
	if r.IntN(3) == 0 {
		var b [16]byte
		b[0], b[1], b[2] = 0x20, 0x01, byte(r.IntN(4))
		b[3] = byte(r.IntN(4)) << 6
		b[15] = byte(r.IntN(2))
		bits := 16 + r.IntN(113)
		return netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked()
	}
	a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(4) << 6), byte(r.IntN(2))})
	return netip.PrefixFrom(a, 8+r.IntN(25)).Masked()
}

func TestIndexMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		n := r.IntN(40)
		vs := make([]VRP, 0, n)
		for range n {
			p := randPrefix(r)
			ml := p.Bits() + r.IntN(p.Addr().BitLen()-p.Bits()+1)
			vs = append(vs, VRP{p, uint8(ml), uint32(r.IntN(4))})
		}
		s := NewSet(vs)
		ix := NewIndex(s)
		for range 200 {
			p := randPrefix(r)
			origin, none := uint32(r.IntN(4)), r.IntN(8) == 0
			if got, want := ix.Validate(p, origin, none), bruteValidate(s, p, origin, none); got != want {
				t.Fatalf("round %d: Validate(%s, AS%d, none=%v) = %v, brute force %v; set %v", round, p, origin, none, got, want, s)
			}
			cov := ix.Covering(p)
			var want []VRP
			for _, v := range s {
				if v.Prefix.Addr().Is4() == p.Addr().Is4() && v.Prefix.Bits() <= p.Bits() && v.Prefix.Contains(p.Addr()) {
					want = append(want, v)
				}
			}
			slices.SortFunc(cov, Compare)
			if !slices.Equal(cov, want) {
				t.Fatalf("Covering(%s) = %v, want %v", p, cov, want)
			}
		}
	}
}

// FuzzIndexValidate compares the index with the literal RFC 6811 reading on
// sets decoded from fuzz bytes (7 bytes a VRP: addr4, len, maxlen, asn).
func FuzzIndexValidate(f *testing.F) {
	f.Add([]byte{10, 0, 0, 0, 16, 24, 1, 10, 0, 1, 0, 24, 24, 2}, []byte{10, 0, 1, 0}, uint8(24), uint8(1))
	f.Fuzz(func(t *testing.T, set []byte, route []byte, bits, origin uint8) {
		if len(set) > 7*64 || len(route) < 4 {
			return
		}
		var vs []VRP
		for i := 0; i+7 <= len(set); i += 7 {
			b := set[i:]
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]}), int(b[4]%33)).Masked()
			ml := max(int(b[5]%33), p.Bits())
			vs = append(vs, VRP{p, uint8(ml), uint32(b[6] % 4)})
		}
		s := NewSet(vs)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte(route[:4])), int(bits%33)).Masked()
		o := uint32(origin % 4)
		if got, want := NewIndex(s).Validate(p, o, false), bruteValidate(s, p, o, false); got != want {
			t.Fatalf("Validate(%s, AS%d) = %v, brute force %v; set %v", p, o, got, want, s)
		}
	})
}

// loadCorpus reads the rpki-client JSON output of the corpus (424,223 VRPs).
func loadCorpus(tb testing.TB) Set {
	tb.Helper()
	fh, err := os.Open(testshared.Corpus(tb, "rpki-client-web/tests/inputs/outputs/json.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		ROAs []struct {
			ASN       uint32 `json:"asn"`
			Prefix    string `json:"prefix"`
			MaxLength uint8  `json:"maxLength"`
		} `json:"roas"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		tb.Fatal(err)
	}
	vs := make([]VRP, 0, len(doc.ROAs))
	for _, r := range doc.ROAs {
		p, err := ParsePrefix(r.Prefix)
		if err != nil {
			tb.Fatal(err)
		}
		vs = append(vs, VRP{p, r.MaxLength, r.ASN})
	}
	return NewSet(vs)
}

func TestIndexCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := loadCorpus(t)
	if len(s) != 424223 {
		t.Fatalf("corpus has %d unique VRPs, want 424223", len(s))
	}
	ix := NewIndex(s)
	// Spot-check against brute force on a sample of the VRPs' own prefixes.
	for i := 0; i < len(s); i += 4099 {
		v := s[i]
		for _, origin := range []uint32{v.ASN, v.ASN + 1} {
			if got, want := ix.Validate(v.Prefix, origin, false), bruteValidate(s, v.Prefix, origin, false); got != want {
				t.Fatalf("Validate(%s, AS%d) = %v, brute force %v", v.Prefix, origin, got, want)
			}
		}
	}
}

func BenchmarkNewIndexCorpus(b *testing.B) {
	s := loadCorpus(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		NewIndex(s)
	}
	b.ReportMetric(float64(len(s)), "vrps")
}

func BenchmarkValidateCorpus(b *testing.B) {
	s := loadCorpus(b)
	ix := NewIndex(s)
	r := rand.New(rand.NewPCG(3, 4))
	routes := make([]VRP, 4096)
	for i := range routes {
		routes[i] = s[r.IntN(len(s))]
		routes[i].ASN ^= uint32(r.IntN(2))
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		v := routes[i%len(routes)]
		ix.Validate(v.Prefix, v.ASN, false)
		i++
	}
}
