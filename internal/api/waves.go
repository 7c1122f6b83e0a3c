package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/waves"
)

// RTRWaves is where each VRP set is in the staged RTR rollout
// (GET /api/v1/rtr/waves and the answer of promote and rollback).
type RTRWaves = waves.Status

// RTRWavesSet names one VRP set of RTRWaves.
type RTRWavesSet = waves.SetInfo

// RTRWavesWave is one wave of RTRWaves; RTRWavesCheck its last health check.
type (
	RTRWavesWave  = waves.WaveStatus
	RTRWavesCheck = waves.Check
)

// Waves is what the API asks internal/waves.
type Waves interface {
	Status() *waves.Status
	Promote(ctx context.Context, actor string, force bool) (*waves.Status, error)
	Rollback(ctx context.Context, actor string) (*waves.Status, error)
}

// WavesBackend is a Backend that also runs RTR waves (Parts does).
type WavesBackend interface {
	RTRWaves(ctx context.Context) (*RTRWaves, error)
	RTRPromote(ctx context.Context, actor string, force bool) (*RTRWaves, error)
	RTRRollback(ctx context.Context, actor string) (*RTRWaves, error)
}

func (p Parts) RTRWaves(context.Context) (*RTRWaves, error) { return p.Waves.Status(), nil }
func (p Parts) RTRPromote(ctx context.Context, actor string, force bool) (*RTRWaves, error) {
	return p.Waves.Promote(ctx, actor, force)
}
func (p Parts) RTRRollback(ctx context.Context, actor string) (*RTRWaves, error) {
	return p.Waves.Rollback(ctx, actor)
}

// waveRoutes: the staged RTR rollout. A backend without waves answers 404.
func (s *Server) waveRoutes(r chi.Router) {
	wb, ok := s.backend.(WavesBackend)
	if !ok {
		return
	}
	r.Get("/rtr/waves", s.handle(func(r *http.Request) (any, int, error) {
		st, err := wb.RTRWaves(r.Context())
		return st, http.StatusOK, err
	}))
	r.Post("/rtr/waves/promote", s.handle(func(r *http.Request) (any, int, error) {
		force := false
		switch f := r.URL.Query().Get("force"); f {
		case "", "false":
		case "true":
			force = true
		default:
			return nil, 0, BadRequest("force=%q: want true or false", f)
		}
		st, err := wb.RTRPromote(r.Context(), actor(r), force)
		return st, http.StatusOK, err
	}))
	r.Post("/rtr/waves/rollback", s.handle(func(r *http.Request) (any, int, error) {
		st, err := wb.RTRRollback(r.Context(), actor(r))
		return st, http.StatusOK, err
	}))
}

// RTRWaves is GET /api/v1/rtr/waves.
func (c *Client) RTRWaves(ctx context.Context) (*RTRWaves, error) {
	var v RTRWaves
	return &v, c.get(ctx, "/rtr/waves", nil, &v)
}

// RTRPromote is POST /api/v1/rtr/waves/promote[?force=true].
func (c *Client) RTRPromote(ctx context.Context, force bool) (*RTRWaves, error) {
	var v RTRWaves
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	_, err := c.do(ctx, http.MethodPost, "/rtr/waves/promote", q, nil, nil, &v)
	return &v, err
}

// RTRRollback is POST /api/v1/rtr/waves/rollback.
func (c *Client) RTRRollback(ctx context.Context) (*RTRWaves, error) {
	var v RTRWaves
	_, err := c.do(ctx, http.MethodPost, "/rtr/waves/rollback", nil, nil, nil, &v)
	return &v, err
}
