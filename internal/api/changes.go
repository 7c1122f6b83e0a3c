package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/proposal"
)

// ChangeBackend is the change pipeline: list, show, approve, reject, revert
// (internal/proposal).
type ChangeBackend interface {
	Changes(ctx context.Context, state string, limit int) ([]proposal.ChangeInfo, error)
	Change(ctx context.Context, id int64) (*proposal.ChangeInfo, error)
	Approve(ctx context.Context, by proposal.Actor, id int64, d proposal.Decision) (*proposal.Result, error)
	Reject(ctx context.Context, by proposal.Actor, id int64, reason string) (*proposal.ChangeInfo, error)
	Revert(ctx context.Context, actor string, rr *proposal.RevertRequest) (*proposal.Result, error)
}

// submitter is who sends a change: the authenticated token.
func submitter(r *http.Request) proposal.Submitter {
	t := identity(r.Context())
	return proposal.Submitter{Token: t.Name, Flagged: t.Flagged}
}

func by(r *http.Request) proposal.Actor {
	return proposal.Actor{Token: identity(r.Context()).Name, Name: actor(r)}
}

// resultStatus is the HTTP status of a proposal's outcome: 409 blocked,
// 202 pending approval, else 200.
func resultStatus(res *proposal.Result) int {
	switch {
	case res.Blocked:
		return http.StatusConflict
	case res.Pending:
		return http.StatusAccepted
	}
	return http.StatusOK
}

func changeID(r *http.Request) (int64, error) {
	v := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, BadRequest("change ID %q: want a positive number", v)
	}
	return id, nil
}

// pipelineRoutes: the changes, their approval, rejection and revert.
func (s *Server) pipelineRoutes(r chi.Router) {
	r.Get("/changes", s.handle(func(r *http.Request) (any, int, error) {
		state := r.URL.Query().Get("state")
		if state != "" && !slices.Contains(proposal.States, state) {
			return nil, 0, BadRequest("state %q: want one of %s", state, strings.Join(proposal.States, ", "))
		}
		l, err := s.backend.Changes(r.Context(), state, 0)
		out := &ChangeList{Changes: []Change{}}
		for i := range l {
			out.Changes = append(out.Changes, wireChange(&l[i]))
		}
		return out, http.StatusOK, err
	}))
	r.Get("/changes/{id}", s.handle(func(r *http.Request) (any, int, error) {
		id, err := changeID(r)
		if err != nil {
			return nil, 0, err
		}
		c, err := s.backend.Change(r.Context(), id)
		if err != nil {
			return nil, 0, err
		}
		out := wireChange(c)
		return &out, http.StatusOK, nil
	}))
	r.Post("/changes/{id}/approve", s.handle(func(r *http.Request) (any, int, error) {
		id, err := changeID(r)
		if err != nil {
			return nil, 0, err
		}
		var req ApproveRequest
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		if req.Force && strings.TrimSpace(req.Reason) == "" {
			return nil, 0, BadRequest("force needs a reason: it is written to the history")
		}
		res, err := s.backend.Approve(r.Context(), by(r), id, proposal.Decision{Force: req.Force, Reason: req.Reason})
		if err != nil {
			return nil, 0, err
		}
		return proposalResult(res), resultStatus(res), nil
	}))
	r.Post("/changes/{id}/reject", s.handle(func(r *http.Request) (any, int, error) {
		id, err := changeID(r)
		if err != nil {
			return nil, 0, err
		}
		var req RejectRequest
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		c, err := s.backend.Reject(r.Context(), by(r), id, req.Reason)
		if err != nil {
			return nil, 0, err
		}
		out := wireChange(c)
		return &out, http.StatusOK, nil
	}))
	r.Post("/changes/revert", s.handle(func(r *http.Request) (any, int, error) {
		var req RevertRequest
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		res, err := s.backend.Revert(r.Context(), actor(r), &proposal.RevertRequest{IDs: req.IDs, Last: req.Last,
			DryRun: req.DryRun, Force: req.Force, Reason: req.Reason, Submitter: submitter(r)})
		if err != nil {
			return nil, 0, err
		}
		return proposalResult(res), resultStatus(res), nil
	}))
}

func wireChange(c *proposal.ChangeInfo) Change {
	out := Change{ID: c.ID, State: c.State, Proposer: c.Proposer, ProposedBy: c.ProposedBy, Approver: c.Approver,
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, DecidedAt: c.DecidedAt, RevertedBy: c.RevertedBy, Reverts: c.Reverts,
		Serial: c.Serial, HistoryID: c.HistoryID, Add: wireROAs(c.Add), Remove: wireROAs(c.Remove), Force: c.Force,
		Reason: c.Reason, Approval: c.Approval, Findings: wireFindings(c.Findings), Impact: c.Impact}
	if out.Add == nil {
		out.Add = []ROA{}
	}
	if out.Remove == nil {
		out.Remove = []ROA{}
	}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	for _, e := range c.Timeline {
		ev := ChangeEvent{Stage: e.Stage, At: e.At, Actor: e.Actor, Serial: e.Serial, Note: e.Note}
		if e.Stage == proposal.StageRTR {
			n := e.Routers
			ev.Routers = &n
		}
		out.Timeline = append(out.Timeline, ev)
	}
	return out
}
