package proposal

import (
	"context"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// StageExternal: an external relying party's published VRP JSON
// ([approval] external_vrps_url) shows the change: every VRP it added and
// none it removed. At is the JSON's metadata.buildtime, else when it was
// fetched.
const StageExternal = "external"

// ExternalView receives the documents of the external VRP JSON: give it
// as the Target of an rtr.Follower polling that URL (the follower fetches
// with If-None-Match / If-Modified-Since, so an unchanged document costs
// one request and no look at the changes).
type ExternalView struct {
	s   *Service
	ctx context.Context
}

// External is the view that records StageExternal, using ctx for the store.
func (s *Service) External(ctx context.Context) *ExternalView { return &ExternalView{s: s, ctx: ctx} }

// Update records the stage for the changes vrps shows, at the fetch time.
func (e *ExternalView) Update(vrps vrp.Set, aspas []vrp.ASPA) (uint32, bool) {
	return e.UpdateBuilt(vrps, aspas, time.Time{})
}

// UpdateBuilt records the stage for the changes vrps shows, at built (the
// document's build time; zero: the fetch time).
func (e *ExternalView) UpdateBuilt(vrps vrp.Set, _ []vrp.ASPA, built time.Time) (uint32, bool) {
	note := "in the external VRP JSON built then"
	if built.IsZero() {
		note = "in the external VRP JSON fetched then (it has no metadata.buildtime)"
	}
	e.s.Observe(e.ctx, Observed{Stage: StageExternal, VRPs: vrps, At: built, Note: note})
	return 0, true
}
