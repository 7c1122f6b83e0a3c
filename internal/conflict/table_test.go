package conflict

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

func heldFunc(ps ...string) func(netip.Prefix) bool {
	list := pfx(ps...)
	return func(p netip.Prefix) bool { return prefixesCover(list, p) }
}

func roaList(vs []vrp.VRP) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, ", ")
}

func routeList(rs []route.Route) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = routeText(r)
	}
	return strings.Join(parts, ", ")
}

func TestAnalyzeTable(t *testing.T) {
	set := vrp.NewSet(roas(t,
		"10.0.0.0/16 => AS1",
		"10.0.0.0/16-24 => AS2",
		"10.0.1.0/24 => AS2",
		"10.1.0.0/16 => AS0",
		"10.1.5.0/24 => AS0",
		"10.2.0.0/24 => AS3",
		"10.3.0.0/24 => AS4",
		"192.0.2.0/24 => AS6",
		"10.4.0.0/23-24 => AS7",
	))
	rs := routes(t,
		"10.0.0.0/16 1", "10.0.1.0/24 2", "10.0.9.0/24 9", "10.0.1.0/25 2", "10.1.5.0/24 8",
		"10.3.0.0/24 5", "10.4.0.0/24 7", "10.4.1.0/24 7", "10.4.1.0/24 7", "10.9.0.0/16 1", "10.9.0.0/16 {set}",
		"10.0.2.0/24 {set}", "198.51.100.0/24 1",
	)
	a := AnalyzeTable(set, rs, heldFunc("10.0.0.0/8"))

	var gotROAs []string
	for _, r := range a.ROAs {
		s := r.ROA.String() + ": " + r.State + " | auth " + routeList(r.Authorizes) + " | dis " + routeList(r.Disallows)
		if len(r.RedundantBy) > 0 {
			s += " | by " + roaList(r.RedundantBy)
		}
		if r.Missing.IsValid() {
			s += " | missing " + r.Missing.String() + " tightest " + itoa(uint32(r.TightestMaxLength))
		}
		gotROAs = append(gotROAs, s)
	}
	wantROAs := []string{
		"10.0.0.0/16 => AS1: seen | auth 10.0.0.0/16 from AS1 | dis 10.0.1.0/25 from AS2, 10.0.2.0/24 from an AS_SET (origin NONE), 10.0.9.0/24 from AS9",
		"10.0.0.0/16-24 => AS2: too-permissive | auth 10.0.1.0/24 from AS2 | dis 10.0.1.0/25 from AS2, 10.0.2.0/24 from an AS_SET (origin NONE), 10.0.9.0/24 from AS9 | missing 10.0.0.0/17 tightest 16",
		"10.0.1.0/24 => AS2: redundant | auth 10.0.1.0/24 from AS2 | dis 10.0.1.0/25 from AS2 | by 10.0.0.0/16-24 => AS2",
		"10.1.0.0/16 => AS0: as0 | auth  | dis 10.1.5.0/24 from AS8",
		"10.1.5.0/24 => AS0: as0-redundant | auth  | dis 10.1.5.0/24 from AS8 | by 10.1.0.0/16 => AS0",
		"10.2.0.0/24 => AS3: unseen | auth  | dis ",
		"10.3.0.0/24 => AS4: disallowing | auth  | dis 10.3.0.0/24 from AS5",
		"10.4.0.0/23-24 => AS7: seen | auth 10.4.0.0/24 from AS7, 10.4.1.0/24 from AS7 | dis ",
		"192.0.2.0/24 => AS6: not-held | auth  | dis ",
	}
	if !slices.Equal(gotROAs, wantROAs) {
		t.Errorf("ROAs:\n got  %s\n want %s", strings.Join(gotROAs, "\n      "), strings.Join(wantROAs, "\n      "))
	}

	var gotRoutes []string
	for _, r := range a.Routes {
		gotRoutes = append(gotRoutes, routeText(r.Route)+": "+string(r.State)+" | cov "+roaList(r.Covering)+" | by "+roaList(r.AllowedBy))
	}
	wantRoutes := []string{
		"10.0.0.0/16 from AS1: valid | cov 10.0.0.0/16 => AS1, 10.0.0.0/16-24 => AS2 | by 10.0.0.0/16 => AS1",
		"10.0.1.0/24 from AS2: valid | cov 10.0.0.0/16 => AS1, 10.0.0.0/16-24 => AS2, 10.0.1.0/24 => AS2 | by 10.0.0.0/16-24 => AS2, 10.0.1.0/24 => AS2",
		"10.0.1.0/25 from AS2: invalid-length | cov 10.0.0.0/16 => AS1, 10.0.0.0/16-24 => AS2, 10.0.1.0/24 => AS2 | by ",
		"10.0.2.0/24 from an AS_SET (origin NONE): invalid-asn | cov 10.0.0.0/16 => AS1, 10.0.0.0/16-24 => AS2 | by ",
		"10.0.9.0/24 from AS9: invalid-asn | cov 10.0.0.0/16 => AS1, 10.0.0.0/16-24 => AS2 | by ",
		"10.1.5.0/24 from AS8: disallowed | cov 10.1.0.0/16 => AS0, 10.1.5.0/24 => AS0 | by ",
		"10.3.0.0/24 from AS5: invalid-asn | cov 10.3.0.0/24 => AS4 | by ",
		"10.4.0.0/24 from AS7: valid | cov 10.4.0.0/23-24 => AS7 | by 10.4.0.0/23-24 => AS7",
		"10.4.1.0/24 from AS7: valid | cov 10.4.0.0/23-24 => AS7 | by 10.4.0.0/23-24 => AS7",
		"10.9.0.0/16 from an AS_SET (origin NONE): not-found | cov  | by ",
		"10.9.0.0/16 from AS1: not-found | cov  | by ",
	}
	if !slices.Equal(gotRoutes, wantRoutes) {
		t.Errorf("routes:\n got  %s\n want %s", strings.Join(gotRoutes, "\n      "), strings.Join(wantRoutes, "\n      "))
	}
	wantStates := map[string]int{"valid": 4, "invalid-length": 1, "invalid-asn": 3, "disallowed": 1, "not-found": 2}
	if !mapsEqual(a.RouteStates, wantStates) {
		t.Errorf("RouteStates = %v", a.RouteStates)
	}
	wantROAStates := map[string]int{"seen": 2, "too-permissive": 1, "redundant": 1, "as0": 1, "as0-redundant": 1, "unseen": 1, "disallowing": 1, "not-held": 1}
	if !mapsEqual(a.ROAStates, wantROAStates) {
		t.Errorf("ROAStates = %v", a.ROAStates)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
