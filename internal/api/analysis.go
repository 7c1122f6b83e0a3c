package api

import (
	"encoding/json"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// The REST API returns these types as they are. vrp.VRP and route.Route carry
// no JSON tags, so the snake_case wire shapes live here (matching api.ROA and
// api.RouteRef field names).

type jsonROA struct {
	Prefix    string `json:"prefix"`
	MaxLength int    `json:"max_length"`
	ASN       uint32 `json:"asn"`
}

type jsonRoute struct {
	Prefix   string `json:"prefix"`
	Origin   uint32 `json:"origin"`
	NoOrigin bool   `json:"no_origin,omitempty"`
}

func wireROA(v vrp.VRP) jsonROA {
	return jsonROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN}
}

func wireROAPtr(v *vrp.VRP) *jsonROA {
	if v == nil {
		return nil
	}
	w := wireROA(*v)
	return &w
}

func wireROAs(vs []vrp.VRP) []jsonROA {
	out := make([]jsonROA, len(vs))
	for i, v := range vs {
		out[i] = wireROA(v)
	}
	return out
}

func wireRoute(r route.Route) jsonRoute {
	return jsonRoute{Prefix: r.Prefix.String(), Origin: r.Origin, NoOrigin: r.NoOrigin}
}

func wireRoutePtr(r *route.Route) *jsonRoute {
	if r == nil {
		return nil
	}
	w := wireRoute(*r)
	return &w
}

func wireRoutes(rs []route.Route) []jsonRoute {
	out := make([]jsonRoute, len(rs))
	for i, r := range rs {
		out[i] = wireRoute(r)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// MarshalJSON implements json.Marshaler.
func (f Finding) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind        string     `json:"kind"`
		Severity    string     `json:"severity"`
		Blocking    bool       `json:"blocking"`
		Overridable bool       `json:"overridable"`
		ROA         *jsonROA   `json:"roa,omitempty"`
		Route       *jsonRoute `json:"route,omitempty"`
		Intent      *Intent    `json:"intent,omitempty"`
		Message     string     `json:"message"`
	}{f.Kind, f.Severity, f.Blocking, f.Overridable, wireROAPtr(f.ROA), wireRoutePtr(f.Route), f.Intent, f.Message})
}

// MarshalJSON implements json.Marshaler.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Findings  []Finding `json:"findings"`
		Blocked   bool      `json:"blocked"`
		Resulting []jsonROA `json:"resulting"`
		Added     []jsonROA `json:"added"`
		Removed   []jsonROA `json:"removed"`
	}{nonNil(r.Findings), r.Blocked, wireROAs(r.Resulting), wireROAs(r.Added), wireROAs(r.Removed)})
}

// MarshalJSON implements json.Marshaler.
func (r ROAReport) MarshalJSON() ([]byte, error) {
	var missing string
	if r.Missing.IsValid() {
		missing = r.Missing.String()
	}
	return json.Marshal(struct {
		ROA               jsonROA     `json:"roa"`
		State             string      `json:"state"`
		Authorizes        []jsonRoute `json:"authorizes"`
		Disallows         []jsonRoute `json:"disallows"`
		RedundantBy       []jsonROA   `json:"redundant_by,omitempty"`
		Missing           string      `json:"missing,omitempty"`
		TightestMaxLength int         `json:"tightest_max_length"`
		Exception         string      `json:"exception,omitempty"`
	}{wireROA(r.ROA), r.State, wireRoutes(r.Authorizes), wireRoutes(r.Disallows), wireROAs(r.RedundantBy), missing, r.TightestMaxLength, r.Exception})
}

// MarshalJSON implements json.Marshaler.
func (r RouteReport) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Route     jsonRoute  `json:"route"`
		State     vrp.Reason `json:"state"`
		Covering  []jsonROA  `json:"covering"`
		AllowedBy []jsonROA  `json:"allowed_by"`
	}{wireRoute(r.Route), r.State, wireROAs(r.Covering), wireROAs(r.AllowedBy)})
}

// MarshalJSON implements json.Marshaler.
func (a Analysis) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ROAs        []ROAReport    `json:"roas"`
		Routes      []RouteReport  `json:"routes"`
		ROAStates   map[string]int `json:"roa_states"`
		RouteStates map[string]int `json:"route_states"`
	}{nonNil(a.ROAs), nonNil(a.Routes), a.ROAStates, a.RouteStates})
}

// MarshalJSON implements json.Marshaler.
func (s SuggestedAdd) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ROA        jsonROA     `json:"roa"`
		Reason     string      `json:"reason"`
		Authorizes []jsonRoute `json:"authorizes"`
		Intents    []Intent    `json:"intents"`
	}{wireROA(s.ROA), s.Reason, wireRoutes(s.Authorizes), nonNil(s.Intents)})
}

// MarshalJSON implements json.Marshaler.
func (s SuggestedRemove) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ROA        jsonROA   `json:"roa"`
		Reason     string    `json:"reason"`
		ReplacedBy []jsonROA `json:"replaced_by,omitempty"`
	}{wireROA(s.ROA), s.Reason, wireROAs(s.ReplacedBy)})
}

// MarshalJSON implements json.Marshaler.
func (u Unresolved) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Reason string     `json:"reason"`
		Route  *jsonRoute `json:"route,omitempty"`
		Intent *Intent    `json:"intent,omitempty"`
		ROA    *jsonROA   `json:"roa,omitempty"`
		State  vrp.Reason `json:"state,omitempty"`
	}{u.Reason, wireRoutePtr(u.Route), u.Intent, wireROAPtr(u.ROA), u.State})
}

// MarshalJSON implements json.Marshaler.
func (s Suggestion) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Add        []SuggestedAdd    `json:"add"`
		Remove     []SuggestedRemove `json:"remove"`
		Keep       []jsonROA         `json:"keep"`
		Unresolved []Unresolved      `json:"unresolved"`
		Resulting  []jsonROA         `json:"resulting"`
	}{nonNil(s.Add), nonNil(s.Remove), wireROAs(s.Keep), nonNil(s.Unresolved), wireROAs(s.Resulting)})
}
