package api

import (
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// The wire shapes of internal/conflict's analyses (GET /bgp/analysis, GET
// /bgp/suggestions, and a check's full result). vrp.VRP and route.Route carry
// no JSON tags; these snake_case shapes match ROA and RouteRef.

// ROARef names a ROA in an analysis: max_length is always present.
type ROARef struct {
	Prefix    string `json:"prefix"`
	MaxLength int    `json:"max_length"`
	ASN       uint32 `json:"asn"`
}

// BGPAnalysis is the body of GET /bgp/analysis: every configured ROA and
// every seen route in the CA's space with its state.
type BGPAnalysis struct {
	ROAs        []ROAReport    `json:"roas"`
	Routes      []RouteReport  `json:"routes"`
	ROAStates   map[string]int `json:"roa_states"`
	RouteStates map[string]int `json:"route_states"`
}

// ROAReport is one configured ROA against the routes.
type ROAReport struct {
	ROA               ROARef     `json:"roa"`
	State             string     `json:"state"`
	Authorizes        []RouteRef `json:"authorizes"`
	Disallows         []RouteRef `json:"disallows"`
	RedundantBy       []ROARef   `json:"redundant_by,omitempty"`
	Missing           string     `json:"missing,omitempty"`
	TightestMaxLength int        `json:"tightest_max_length"`
	Exception         string     `json:"exception,omitempty"`
}

// RouteReport is one seen route against the ROAs (RFC 6811 state).
type RouteReport struct {
	Route     RouteRef `json:"route"`
	State     string   `json:"state"`
	Covering  []ROARef `json:"covering"`
	AllowedBy []ROARef `json:"allowed_by"`
}

// BGPSuggestion is the body of GET /bgp/suggestions: the minimal ROA set
// for the routes and intents, as changes to the current set.
type BGPSuggestion struct {
	Add        []SuggestedAdd    `json:"add"`
	Remove     []SuggestedRemove `json:"remove"`
	Keep       []ROARef          `json:"keep"`
	Unresolved []Unresolved      `json:"unresolved"`
	Resulting  []ROARef          `json:"resulting"`
}

// SuggestedAdd is a ROA to add and what it authorizes.
type SuggestedAdd struct {
	ROA        ROARef      `json:"roa"`
	Reason     string      `json:"reason"`
	Authorizes []RouteRef  `json:"authorizes"`
	Intents    []IntentRef `json:"intents"`
}

// SuggestedRemove is a ROA to remove and what replaces it.
type SuggestedRemove struct {
	ROA        ROARef   `json:"roa"`
	Reason     string   `json:"reason"`
	ReplacedBy []ROARef `json:"replaced_by,omitempty"`
}

// Unresolved is a route, intent or ROA no suggestion can fix.
type Unresolved struct {
	Reason string     `json:"reason"`
	Route  *RouteRef  `json:"route,omitempty"`
	Intent *IntentRef `json:"intent,omitempty"`
	ROA    *ROARef    `json:"roa,omitempty"`
	State  string     `json:"state,omitempty"`
}

// CheckResult is conflict.Analyze's whole result: the findings (with their
// blocking flag), the resulting ROA set and the net change.
type CheckResult struct {
	Findings  []CheckFinding `json:"findings"`
	Blocked   bool           `json:"blocked"`
	Resulting []ROARef       `json:"resulting"`
	Added     []ROARef       `json:"added"`
	Removed   []ROARef       `json:"removed"`
}

// CheckFinding is one finding of CheckResult.
type CheckFinding struct {
	Kind        string     `json:"kind"`
	Severity    string     `json:"severity"`
	Blocking    bool       `json:"blocking"`
	Overridable bool       `json:"overridable"`
	ROA         *ROARef    `json:"roa,omitempty"`
	Route       *RouteRef  `json:"route,omitempty"`
	Intent      *IntentRef `json:"intent,omitempty"`
	Message     string     `json:"message"`
}

func roaRef(v vrp.VRP) ROARef {
	return ROARef{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN}
}

func routeRef(r route.Route) RouteRef {
	return RouteRef{Prefix: r.Prefix.String(), Origin: r.Origin, NoOrigin: r.NoOrigin}
}

func intentRef(in conflict.Intent) IntentRef {
	return IntentRef{Prefix: in.Prefix.String(), Origin: in.Origin, Note: in.Note}
}

// mapAll converts every element; nil becomes an empty slice, so the JSON
// carries [] rather than null.
func mapAll[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// mapPtr converts *x, keeping nil.
func mapPtr[T, U any](x *T, f func(T) U) *U {
	if x == nil {
		return nil
	}
	u := f(*x)
	return &u
}

func checkResult(r conflict.Result) CheckResult {
	out := CheckResult{Findings: []CheckFinding{}, Blocked: r.Blocked, Resulting: mapAll(r.Resulting, roaRef),
		Added: mapAll(r.Added, roaRef), Removed: mapAll(r.Removed, roaRef)}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, CheckFinding{Kind: f.Kind, Severity: f.Severity, Blocking: f.Blocking,
			Overridable: f.Overridable, ROA: mapPtr(f.ROA, roaRef), Route: mapPtr(f.Route, routeRef), Intent: mapPtr(f.Intent, intentRef),
			Message: f.Message})
	}
	return out
}

func roaReport(r conflict.ROAReport) ROAReport {
	var missing string
	if r.Missing.IsValid() {
		missing = r.Missing.String()
	}
	return ROAReport{ROA: roaRef(r.ROA), State: r.State, Authorizes: mapAll(r.Authorizes, routeRef),
		Disallows: mapAll(r.Disallows, routeRef), RedundantBy: mapAll(r.RedundantBy, roaRef), Missing: missing,
		TightestMaxLength: r.TightestMaxLength, Exception: r.Exception}
}

func bgpAnalysis(a conflict.Analysis) *BGPAnalysis {
	out := &BGPAnalysis{ROAs: []ROAReport{}, Routes: []RouteReport{}, ROAStates: a.ROAStates, RouteStates: a.RouteStates}
	for _, r := range a.ROAs {
		out.ROAs = append(out.ROAs, roaReport(r))
	}
	for _, r := range a.Routes {
		out.Routes = append(out.Routes, RouteReport{Route: routeRef(r.Route), State: string(r.State),
			Covering: mapAll(r.Covering, roaRef), AllowedBy: mapAll(r.AllowedBy, roaRef)})
	}
	return out
}

func bgpSuggestion(s conflict.Suggestion) *BGPSuggestion {
	out := &BGPSuggestion{Add: []SuggestedAdd{}, Remove: []SuggestedRemove{}, Keep: mapAll(s.Keep, roaRef),
		Unresolved: []Unresolved{}, Resulting: mapAll(s.Resulting, roaRef)}
	for _, a := range s.Add {
		sa := SuggestedAdd{ROA: roaRef(a.ROA), Reason: a.Reason, Authorizes: mapAll(a.Authorizes, routeRef), Intents: []IntentRef{}}
		for _, in := range a.Intents {
			sa.Intents = append(sa.Intents, intentRef(in))
		}
		out.Add = append(out.Add, sa)
	}
	for _, r := range s.Remove {
		out.Remove = append(out.Remove, SuggestedRemove{ROA: roaRef(r.ROA), Reason: r.Reason, ReplacedBy: mapAll(r.ReplacedBy, roaRef)})
	}
	for _, u := range s.Unresolved {
		out.Unresolved = append(out.Unresolved, Unresolved{Reason: u.Reason, Route: mapPtr(u.Route, routeRef),
			Intent: mapPtr(u.Intent, intentRef), ROA: mapPtr(u.ROA, roaRef), State: string(u.State)})
	}
	return out
}
