package impact

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func resilienceText(r Resilience) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d routes, %d with fallback\n", r.Routes, r.WithFallback)
	for _, e := range r.WithoutFallback {
		o := fmt.Sprintf("AS%d", e.Route.Origin)
		if e.Route.NoOrigin {
			o = "NONE"
		}
		fmt.Fprintf(&b, "%s %s %s", e.Route.Prefix, o, e.State)
		if e.Covering != nil {
			fmt.Fprintf(&b, " covered by %s AS%d (%s)", e.Covering.Prefix, e.Covering.Origin, *e.CoveringState)
		}
		fmt.Fprintf(&b, ": %s", e.Suggestion.Kind)
		if a := e.Suggestion.Announce; a != nil {
			fmt.Fprintf(&b, " announce %s AS%d", a.Prefix, a.Origin)
		}
		if r := e.Suggestion.ROA; r != nil {
			fmt.Fprintf(&b, " roa %s", r.VRP())
		}
		fmt.Fprintf(&b, " | %s\n", e.Suggestion.Message)
	}
	return b.String()
}

// TestResilienceW1: with only the /25's ROA, the /25 has no fallback because
// its covering /24 is not Valid; the ROA for the /24 would give it one.
func TestResilienceW1(t *testing.T) {
	own, _ := table(t, "198.51.100.0/24 AS64497", "198.51.100.128/25 AS64497", "203.0.113.0/24 AS64499")
	r := AnalyzeResilience(own, set(t, "198.51.100.128/25 => AS64497"), prefixes("198.51.100.0/24", "203.0.113.0/24"))
	got := resilienceText(r)
	want := `3 routes, 0 with fallback
198.51.100.0/24 AS64497 not-found: none | 198.51.100.0/24 is a whole held block: no covering announcement is possible
198.51.100.128/25 AS64497 valid covered by 198.51.100.0/24 AS64497 (not-found): add-roa roa 198.51.100.0/24 => AS64497 | covering announcement 198.51.100.0/24 from AS64497 is not-found; ROA 198.51.100.0/24 => AS64497 would make it a Valid fallback
203.0.113.0/24 AS64499 not-found: none | 203.0.113.0/24 is a whole held block: no covering announcement is possible
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	js, err := json.Marshal(r.WithoutFallback[1])
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"route":{"prefix":"198.51.100.128/25","origin":64497},"state":"valid",` +
		`"covering":{"prefix":"198.51.100.0/24","origin":64497},"covering_state":"not-found",` +
		`"suggestion":{"kind":"add-roa","roa":{"prefix":"198.51.100.0/24","max_length":24,"asn":64497},` +
		`"message":"covering announcement 198.51.100.0/24 from AS64497 is not-found; ROA 198.51.100.0/24 =\u003e AS64497 would make it a Valid fallback"}}`
	if string(js) != wantJSON {
		t.Fatalf("json\n%s\nwant\n%s", js, wantJSON)
	}
	// With the /24's ROA added, the /25 falls back on it.
	r = AnalyzeResilience(own, set(t, "198.51.100.128/25 => AS64497", "198.51.100.0/24 => AS64497"), prefixes("198.51.100.0/24", "203.0.113.0/24"))
	if r.WithFallback != 1 || len(r.WithoutFallback) != 2 || r.WithoutFallback[1].Route.Prefix.String() != "203.0.113.0/24" {
		t.Fatalf("after the ROA:\n%s", resilienceText(r))
	}
}

// TestResilienceCrafted covers nesting, same-prefix origins, AS_SET routes,
// IPv6, space outside the held resources and duplicate input routes.
func TestResilienceCrafted(t *testing.T) {
	own, _ := table(t,
		"10.0.1.128/25 AS1", "10.0.0.0/16 AS1", "10.0.1.0/24 AS1", "10.0.1.0/24 AS2", "10.0.1.0/24 AS1",
		"10.1.0.0/16 AS1", "10.1.2.0/24 AS1", "10.2.3.0/24 AS3",
		"10.3.0.0/16 NONE", "10.3.1.0/24 AS6",
		"2001:db8:1::/48 AS4", "192.0.2.0/24 AS5")
	roas := set(t, "10.0.0.0/16 => AS1", "10.1.0.0/16 => AS9", "10.1.2.0/24 => AS1", "2001:db8::/32-48 => AS4")
	got := resilienceText(AnalyzeResilience(own, roas, prefixes("10.0.0.0/8", "2001:db8::/32", "10.5.0.0/16")))
	want := `11 routes, 3 with fallback
10.0.0.0/16 AS1 valid: announce announce 10.0.0.0/8 AS1 roa 10.0.0.0/8 => AS1 | announce 10.0.0.0/8 from AS1 and add ROA 10.0.0.0/8 => AS1
10.1.0.0/16 AS1 invalid: announce announce 10.0.0.0/8 AS1 roa 10.0.0.0/8 => AS1 | announce 10.0.0.0/8 from AS1 and add ROA 10.0.0.0/8 => AS1
10.1.2.0/24 AS1 valid covered by 10.1.0.0/16 AS1 (invalid): add-roa roa 10.1.0.0/16 => AS1 | covering announcement 10.1.0.0/16 from AS1 is invalid; ROA 10.1.0.0/16 => AS1 would make it a Valid fallback
10.2.3.0/24 AS3 not-found: announce announce 10.0.0.0/8 AS3 roa 10.0.0.0/8 => AS3 | announce 10.0.0.0/8 from AS3 and add ROA 10.0.0.0/8 => AS3
10.3.0.0/16 NONE not-found: announce | announce 10.0.0.0/8 from a single origin AS with a ROA for it (this route ends in an AS_SET)
10.3.1.0/24 AS6 not-found: announce announce 10.0.0.0/8 AS6 roa 10.0.0.0/8 => AS6 | announce 10.0.0.0/8 from AS6 and add ROA 10.0.0.0/8 => AS6
192.0.2.0/24 AS5 not-found: none | 192.0.2.0/24 is outside the held resources
2001:db8:1::/48 AS4 valid: announce announce 2001:db8::/32 AS4 | announce 2001:db8::/32 from AS4 (already Valid under the current ROAs)
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Without held resources the aggregate is the parent prefix.
	got = resilienceText(AnalyzeResilience(own[len(own)-1:], roas, nil))
	want = "1 routes, 0 with fallback\n192.0.2.0/24 AS5 not-found: announce announce 192.0.2.0/23 AS5 roa 192.0.2.0/23 => AS5 | announce 192.0.2.0/23 from AS5 and add ROA 192.0.2.0/23 => AS5\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
