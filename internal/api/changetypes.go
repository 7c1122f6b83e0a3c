package api

import (
	"encoding/json"
	"time"
)

// Change is one ROA change of the pipeline (GET /changes, GET /changes/{id}):
// pending approval, applied, rejected, expired or reverted.
type Change struct {
	ID    int64  `json:"id"`
	State string `json:"state"` // pending, applied, rejected, expired, reverted
	// Proposer is the proposing token's name; ProposedBy the actor as
	// history writes it. Approver approved or rejected it ("" when no
	// approval was needed).
	Proposer   string    `json:"proposer"`
	ProposedBy string    `json:"proposed_by"`
	Approver   string    `json:"approver,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
	RevertedBy int64     `json:"reverted_by,omitempty"`
	Reverts    []int64   `json:"reverts,omitempty"`
	Serial     uint64    `json:"serial,omitempty"` // the RRDP serial that published it
	HistoryID  int64     `json:"history_id,omitempty"`
	Add        []ROA     `json:"add"`
	Remove     []ROA     `json:"remove"`
	Force      bool      `json:"force,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	// Approval lists why it needs a second token: forced, origin-change,
	// removes-valid, max-addresses, flagged-token.
	Approval []string  `json:"approval,omitempty"`
	Findings []Finding `json:"findings"`
	// Impact is the impact analysis at proposal time (internal/impact).
	Impact   json.RawMessage `json:"impact,omitempty"`
	Timeline []ChangeEvent   `json:"timeline,omitempty"` // GET /changes/{id} only
}

// ChangeEvent is one stage of a change's timeline: proposed, approved,
// rejected, expired, signed, published (RRDP serial), validated (by road's
// own relying party), rtr (RTR serial, routers connected), late (the
// propagation alarm fired; the note names the stages it missed).
type ChangeEvent struct {
	Stage   string    `json:"stage"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"`
	Serial  uint64    `json:"serial,omitempty"`
	Routers *int      `json:"routers,omitempty"`
	Note    string    `json:"note,omitempty"`
}

// ChangeList is the body of GET /changes.
type ChangeList struct {
	Changes []Change `json:"changes"`
}

// ApproveRequest is the body of POST /changes/{id}/approve: force (with a
// reason) overrides blocking findings the re-run checks find now.
type ApproveRequest struct {
	Force  bool   `json:"force,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// RejectRequest is the body of POST /changes/{id}/reject.
type RejectRequest struct {
	Reason string `json:"reason,omitempty"`
}

// RevertRequest is the body of POST /changes/revert: the change IDs to
// revert, or the last N applied changes.
type RevertRequest struct {
	IDs    []int64 `json:"ids,omitempty"`
	Last   int     `json:"last,omitempty"`
	DryRun bool    `json:"dry_run,omitempty"`
	Force  bool    `json:"force,omitempty"`
	Reason string  `json:"reason,omitempty"`
}

// TokenFlag is the body of POST /tokens/{name}/flag and its answer.
type TokenFlag struct {
	Name    string `json:"name,omitempty"`
	Flagged bool   `json:"flagged"`
}
