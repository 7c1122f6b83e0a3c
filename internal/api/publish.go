package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/roadrpki/road/internal/fault"
)

// Publication is the pre-publication guard (internal/gate): an operator's
// recorded override of the publication invariants and of the start-up
// block, which publishes at once.
type Publication interface {
	Override(ctx context.Context, actor, reason string) error
}

// PublishOverrideRequest is the body of POST /api/v1/publish/override.
type PublishOverrideRequest struct {
	Reason string `json:"reason"` // recorded in the history
}

// PublishOverrideResult answers it: the override was recorded and the
// publication it allowed succeeded.
type PublishOverrideResult struct {
	Actor     string `json:"actor"`
	Reason    string `json:"reason"`
	Published bool   `json:"published"`
}

// PublishOverride waives the invariants once (Parts.Publication).
func (p Parts) PublishOverride(ctx context.Context, actor, reason string) error {
	if p.Publication == nil {
		return fault.New(fault.Unavailable, "no publication guard", nil)
	}
	return p.Publication.Override(ctx, actor, reason)
}

// publishRoutes: the operator's override of a refused publication.
func (s *Server) publishRoutes(r chi.Router) {
	r.Post("/publish/override", s.handle(func(r *http.Request) (any, int, error) {
		var req PublishOverrideRequest
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		if err := s.backend.PublishOverride(r.Context(), actor(r), req.Reason); err != nil {
			return nil, 0, err
		}
		return &PublishOverrideResult{Actor: actor(r), Reason: req.Reason, Published: true}, http.StatusOK, nil
	}))
}

// PublishOverride is POST /api/v1/publish/override (admin only).
func (c *Client) PublishOverride(ctx context.Context, reason string) (*PublishOverrideResult, error) {
	var v PublishOverrideResult
	return &v, c.sendJSON(ctx, http.MethodPost, "/publish/override", &PublishOverrideRequest{Reason: reason}, &v)
}
