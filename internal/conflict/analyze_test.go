package conflict

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

func roas(t testing.TB, lines ...string) []vrp.VRP {
	t.Helper()
	out := make([]vrp.VRP, 0, len(lines))
	for _, l := range lines {
		v, err := vrp.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// routes parses "PREFIX ASN" lines; ASN "{set}" means an AS_SET origin.
func routes(t testing.TB, lines ...string) route.Slice {
	t.Helper()
	var out route.Slice
	for _, l := range lines {
		p, o, _ := strings.Cut(l, " ")
		r := route.Route{Prefix: netip.MustParsePrefix(p)}
		if o == "{set}" {
			r.NoOrigin = true
		} else {
			asn, err := vrp.ParseASN(o)
			if err != nil {
				t.Fatal(err)
			}
			r.Origin = asn
		}
		out = append(out, r)
	}
	return out
}

func intent(p string, origin uint32) Intent {
	return Intent{Prefix: netip.MustParsePrefix(p), Origin: origin}
}

func pfx(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// summary renders a finding compactly for exact comparison.
func summary(f Finding) string {
	s := f.Kind
	if f.ROA != nil {
		s += " roa=" + f.ROA.String()
	}
	if f.Route != nil {
		s += " route=" + routeText(*f.Route)
	}
	if f.Intent != nil {
		s += " intent=" + f.Intent.Prefix.String() + " AS" + itoa(f.Intent.Origin)
	}
	return s
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestAnalyze(t *testing.T) {
	held := pfx("10.0.0.0/8", "192.0.2.0/24", "192.0.3.0/24", "2001:db8::/32")
	cases := []struct {
		name    string
		current []string
		add     []string
		remove  []string
		routes  []string
		intents []Intent
		held    []netip.Prefix
		except  []string
		want    []string
		blocked bool
	}{
		{
			name:    "classic /16 against announced /24 more-specifics",
			add:     []string{"10.0.0.0/16 => AS64496"},
			routes:  []string{"10.0.0.0/16 64496", "10.0.1.0/24 64496", "10.0.2.0/24 64496", "10.1.0.0/24 64496", "11.0.0.0/24 64496"},
			want:    []string{"invalidates-route roa=10.0.0.0/16 => AS64496 route=10.0.1.0/24 from AS64496", "invalidates-route roa=10.0.0.0/16 => AS64496 route=10.0.2.0/24 from AS64496"},
			blocked: true,
		},
		{
			name:   "maxLength 24 with both /24s announced is minimal",
			add:    []string{"192.0.2.0/23-24 => AS64496"},
			routes: []string{"192.0.2.0/24 64496", "192.0.3.0/24 64496"},
			held:   pfx("192.0.2.0/23"),
		},
		{
			name:    "maxLength 24 with one /24 announced is loose",
			add:     []string{"192.0.2.0/23-24 => AS64496"},
			routes:  []string{"192.0.2.0/24 64496", "192.0.3.0/24 64511"},
			held:    pfx("192.0.2.0/23"),
			want:    []string{"invalidates-route roa=192.0.2.0/23-24 => AS64496 route=192.0.3.0/24 from AS64511", "loose-maxlength roa=192.0.2.0/23-24 => AS64496"},
			blocked: true,
		},
		{
			name:   "recorded exception silences loose maxLength",
			add:    []string{"192.0.2.0/23-24 => AS64496"},
			routes: []string{"192.0.2.0/24 64496"},
			held:   pfx("192.0.2.0/23"),
			except: []string{"192.0.2.0/23-24 => AS64496"},
			want:   []string{"loose-maxlength-excepted roa=192.0.2.0/23-24 => AS64496"},
		},
		{
			name:    "intents count as announced for RFC 9319",
			add:     []string{"192.0.2.0/23-24 => AS64496"},
			routes:  []string{"192.0.2.0/24 64496"},
			intents: []Intent{intent("192.0.3.0/24", 64496)},
			held:    pfx("192.0.2.0/23"),
		},
		{
			name:    "every length must be complete: /22-24 with four /24s but no /23",
			add:     []string{"10.0.0.0/22-24 => AS1"},
			routes:  []string{"10.0.0.0/24 1", "10.0.1.0/24 1", "10.0.2.0/24 1", "10.0.3.0/24 1"},
			want:    []string{"loose-maxlength roa=10.0.0.0/22-24 => AS1"},
			blocked: true,
		},
		{
			name:   "maxLength 32",
			add:    []string{"192.0.2.0/31-32 => AS1"},
			routes: []string{"192.0.2.0/32 1", "192.0.2.1/32 1"},
		},
		{
			name:   "IPv6 maxLength 128 complete",
			add:    []string{"2001:db8::/127-128 => AS1"},
			routes: []string{"2001:db8::/128 1", "2001:db8::1/128 1", "2001:db8::/127 1"},
		},
		{
			name:    "IPv6 maxLength 128 loose",
			add:     []string{"2001:db8::/127-128 => AS1"},
			routes:  []string{"2001:db8::/128 1"},
			want:    []string{"loose-maxlength roa=2001:db8::/127-128 => AS1"},
			blocked: true,
		},
		{
			name:    "AS0 ROA disallows a NotFound route; AS0 is never unseen",
			add:     []string{"10.0.0.0/16 => AS0"},
			routes:  []string{"10.0.1.0/24 65005"},
			want:    []string{"invalidates-route roa=10.0.0.0/16 => AS0 route=10.0.1.0/24 from AS65005"},
			blocked: true,
		},
		{
			name:    "AS0 ROA beside a matching ROA is harmless",
			current: []string{"10.0.1.0/24 => AS65005"},
			add:     []string{"10.0.0.0/16-24 => AS0"},
			routes:  []string{"10.0.1.0/24 65005"},
		},
		{
			name:    "AS_SET origin becomes invalid, and counts for nobody",
			add:     []string{"10.0.0.0/24 => AS5"},
			routes:  []string{"10.0.0.0/24 {set}"},
			want:    []string{"invalidates-route roa=10.0.0.0/24 => AS5 route=10.0.0.0/24 from an AS_SET (origin NONE)", "unseen roa=10.0.0.0/24 => AS5"},
			blocked: true,
		},
		{
			name:    "other origins' overlapping ROAs: already-invalid routes are not blamed",
			current: []string{"10.0.0.0/16 => AS1"},
			add:     []string{"10.0.0.0/16 => AS3"},
			routes:  []string{"10.0.0.0/16 1", "10.0.5.0/24 2"},
			want:    []string{"unseen roa=10.0.0.0/16 => AS3"},
		},
		{
			name:    "removal that unprotects warns",
			current: []string{"10.0.0.0/16 => AS1"},
			remove:  []string{"10.0.0.0/16 => AS1"},
			routes:  []string{"10.0.0.0/16 1"},
			want:    []string{"unprotects-route roa=10.0.0.0/16 => AS1 route=10.0.0.0/16 from AS1"},
		},
		{
			name:    "removal under another origin's ROA invalidates",
			current: []string{"10.0.0.0/16 => AS1", "10.0.0.0/16 => AS2"},
			remove:  []string{"10.0.0.0/16 => AS2"},
			routes:  []string{"10.0.0.0/16 1", "10.0.0.0/16 2"},
			want:    []string{"invalidates-route roa=10.0.0.0/16 => AS2 route=10.0.0.0/16 from AS2"},
			blocked: true,
		},
		{
			name:    "not held, and not overridable",
			add:     []string{"198.51.100.0/24 => AS1"},
			routes:  []string{"198.51.100.0/24 1"},
			want:    []string{"not-held roa=198.51.100.0/24 => AS1"},
			blocked: true,
		},
		{
			name:    "no resources given means nothing is held",
			add:     []string{"10.0.0.0/24 => AS1"},
			routes:  []string{"10.0.0.0/24 1"},
			held:    []netip.Prefix{},
			want:    []string{"not-held roa=10.0.0.0/24 => AS1"},
			blocked: true,
		},
		{
			name:    "duplicates and add-and-remove",
			current: []string{"10.0.0.0/24 => AS1", "10.0.1.0/24 => AS1"},
			add:     []string{"10.0.0.0/24 => AS1", "10.0.2.0/24 => AS1", "10.0.2.0/24 => AS1", "10.0.1.0/24 => AS1"},
			remove:  []string{"10.0.1.0/24 => AS1"},
			routes:  []string{"10.0.0.0/24 1", "10.0.1.0/24 1", "10.0.2.0/24 1"},
			want: []string{
				"duplicate roa=10.0.0.0/24 => AS1", "duplicate roa=10.0.2.0/24 => AS1",
				"add-and-remove roa=10.0.1.0/24 => AS1",
			},
		},
		{
			name:    "redundant under a covering ROA of the same ASN",
			current: []string{"10.0.0.0/16-24 => AS1"},
			add:     []string{"10.0.1.0/24 => AS1", "10.0.2.0/24-25 => AS1"},
			routes:  []string{"10.0.1.0/24 1", "10.0.2.0/24 1", "10.0.2.0/25 1", "10.0.2.128/25 1"},
			want:    []string{"redundant roa=10.0.1.0/24 => AS1"},
		},
		{
			name:    "unseen",
			add:     []string{"10.0.0.0/24 => AS1"},
			routes:  []string{"10.0.0.0/25 1"},
			want:    []string{"invalidates-route roa=10.0.0.0/24 => AS1 route=10.0.0.0/25 from AS1", "unseen roa=10.0.0.0/24 => AS1"},
			blocked: true,
		},
		{
			name:    "removing a ROA that does not exist",
			current: []string{"10.0.0.0/16 => AS1"},
			remove:  []string{"10.0.0.0/16-24 => AS1", "10.0.0.0/16-24 => AS1"},
			want:    []string{"not-found-roa roa=10.0.0.0/16-24 => AS1", "duplicate roa=10.0.0.0/16-24 => AS1"},
			blocked: true,
		},
		{
			name:    "intent made invalid",
			add:     []string{"10.0.0.0/16 => AS1"},
			routes:  []string{"10.0.0.0/16 1"},
			intents: []Intent{intent("10.0.1.0/24", 1), intent("10.1.0.0/24", 1)},
			want:    []string{"invalidates-intent roa=10.0.0.0/16 => AS1 intent=10.0.1.0/24 AS1"},
			blocked: true,
		},
		{
			name:    "intent authorized alongside",
			add:     []string{"10.0.0.0/16 => AS1", "10.0.1.0/24 => AS1"},
			routes:  []string{"10.0.0.0/16 1"},
			intents: []Intent{intent("10.0.1.0/24", 1)},
		},
		{
			name:    "removing the ROA an intent needs",
			current: []string{"10.0.1.0/24 => AS1"},
			remove:  []string{"10.0.1.0/24 => AS1"},
			intents: []Intent{intent("10.0.1.0/24", 1)},
			want:    []string{"invalidates-intent roa=10.0.1.0/24 => AS1 intent=10.0.1.0/24 AS1"},
			blocked: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Input{
				Current: vrp.NewSet(roas(t, c.current...)),
				Add:     roas(t, c.add...),
				Remove:  roas(t, c.remove...),
				Routes:  routes(t, c.routes...),
				Intents: c.intents,
				Held:    held,
			}
			if c.held != nil {
				in.Held = c.held
			}
			if len(c.except) > 0 {
				in.Exceptions = map[vrp.VRP]string{}
				for _, v := range roas(t, c.except...) {
					in.Exceptions[v] = "DDoS mitigation"
				}
			}
			res := Analyze(in)
			var got []string
			for _, f := range res.Findings {
				got = append(got, summary(f))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("findings:\n got  %q\n want %q", got, c.want)
			}
			if res.Blocked != c.blocked {
				t.Errorf("Blocked = %v, want %v", res.Blocked, c.blocked)
			}
		})
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	in := Input{
		Add: []vrp.VRP{
			{Prefix: netip.MustParsePrefix("10.0.0.0/24"), MaxLen: 23, ASN: 1},
			{Prefix: netip.MustParsePrefix("10.0.0.0/24"), MaxLen: 33, ASN: 1},
			{Prefix: netip.MustParsePrefix("2001:db8::/32"), MaxLen: 129, ASN: 1},
			{Prefix: netip.MustParsePrefix("10.0.0.1/24"), MaxLen: 24, ASN: 1},
			{MaxLen: 24, ASN: 1},
		},
		Held: pfx("0.0.0.0/0", "::/0"),
	}
	res := Analyze(in)
	want := []string{
		"bad-maxlength: 10.0.0.0/24: maxLength 23 is outside 24..32",
		"bad-maxlength: 10.0.0.0/24: maxLength 33 is outside 24..32",
		"bad-maxlength: 2001:db8::/32: maxLength 129 is outside 32..128",
		"bad-prefix: 10.0.0.1/24: prefix must be a masked IPv4 or IPv6 prefix (RFC 9582 §4.3.1)",
		"bad-prefix: invalid Prefix: prefix must be a masked IPv4 or IPv6 prefix (RFC 9582 §4.3.1)",
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Kind+": "+f.Message)
		if !f.Blocking || f.Overridable || f.Severity != SeverityBlock {
			t.Errorf("%s: blocking=%v overridable=%v severity=%s", f.Kind, f.Blocking, f.Overridable, f.Severity)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if !res.Blocked || len(res.Resulting) != 0 || len(res.Added) != 0 {
		t.Errorf("Blocked=%v Resulting=%v Added=%v", res.Blocked, res.Resulting, res.Added)
	}
}

func TestAnalyzeMessagesAndFlags(t *testing.T) {
	in := Input{
		Current: vrp.NewSet(roas(t, "10.0.0.0/16 => AS1")),
		Add:     roas(t, "10.0.0.0/16-24 => AS2", "192.0.2.0/24 => AS3"),
		Remove:  roas(t, "10.0.0.0/16 => AS1"),
		Routes:  routes(t, "10.0.0.0/16 1", "10.0.1.0/24 2", "10.0.0.0/16 2"),
		Held:    pfx("10.0.0.0/8"),
	}
	res := Analyze(in)
	want := []Finding{
		{Kind: KindNotHeld, Severity: SeverityBlock, Blocking: true,
			ROA: ptr(roas(t, "192.0.2.0/24 => AS3")[0]), Message: "192.0.2.0/24 is outside the CA's IP resources"},
		{Kind: KindInvalidatesRoute, Severity: SeverityBlock, Blocking: true, Overridable: true,
			ROA: ptr(roas(t, "10.0.0.0/16 => AS1")[0]), Route: &routes(t, "10.0.0.0/16 1")[0],
			Message: "route 10.0.0.0/16 from AS1 is valid now and would be invalid (invalid-asn) after removing 10.0.0.0/16 => AS1"},
		{Kind: KindLooseMaxLength, Severity: SeverityBlock, Blocking: true, Overridable: true,
			ROA:     ptr(roas(t, "10.0.0.0/16-24 => AS2")[0]),
			Message: "10.0.0.0/16-24 => AS2 authorizes 10.0.0.0/17 but AS2 does not announce it, so a hijacker could originate it with a forged AS2 and be Valid (RFC 9319); use maxLength 16, or record an exception"},
		{Kind: KindUnseen, Severity: SeverityInfo,
			ROA: ptr(roas(t, "192.0.2.0/24 => AS3")[0]), Message: "192.0.2.0/24 => AS3 authorizes no route seen in BGP and no intent"},
	}
	if len(res.Findings) != len(want) {
		t.Fatalf("got %d findings: %+v", len(res.Findings), res.Findings)
	}
	for i := range want {
		g, w := res.Findings[i], want[i]
		if summary(g) != summary(w) || g.Message != w.Message || g.Severity != w.Severity || g.Blocking != w.Blocking || g.Overridable != w.Overridable {
			t.Errorf("finding %d:\n got  %+v %q\n want %+v %q", i, g, g.Message, w, w.Message)
		}
	}
	wantSet := vrp.NewSet(roas(t, "10.0.0.0/16-24 => AS2", "192.0.2.0/24 => AS3"))
	if !slices.Equal(res.Resulting, wantSet) || !slices.Equal(res.Added, []vrp.VRP(wantSet)) ||
		!slices.Equal(res.Removed, roas(t, "10.0.0.0/16 => AS1")) {
		t.Errorf("Resulting=%v Added=%v Removed=%v", res.Resulting, res.Added, res.Removed)
	}
}

func TestAnalyzeOrderIndependent(t *testing.T) {
	add := roas(t, "10.0.0.0/16 => AS1", "10.2.0.0/16 => AS0", "10.1.0.0/16-17 => AS2")
	rs := routes(t, "10.0.1.0/24 1", "10.0.2.0/24 1", "10.2.0.0/24 7", "10.1.0.0/17 2", "10.0.0.0/16 9")
	base := Analyze(Input{Add: add, Routes: rs, Held: pfx("10.0.0.0/8")})
	for i := range 6 {
		a := slices.Clone(add)
		r := slices.Clone(rs)
		for j := range a {
			k := (i + j) % len(a)
			a[j], a[k] = a[k], a[j]
		}
		slices.Reverse(r)
		if i%2 == 1 {
			r = slices.Concat(r, r) // the same route from two peers
		}
		got := Analyze(Input{Add: a, Routes: r, Held: pfx("10.0.0.0/8")})
		if !slices.EqualFunc(got.Findings, base.Findings, func(x, y Finding) bool { return summary(x) == summary(y) && x.Message == y.Message }) {
			t.Fatalf("permutation %d changed findings:\n%v\n%v", i, got.Findings, base.Findings)
		}
	}
	if len(base.Findings) != 6 {
		t.Errorf("want 6 findings, got %v", base.Findings)
	}
}

func TestCheckMaxLength(t *testing.T) {
	cases := []struct {
		roa       string
		announced []netip.Prefix
		loose     bool
		missing   string
		tightest  int
	}{
		{"192.0.2.0/24 => AS1", nil, false, "", 24},
		{"192.0.2.0/23-24 => AS1", pfx("192.0.2.0/24", "192.0.3.0/24"), false, "", 24},
		{"192.0.2.0/23-24 => AS1", pfx("192.0.3.0/24", "192.0.3.0/24", "198.51.100.0/24"), true, "192.0.2.0/24", 23},
		{"192.0.2.0/23-24 => AS1", pfx("192.0.2.0/24"), true, "192.0.3.0/24", 23},
		{"10.0.0.0/22-24 => AS1", pfx("10.0.0.0/23", "10.0.2.0/23", "10.0.0.0/24", "10.0.1.0/24", "10.0.3.0/24"), true, "10.0.2.0/24", 23},
		{"0.0.0.0/0-1 => AS1", pfx("0.0.0.0/1", "128.0.0.0/1"), false, "", 1},
		{"0.0.0.0/0-32 => AS1", pfx("0.0.0.0/1", "128.0.0.0/1"), true, "0.0.0.0/2", 1},
		{"::/0-128 => AS1", nil, true, "::/1", 0},
		{"2001:db8::/32-48 => AS1", pfx("2001:db8::/33", "2001:db8:8000::/33", "2001:db8::/48"), true, "2001:db8::/34", 33},
		{"255.255.255.254/31-32 => AS1", pfx("255.255.255.254/32"), true, "255.255.255.255/32", 31},
	}
	for _, c := range cases {
		v := roas(t, c.roa)[0]
		got := checkMaxLength(v, c.announced)
		var miss string
		if got.Missing.IsValid() {
			miss = got.Missing.String()
		}
		if got.Loose != c.loose || miss != c.missing || got.Tightest != c.tightest {
			t.Errorf("%s with %v: got %+v, want loose=%v missing=%q tightest=%d", c.roa, c.announced, got, c.loose, c.missing, c.tightest)
		}
	}
}
