package proposal

import (
	"context"
	"net/netip"

	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// analysisInput is the current state the BGP analysis looks at: a snapshot
// of the routes (so a long analysis does not hold up the speaker), the
// configured ROAs and the intents.
func (s *Service) analysisInput(ctx context.Context) (*analysisState, error) {
	if err := s.routes.Ready(ctx); err != nil {
		return nil, err
	}
	// The same (cached, read-only) store state the safety checks read.
	c, err := s.checkInputs(ctx)
	if err != nil {
		return nil, err
	}
	a := &analysisState{roas: c.current, exceptions: c.exceptions, intents: c.intents}
	ip, _ := s.ca.Resources()
	a.held = ip.ContainsPrefix
	a.routes = heldScope{src: s.routes.Snapshot(), held: ip.Prefixes()}
	return a, nil
}

type analysisState struct {
	roas       vrp.Set
	routes     route.Source
	intents    []conflict.Intent
	exceptions map[vrp.VRP]string
	held       func(netip.Prefix) bool
}

// heldScope is a route source whose All yields only the routes inside the
// CA's resources: the analysis reports nothing else, and walking a full
// table to filter it costs seconds where a few range scans cost microseconds.
type heldScope struct {
	src  route.Source
	held []netip.Prefix // disjoint
}

func (h heldScope) Within(p netip.Prefix, yield func(route.Route) bool) { h.src.Within(p, yield) }

func (h heldScope) All(yield func(route.Route) bool) {
	for _, p := range h.held {
		more := true
		h.src.Within(p, func(r route.Route) bool { more = yield(r); return more })
		if !more {
			return
		}
	}
}

// Analysis reports every configured ROA and every seen route in the CA's
// space with its state (conflict.AnalyzeTable; its JSON is the answer).
func (s *Service) Analysis(ctx context.Context) (conflict.Analysis, error) {
	a, err := s.analysisInput(ctx)
	if err != nil {
		return conflict.Analysis{}, err
	}
	return conflict.AnalyzeTableWith(a.roas, a.routes, a.held, a.exceptions), nil
}

// Suggestions is the minimal ROA set that makes every intent and seen own
// route Valid with no loose maxLength, as changes to the current set.
func (s *Service) Suggestions(ctx context.Context) (conflict.Suggestion, error) {
	a, err := s.analysisInput(ctx)
	if err != nil {
		return conflict.Suggestion{}, err
	}
	return conflict.SuggestWith(a.roas, a.routes, a.intents, a.held, a.exceptions), nil
}
