package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/delegation"
)

// KeyRolls is what the API asks internal/delegation about key rolls: the
// CA's (RFC 6489) and the BPKI identity's (RFC 8183).
type KeyRolls interface {
	StartRoll(ctx context.Context, actor string) (*delegation.Roll, error)
	ActivateRoll(ctx context.Context, actor string) (*delegation.Roll, error)
	KeyRoll(ctx context.Context) (*delegation.Roll, error)
	IdentityRoll(ctx context.Context, actor string) (childReq, publisherReq []byte, err error)
	IdentityActivate(ctx context.Context, actor string) error
}

// KeyRoll is the state of the CA's current or last key roll: phase
// requested, pending (staging until activate_at), active (the old key's
// certificate is being revoked) or done.
type KeyRoll = delegation.Roll

// KeyRollState answers GET /ca/roll: the roll, null when the key never rolled.
type KeyRollState struct {
	Roll *KeyRoll `json:"roll"`
}

// IdentityRequests answers POST /identity/roll: the RFC 8183 requests that
// carry the new identity, to send to every parent and repository.
type IdentityRequests struct {
	ChildRequest     string `json:"child_request"`
	PublisherRequest string `json:"publisher_request"`
}

// IdentityActivated answers POST /identity/activate.
type IdentityActivated struct {
	Activated bool `json:"activated"`
}

// keyRollRoutes: the CA's and the identity's key rolls.
func (s *Server) keyRollRoutes(r chi.Router) {
	r.Get("/ca/roll", s.handle(func(r *http.Request) (any, int, error) {
		kr, err := s.backend.KeyRoll(r.Context())
		return &KeyRollState{Roll: kr}, http.StatusOK, err
	}))
	r.Post("/ca/roll", s.handle(func(r *http.Request) (any, int, error) {
		kr, err := s.backend.StartRoll(r.Context(), actor(r))
		return &KeyRollState{Roll: kr}, http.StatusOK, err
	}))
	r.Post("/ca/roll/activate", s.handle(func(r *http.Request) (any, int, error) {
		kr, err := s.backend.ActivateRoll(r.Context(), actor(r))
		return &KeyRollState{Roll: kr}, http.StatusOK, err
	}))
	r.Post("/identity/roll", s.handle(func(r *http.Request) (any, int, error) {
		c, p, err := s.backend.IdentityRoll(r.Context(), actor(r))
		return &IdentityRequests{ChildRequest: string(c), PublisherRequest: string(p)}, http.StatusOK, err
	}))
	r.Post("/identity/activate", s.handle(func(r *http.Request) (any, int, error) {
		err := s.backend.IdentityActivate(r.Context(), actor(r))
		return &IdentityActivated{Activated: err == nil}, http.StatusOK, err
	}))
}

// Parts' KeyRolls calls.
func (p Parts) StartRoll(ctx context.Context, actor string) (*delegation.Roll, error) {
	return p.Delegation.StartRoll(ctx, actor)
}
func (p Parts) ActivateRoll(ctx context.Context, actor string) (*delegation.Roll, error) {
	return p.Delegation.ActivateRoll(ctx, actor)
}
func (p Parts) KeyRoll(ctx context.Context) (*delegation.Roll, error) {
	return p.Delegation.KeyRoll(ctx)
}
func (p Parts) IdentityRoll(ctx context.Context, actor string) ([]byte, []byte, error) {
	return p.Delegation.IdentityRoll(ctx, actor)
}
func (p Parts) IdentityActivate(ctx context.Context, actor string) error {
	return p.Delegation.IdentityActivate(ctx, actor)
}

// Client calls of the key roll routes.

// KeyRoll reads the CA's key roll.
func (c *Client) KeyRoll(ctx context.Context) (*KeyRollState, error) {
	var out KeyRollState
	return &out, c.get(ctx, "/ca/roll", nil, &out)
}

// StartRoll starts a CA key roll (activate: end a pending roll's staging now).
func (c *Client) StartRoll(ctx context.Context, activate bool) (*KeyRollState, error) {
	path := "/ca/roll"
	if activate {
		path += "/activate"
	}
	var out KeyRollState
	return &out, c.sendJSON(ctx, http.MethodPost, path, struct{}{}, &out)
}

// IdentityRoll makes the next BPKI identity; IdentityActivate activates it.
func (c *Client) IdentityRoll(ctx context.Context) (*IdentityRequests, error) {
	var out IdentityRequests
	return &out, c.sendJSON(ctx, http.MethodPost, "/identity/roll", struct{}{}, &out)
}

// IdentityActivate makes the next BPKI identity the one road signs with.
func (c *Client) IdentityActivate(ctx context.Context) (*IdentityActivated, error) {
	var out IdentityActivated
	return &out, c.sendJSON(ctx, http.MethodPost, "/identity/activate", struct{}{}, &out)
}
