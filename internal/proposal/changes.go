package proposal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
)

// Change states.
const (
	StatePending  = "pending"  // waits for a second token (approval.go)
	StateApplied  = "applied"  // signed and committed
	StateRejected = "rejected" // a second token said no
	StateExpired  = "expired"  // nobody approved it within the policy's expiry
	StateReverted = "reverted" // applied, then undone by a later change
)

// Stages of a change's timeline.
const (
	StageProposed  = "proposed"
	StageApproved  = "approved"
	StageRejected  = "rejected"
	StageExpired   = "expired"
	StageSigned    = "signed"    // signed and committed with its history record
	StagePublished = "published" // in the RRDP serial Event.Serial
	StageValidated = "validated" // road's own relying party sees exactly it
	StageRTR       = "rtr"       // the RTR server serves it (serial, routers)
)

// Actor is who acts on a change: the token's name and the actor as history
// writes it (the token and the client's remark).
type Actor struct {
	Token, Name string
}

// Submitter says who sends a request and what it reverts. The API sets it
// from the authenticated token; it never comes from a request body.
type Submitter struct {
	Token   string  // the proposing token's name ("" : the actor's)
	Flagged bool    // the token is flagged: the change needs approval
	Reverts []int64 // the changes this one undoes (revert.go)

	approving *approving // set by Approve: the change goes ahead
}

type approving struct {
	id int64
	by Actor
}

// Held is what a result says about the change pipeline.
type Held struct {
	Pending  bool     // stored, waiting for a second token's approval
	ChangeID int64    // the change's ID (pending or applied)
	Approval []string // why it needs approval (the policy's Needs* reasons)

	removed []ROA // Removed with their recorded exceptions, for a revert to restore
}

// Actors is what a roa-change history record adds about the pipeline.
type Actors struct {
	ChangeID int64   `json:"change_id,omitempty"`
	Approver string  `json:"approver,omitempty"`
	Reverts  []int64 `json:"reverts,omitempty"`
}

// Decision is what an approver adds: force over blocking findings that the
// re-run analysis finds now, with a reason.
type Decision struct {
	Force  bool
	Reason string
}

// Event is one stage of a change's timeline.
type Event struct {
	Stage   string
	At      time.Time
	Actor   string
	Serial  uint64 // published: the RRDP serial; rtr: the RTR serial
	Routers int    // rtr: routers connected when it was served
	Note    string
}

// ChangeInfo is a change as list and show answer it.
type ChangeInfo struct {
	ID                              int64
	State                           string
	Proposer, ProposedBy, Approver  string
	CreatedAt, ExpiresAt, DecidedAt time.Time
	RevertedBy                      int64
	Serial                          uint64
	HistoryID                       int64
	Add, Remove                     []ROA
	Force                           bool
	Reason                          string
	Reverts                         []int64
	Findings                        []Finding
	Impact                          json.RawMessage // internal/impact's report, as stored
	Approval                        []string
	Timeline                        []Event // show only
}

// changeDetail is the JSON a change row keeps.
type changeDetail struct {
	Add      []ROA           `json:"add,omitempty"`
	Remove   []ROA           `json:"remove,omitempty"`
	Force    bool            `json:"force,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Reverts  []int64         `json:"reverts,omitempty"`
	Findings []Finding       `json:"findings,omitempty"`
	Impact   json.RawMessage `json:"impact,omitempty"`
	Approval []string        `json:"approval,omitempty"`
}

type eventDetail struct {
	Serial  uint64 `json:"serial,omitempty"`
	Routers int    `json:"routers,omitempty"`
	Note    string `json:"note,omitempty"`
}

// proposerOf is the proposing token's name.
func proposerOf(actor string, req *Request) string {
	if req.Token != "" {
		return req.Token
	}
	name, _, _ := strings.Cut(actor, " (says: ")
	return name
}

func (s *Service) expiry() time.Duration {
	if s.policy.Expiry > 0 {
		return s.policy.Expiry
	}
	return DefaultExpiry
}

func detailOf(req *Request, res *Result) changeDetail {
	removed := res.Removed
	if res.removed != nil {
		removed = res.removed
	}
	return changeDetail{Add: res.Added, Remove: removed, Force: req.Force, Reason: req.Reason, Reverts: req.Reverts,
		Findings: res.Findings, Impact: impactOf(res), Approval: res.Approval}
}

// impactOf is the result's impact report as JSON (nil when it has none).
func impactOf(res *Result) json.RawMessage {
	if res.Impact == nil {
		return nil
	}
	b, err := json.Marshal(res.Impact)
	if err != nil {
		return nil
	}
	return b
}

func addEvent(tx *store.Tx, id int64, stage string, at time.Time, actor string, d eventDetail) error {
	_, err := tx.AddChangeEvent(store.ChangeEvent{ChangeID: id, Stage: stage, At: at, Actor: actor}, d)
	return err
}

// hold stores the change as pending when the policy says it needs a second
// token, and reports whether it did. A dry run only lists the reasons; a
// change being approved goes ahead.
func (s *Service) hold(ctx context.Context, actor string, req *Request, res *Result, in *parsed) (bool, error) {
	if cs, err := s.checkInputs(ctx); err == nil && len(cs.exceptions) > 0 {
		res.removed = slices.Clone(res.Removed)
		for i, v := range in.removes {
			res.removed[i].Exception = cs.exceptions[v]
		}
	}
	if req.approving != nil {
		return false, nil
	}
	res.Approval = s.policy.reasons(req, in, res.Impact, s.routes.Snapshot)
	if len(res.Approval) == 0 || req.DryRun {
		return false, nil
	}
	now := s.clock()
	c := &store.Change{State: StatePending, Proposer: proposerOf(actor, req), ProposedBy: actor, CreatedAt: now,
		ExpiresAt: now.Add(s.expiry())}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.AddChange(c, detailOf(req, res))
		if err != nil {
			return err
		}
		res.ChangeID = id
		return addEvent(tx, id, StageProposed, now, actor, eventDetail{Note: "needs approval: " + strings.Join(res.Approval, ", ")})
	})
	if err != nil {
		return true, err
	}
	res.Pending = true
	s.proposals.WithLabelValues("pending").Inc()
	return true, nil
}

// record gives an applied change its ID (a new one, or the approved pending
// one's), marks what it reverts and appends its history record, all in the
// transaction of the change itself.
func (s *Service) record(tx *store.Tx, actor string, req *Request, res *Result, summary string) error {
	now := s.clock()
	a := Actors{Reverts: req.Reverts}
	if ap := req.approving; ap != nil {
		c, err := tx.Change(ap.id)
		if err != nil {
			return err
		}
		if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) {
			return fault.New(fault.Conflict, fmt.Sprintf("change %d expired at %s; propose it again", c.ID, c.ExpiresAt.Format(time.RFC3339)), nil)
		}
		c.State, c.Approver, c.DecidedAt = StateApplied, ap.by.Name, now
		if err := tx.UpdateChange(&c, StatePending); err != nil {
			return stateChanged(c.ID, err)
		}
		a.ChangeID, a.Approver = c.ID, ap.by.Name
		summary += " (approved by " + ap.by.Name + ")"
		if err := addEvent(tx, c.ID, StageApproved, now, ap.by.Name, eventDetail{}); err != nil {
			return err
		}
	} else {
		id, err := tx.AddChange(&store.Change{State: StateApplied, Proposer: proposerOf(actor, req), ProposedBy: actor,
			CreatedAt: now, DecidedAt: now}, detailOf(req, res))
		if err != nil {
			return err
		}
		a.ChangeID = id
		if err := addEvent(tx, id, StageProposed, now, actor, eventDetail{}); err != nil {
			return err
		}
	}
	if err := markReverted(tx, a.ChangeID, req.Reverts); err != nil {
		return err
	}
	if len(req.Reverts) > 0 {
		summary += " (reverts change " + idList(req.Reverts) + ")"
	}
	hid, err := tx.AppendHistory(now, actor, "roa-change", summary, Change{Added: res.Added, Removed: res.Removed,
		Findings: res.Findings, Forced: res.Overridden, Reason: req.Reason, Actors: a})
	if err != nil {
		return err
	}
	c, err := tx.Change(a.ChangeID)
	if err != nil {
		return err
	}
	c.HistoryID = hid
	if err := tx.UpdateChange(&c, StateApplied); err != nil {
		return err
	}
	res.ChangeID = a.ChangeID
	return addEvent(tx, a.ChangeID, StageSigned, now, "", eventDetail{})
}

// markReverted marks the changes ids as reverted by change by.
func markReverted(tx *store.Tx, by int64, ids []int64) error {
	for _, id := range ids {
		c, err := tx.Change(id)
		if err != nil {
			return err
		}
		c.State, c.RevertedBy = StateReverted, by
		if err := tx.UpdateChange(&c, StateApplied); err != nil {
			return stateChanged(id, err)
		}
	}
	return nil
}

func stateChanged(id int64, err error) error {
	if errors.Is(err, store.ErrStateChanged) {
		return fault.New(fault.Conflict, fmt.Sprintf("change %d changed state meanwhile (approved, rejected, expired or reverted by another request)", id), nil)
	}
	return err
}

func idList(ids []int64) string {
	ss := make([]string, len(ids))
	for i, id := range ids {
		ss[i] = fmt.Sprint(id)
	}
	return strings.Join(ss, ", ")
}

// published records that the change's RRDP serial is live (after Propose
// published it; a failed publication is left to the propagation tracker).
func (s *Service) published(ctx context.Context, res *Result, publishErr error) {
	if res.ChangeID == 0 || publishErr != nil {
		return
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Change(res.ChangeID)
		if err != nil {
			return err
		}
		c.Serial = res.Serial
		if err := tx.UpdateChange(&c, c.State); err != nil {
			return err
		}
		return addEvent(tx, c.ID, StagePublished, s.clock(), "", eventDetail{Serial: res.Serial})
	})
	if err != nil {
		s.log.Error("record publication of change", "change", res.ChangeID, "err", err)
	}
}
