package api

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

func TestJSONShapes(t *testing.T) {
	res := conflict.Analyze(conflict.Input{
		Add:    roas(t, "10.0.0.0/16 => AS1"),
		Routes: routes(t, "10.0.1.0/24 1", "10.0.2.0/24 {set}"),
		Held:   pfx("10.0.0.0/8"),
	})
	b, err := json.Marshal(checkResult(res))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"findings":[` +
		`{"kind":"invalidates-route","severity":"block","blocking":true,"overridable":true,"roa":{"prefix":"10.0.0.0/16","max_length":16,"asn":1},"route":{"prefix":"10.0.1.0/24","origin":1},"message":"route 10.0.1.0/24 from AS1 is not-found now and would be invalid (invalid-length) after adding 10.0.0.0/16 =\u003e AS1"},` +
		`{"kind":"invalidates-route","severity":"block","blocking":true,"overridable":true,"roa":{"prefix":"10.0.0.0/16","max_length":16,"asn":1},"route":{"prefix":"10.0.2.0/24","origin":0,"no_origin":true},"message":"route 10.0.2.0/24 from an AS_SET (origin NONE) is not-found now and would be invalid (invalid-asn) after adding 10.0.0.0/16 =\u003e AS1"},` +
		`{"kind":"unseen","severity":"info","blocking":false,"overridable":false,"roa":{"prefix":"10.0.0.0/16","max_length":16,"asn":1},"message":"10.0.0.0/16 =\u003e AS1 authorizes no route seen in BGP and no intent"}],` +
		`"blocked":true,"resulting":[{"prefix":"10.0.0.0/16","max_length":16,"asn":1}],"added":[{"prefix":"10.0.0.0/16","max_length":16,"asn":1}],"removed":[]}`
	if string(b) != want {
		t.Errorf("Result JSON:\n got  %s\n want %s", b, want)
	}

	a := conflict.AnalyzeTable(vrp.NewSet(roas(t, "10.0.0.0/23-24 => AS1")), routes(t, "10.0.0.0/24 1"), nil)
	b, err = json.Marshal(bgpAnalysis(a))
	if err != nil {
		t.Fatal(err)
	}
	want = `{"roas":[{"roa":{"prefix":"10.0.0.0/23","max_length":24,"asn":1},"state":"too-permissive","authorizes":[{"prefix":"10.0.0.0/24","origin":1}],"disallows":[],"missing":"10.0.1.0/24","tightest_max_length":23}],` +
		`"routes":[{"route":{"prefix":"10.0.0.0/24","origin":1},"state":"valid","covering":[{"prefix":"10.0.0.0/23","max_length":24,"asn":1}],"allowed_by":[{"prefix":"10.0.0.0/23","max_length":24,"asn":1}]}],` +
		`"roa_states":{"too-permissive":1},"route_states":{"valid":1}}`
	if string(b) != want {
		t.Errorf("Analysis JSON:\n got  %s\n want %s", b, want)
	}

	s := conflict.Suggest(vrp.NewSet(roas(t, "10.0.0.0/23-24 => AS1")), routes(t, "10.0.0.0/24 1"),
		[]conflict.Intent{{Prefix: netip.MustParsePrefix("10.1.0.0/24"), Origin: 2, Note: "lab"}}, nil)
	b, err = json.Marshal(bgpSuggestion(s))
	if err != nil {
		t.Fatal(err)
	}
	want = `{"add":[{"roa":{"prefix":"10.0.0.0/24","max_length":24,"asn":1},"reason":"replaces","authorizes":[{"prefix":"10.0.0.0/24","origin":1}],"intents":[]},` +
		`{"roa":{"prefix":"10.1.0.0/24","max_length":24,"asn":2},"reason":"intent","authorizes":[],"intents":[{"prefix":"10.1.0.0/24","origin":2,"note":"lab"}]}],` +
		`"remove":[{"roa":{"prefix":"10.0.0.0/23","max_length":24,"asn":1},"reason":"too-permissive","replaced_by":[{"prefix":"10.0.0.0/24","max_length":24,"asn":1}]}],` +
		`"keep":[],"unresolved":[],"resulting":[{"prefix":"10.0.0.0/24","max_length":24,"asn":1},{"prefix":"10.1.0.0/24","max_length":24,"asn":2}]}`
	if string(b) != want {
		t.Errorf("Suggestion JSON:\n got  %s\n want %s", b, want)
	}
}

// The JSON part of conflict's TestExceptionsInAnalysisAndSuggestions.
func TestExceptionJSON(t *testing.T) {
	cur := vrp.NewSet(roas(t, "192.0.2.0/24-25 => AS64496", "198.51.100.0/24-25 => AS64497"))
	rs := routes(t, "192.0.2.0/24 64496", "198.51.100.0/24 64497")
	loose := roas(t, "192.0.2.0/24-25 => AS64496")[0]
	exc := map[vrp.VRP]string{loose: "DDoS mitigation"}
	held := func(p netip.Prefix) bool {
		return netip.MustParsePrefix("192.0.2.0/24").Contains(p.Addr()) || netip.MustParsePrefix("198.51.100.0/24").Contains(p.Addr())
	}
	a := conflict.AnalyzeTableWith(cur, rs, held, exc)
	b, err := json.Marshal(roaReport(a.ROAs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"roa":{"prefix":"192.0.2.0/24","max_length":25,"asn":64496},"state":"too-permissive-excepted","authorizes":[{"prefix":"192.0.2.0/24","origin":64496}],"disallows":[],"missing":"192.0.2.0/25","tightest_max_length":24,"exception":"DDoS mitigation"}`; string(b) != want {
		t.Errorf("JSON %s\nwant %s", b, want)
	}
}

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

func pfx(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}
