package conflict

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

func suggestionLines(s Suggestion) []string {
	var out []string
	for _, a := range s.Add {
		out = append(out, "add "+a.ROA.String()+" ("+a.Reason+")")
	}
	for _, r := range s.Remove {
		l := "remove " + r.ROA.String() + " (" + r.Reason + ")"
		if len(r.ReplacedBy) > 0 {
			l += " by " + roaList(r.ReplacedBy)
		}
		out = append(out, l)
	}
	out = append(out, "keep "+roaList(s.Keep))
	for _, u := range s.Unresolved {
		l := "unresolved " + u.Reason
		if u.Route != nil {
			l += " route " + routeText(*u.Route)
		}
		if u.Intent != nil {
			l += " intent " + u.Intent.Prefix.String()
		}
		if u.ROA != nil {
			l += " roa " + u.ROA.String()
		}
		if u.State != "" {
			l += " " + string(u.State)
		}
		out = append(out, l)
	}
	return out
}

func TestSuggest(t *testing.T) {
	cases := []struct {
		name    string
		current []string
		routes  []string
		intents []Intent
		want    []string
	}{
		{
			name: "mixed",
			current: []string{
				"10.0.0.0/16-24 => AS2", "10.0.1.0/24 => AS2", "10.2.0.0/24 => AS3", "10.1.0.0/16 => AS0",
				"192.0.2.0/24 => AS6", "10.5.0.0/22-24 => AS1",
			},
			routes: []string{
				"10.0.1.0/24 2", "10.5.0.0/22 1", "10.5.0.0/23 1", "10.5.2.0/23 1", "10.5.0.0/24 1",
				"10.6.0.0/23 8", "10.6.0.0/24 8", "10.6.1.0/24 8", "10.1.2.0/24 9", "10.7.0.0/24 {set}", "198.51.100.0/24 1",
			},
			intents: []Intent{intent("10.8.0.0/24", 10), intent("203.0.113.0/24", 11)},
			want: []string{
				"add 10.5.0.0/22-23 => AS1 (replaces)",
				"add 10.5.0.0/24 => AS1 (replaces)",
				"add 10.6.0.0/23-24 => AS8 (not-found)",
				"add 10.8.0.0/24 => AS10 (intent)",
				"remove 10.0.0.0/16-24 => AS2 (too-permissive) by 10.0.1.0/24 => AS2",
				"remove 10.2.0.0/24 => AS3 (unseen)",
				"remove 10.5.0.0/22-24 => AS1 (too-permissive) by 10.5.0.0/22-23 => AS1, 10.5.0.0/24 => AS1",
				"keep 10.0.1.0/24 => AS2, 10.1.0.0/16 => AS0, 192.0.2.0/24 => AS6",
				"unresolved as-set route 10.7.0.0/24 from an AS_SET (origin NONE) not-found",
				"unresolved invalid route 10.1.2.0/24 from AS9 disallowed",
				"unresolved not-held-intent intent 203.0.113.0/24 not-found",
				"unresolved not-held-roa roa 192.0.2.0/24 => AS6",
			},
		},
		{
			name:    "a loose ROA that disallows a seen route is kept",
			current: []string{"10.0.0.0/16-24 => AS2"},
			routes:  []string{"10.0.1.0/24 2", "10.0.9.0/24 9"},
			want: []string{
				"keep 10.0.0.0/16-24 => AS2",
				"unresolved invalid route 10.0.9.0/24 from AS9 invalid-asn",
				"unresolved kept-disallowing roa 10.0.0.0/16-24 => AS2",
			},
		},
		{
			name:    "an intent authorizes a route Invalid today",
			current: []string{"10.0.0.0/16 => AS1"},
			routes:  []string{"10.0.0.0/16 1", "10.0.3.0/24 1", "10.0.4.0/24 1"},
			intents: []Intent{intent("10.0.3.0/24", 1)},
			want: []string{
				"add 10.0.3.0/24 => AS1 (intent)",
				"keep 10.0.0.0/16 => AS1",
				"unresolved invalid route 10.0.4.0/24 from AS1 invalid-length",
			},
		},
		{
			name:    "redundant ROA removed, the superset authorizes it",
			current: []string{"10.0.0.0/23-24 => AS1", "10.0.0.0/24 => AS1"},
			routes:  []string{"10.0.0.0/24 1", "10.0.1.0/24 1"},
			want: []string{
				"remove 10.0.0.0/24 => AS1 (redundant) by 10.0.0.0/23-24 => AS1",
				"keep 10.0.0.0/23-24 => AS1",
			},
		},
		{
			name:   "IPv6 aggregation up to /128 when complete",
			routes: []string{"2001:db8::/127 1", "2001:db8::/128 1", "2001:db8::1/128 1", "2001:db8:1::/48 1"},
			want: []string{
				"add 2001:db8::/127-128 => AS1 (not-found)",
				"add 2001:db8:1::/48 => AS1 (not-found)",
				"keep ",
			},
		},
	}
	held := heldFunc("10.0.0.0/8", "2001:db8::/32")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Suggest(vrp.NewSet(roas(t, c.current...)), routes(t, c.routes...), c.intents, held)
			if got := suggestionLines(s); !slices.Equal(got, c.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
			checkSuggestionSafe(t, vrp.NewSet(roas(t, c.current...)), routes(t, c.routes...), c.intents, held, s)
		})
	}
}

// checkSuggestionSafe asserts the promises of Suggest: applying it through
// Analyze blocks on nothing the suggestion is meant to avoid (no route made
// Invalid, no intent left non-Valid, no loose maxLength added), no route Valid
// today loses validity, no Invalid route becomes NotFound, and every seen
// NotFound own route becomes Valid.
func checkSuggestionSafe(t *testing.T, cur vrp.Set, rs route.Source, intents []Intent, held func(netip.Prefix) bool, s Suggestion) {
	t.Helper()
	var add, remove []vrp.VRP
	for _, a := range s.Add {
		add = append(add, a.ROA)
	}
	for _, r := range s.Remove {
		remove = append(remove, r.ROA)
	}
	var heldIntents []Intent
	for _, it := range intents {
		if held(it.Prefix) {
			heldIntents = append(heldIntents, it)
		}
	}
	res := Analyze(Input{Current: cur, Add: add, Remove: remove, Routes: rs, Intents: heldIntents, HeldFunc: held})
	for _, f := range res.Findings {
		if f.Blocking {
			t.Errorf("suggestion blocked by %s: %s", f.Kind, f.Message)
		}
	}
	if !slices.Equal(res.Resulting, s.Resulting) {
		t.Errorf("Resulting %v, Analyze says %v", s.Resulting, res.Resulting)
	}
	before, after := vrp.NewIndex(cur), vrp.NewIndex(s.Resulting)
	excused := map[string]bool{}
	for _, u := range s.Unresolved {
		if u.Reason == UnresolvedASSetConflict && u.Route != nil {
			excused[routeText(*u.Route)] = true
		}
		if u.Reason == UnresolvedASSetConflict && u.Intent != nil {
			excused[u.Intent.Prefix.String()+itoa(u.Intent.Origin)] = true
		}
	}
	rs.All(func(r route.Route) bool {
		if !held(r.Prefix) {
			return true
		}
		b, a := before.Validate(r.Prefix, r.Origin, r.NoOrigin), after.Validate(r.Prefix, r.Origin, r.NoOrigin)
		switch {
		case b == vrp.Valid && a != vrp.Valid:
			t.Errorf("route %s loses validity", routeText(r))
		case b == vrp.Invalid && a == vrp.NotFound:
			t.Errorf("Invalid route %s becomes NotFound", routeText(r))
		case b == vrp.NotFound && !r.NoOrigin && r.Origin != 0 && a != vrp.Valid && !excused[routeText(r)]:
			t.Errorf("own NotFound route %s not made Valid (%v)", routeText(r), a)
		}
		return true
	})
	for _, it := range heldIntents {
		if it.Origin != 0 && after.Validate(it.Prefix, it.Origin, false) != vrp.Valid && !excused[it.Prefix.String()+itoa(it.Origin)] {
			t.Errorf("intent %s AS%d not Valid", it.Prefix, it.Origin)
		}
	}
}

func TestSuggestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	held := heldFunc("10.0.0.0/14")
	randPrefix := func() netip.Prefix {
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(5)), byte(r.IntN(4)), 0})
		return netip.PrefixFrom(a, 14+r.IntN(11)).Masked()
	}
	for round := range 400 {
		var cur []vrp.VRP
		for range r.IntN(8) {
			p := randPrefix()
			cur = append(cur, vrp.VRP{Prefix: p, MaxLen: uint8(p.Bits() + r.IntN(25-p.Bits())), ASN: uint32(r.IntN(4))})
		}
		var rs route.Slice
		for range r.IntN(14) {
			rs = append(rs, route.Route{Prefix: randPrefix(), Origin: uint32(1 + r.IntN(3)), NoOrigin: r.IntN(10) == 0})
		}
		var its []Intent
		for range r.IntN(3) {
			its = append(its, Intent{Prefix: randPrefix(), Origin: uint32(1 + r.IntN(3))})
		}
		set := vrp.NewSet(cur)
		s := Suggest(set, rs, its, held)
		ok := t.Run("", func(t *testing.T) { checkSuggestionSafe(t, set, rs, its, held, s) })
		if !ok {
			t.Fatalf("round %d: current %v routes %v intents %v\nsuggestion %q", round, set, rs, its, suggestionLines(s))
		}
		// Idempotent: suggesting again on the result changes nothing.
		again := Suggest(s.Resulting, rs, its, held)
		if len(again.Add) != 0 || len(again.Remove) != 0 {
			t.Fatalf("round %d: not a fixed point: %q after %q (current %v routes %v intents %v)", round, suggestionLines(again), suggestionLines(s), set, rs, its)
		}
	}
}
