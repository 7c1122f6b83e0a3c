package proposal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
)

// States lists the change states a listing may filter on.
var States = []string{StatePending, StateApplied, StateRejected, StateExpired, StateReverted}

// expire marks the pending changes past their expiry as expired.
func (s *Service) expire(tx *store.Tx) error {
	gone, err := tx.ExpireChanges(s.clock())
	for _, c := range gone {
		if err := addEvent(tx, c.ID, StageExpired, c.ExpiresAt, "", eventDetail{}); err != nil {
			return err
		}
	}
	return err
}

func (s *Service) expireNow(ctx context.Context) error {
	return s.st.Update(ctx, s.expire)
}

// Changes lists changes newest first, of state ("" every state), at most
// limit (0: store.MaxChanges), without their timelines.
func (s *Service) Changes(ctx context.Context, state string, limit int) ([]ChangeInfo, error) {
	if err := s.expireNow(ctx); err != nil {
		return nil, err
	}
	out := []ChangeInfo{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		cs, err := tx.Changes(state, limit)
		for _, c := range cs {
			out = append(out, infoOf(c))
		}
		return err
	})
	return out, err
}

// Change is change id with its timeline.
func (s *Service) Change(ctx context.Context, id int64) (*ChangeInfo, error) {
	if err := s.expireNow(ctx); err != nil {
		return nil, err
	}
	var out ChangeInfo
	err := s.st.View(ctx, func(tx *store.Tx) error {
		c, err := loadChange(tx, id)
		if err != nil {
			return err
		}
		out = infoOf(c)
		out.Timeline, err = timeline(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func loadChange(tx *store.Tx, id int64) (store.Change, error) {
	c, err := tx.Change(id)
	if errors.Is(err, store.ErrNotFound) {
		return c, fault.NotFoundf("change %d: no such change (roactl change list shows them)", id)
	}
	return c, err
}

func timeline(tx *store.Tx, id int64) ([]Event, error) {
	es, err := tx.ChangeEvents(id)
	out := make([]Event, 0, len(es))
	for _, e := range es {
		var d eventDetail
		_ = json.Unmarshal(e.Detail, &d)
		out = append(out, Event{Stage: e.Stage, At: e.At, Actor: e.Actor, Serial: d.Serial, Routers: d.Routers, Note: d.Note})
	}
	return out, err
}

func infoOf(c store.Change) ChangeInfo {
	var d changeDetail
	_ = json.Unmarshal(c.Detail, &d)
	return ChangeInfo{ID: c.ID, State: c.State, Proposer: c.Proposer, ProposedBy: c.ProposedBy, Approver: c.Approver,
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, DecidedAt: c.DecidedAt, RevertedBy: c.RevertedBy, Serial: c.Serial,
		HistoryID: c.HistoryID, Add: d.Add, Remove: d.Remove, Force: d.Force, Reason: d.Reason, Reverts: d.Reverts,
		Findings: d.Findings, Impact: d.Impact, Approval: d.Approval}
}

// pending returns change id when it is pending, else why not (to verb it).
func (s *Service) pending(ctx context.Context, id int64, verb string) (store.Change, error) {
	if err := s.expireNow(ctx); err != nil {
		return store.Change{}, err
	}
	var c store.Change
	err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = loadChange(tx, id)
		return err
	})
	if err != nil {
		return c, err
	}
	switch c.State {
	case StatePending:
		return c, nil
	case StateExpired:
		return c, fault.New(fault.Conflict, fmt.Sprintf("change %d expired at %s unapproved; it cannot be %s (propose it again)",
			id, c.ExpiresAt.Format(time.RFC3339), verb), nil)
	}
	return c, fault.New(fault.Conflict, fmt.Sprintf("change %d is %s; only a pending change can be %s", id, c.State, verb), nil)
}

// Approve applies the pending change id on behalf of by, a token other than
// its proposer's. The safety checks run again against the routes of now and
// the answer carries them: when they block, the change stays pending unless
// d forces it (with a reason, as any force).
func (s *Service) Approve(ctx context.Context, by Actor, id int64, d Decision) (*Result, error) {
	c, err := s.pending(ctx, id, "approved")
	if err != nil {
		return nil, err
	}
	if by.Token == c.Proposer {
		return nil, fault.New(fault.Blocked, fmt.Sprintf("token %s proposed change %d and cannot approve it: another token with the approver or admin role must", by.Token, id),
			map[string]string{"proposer": c.Proposer, "approver": by.Token})
	}
	var det changeDetail
	if err := json.Unmarshal(c.Detail, &det); err != nil {
		return nil, fmt.Errorf("change %d: detail: %w", id, err)
	}
	req := &Request{Add: det.Add, Remove: det.Remove, Force: det.Force || d.Force, Reason: det.Reason}
	if d.Force && !det.Force {
		req.Reason = d.Reason
	}
	req.Token, req.Reverts, req.approving = c.Proposer, det.Reverts, &approving{id: id, by: by}
	res, err := s.Propose(ctx, c.ProposedBy, req)
	if err == nil && !res.Applied && res.ChangeID == 0 {
		res.ChangeID = id // blocked by the re-run checks: still pending
	}
	return res, err
}

// Reject refuses the pending change id on behalf of by (its proposer may
// withdraw it too); nothing is signed.
func (s *Service) Reject(ctx context.Context, by Actor, id int64, reason string) (*ChangeInfo, error) {
	if _, err := s.pending(ctx, id, "rejected"); err != nil {
		return nil, err
	}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		c, err := loadChange(tx, id)
		if err != nil {
			return err
		}
		now := s.clock()
		c.State, c.Approver, c.DecidedAt = StateRejected, by.Name, now
		if err := tx.UpdateChange(&c, StatePending); err != nil {
			return stateChanged(id, err)
		}
		return addEvent(tx, id, StageRejected, now, by.Name, eventDetail{Note: reason})
	})
	if err != nil {
		return nil, err
	}
	return s.Change(ctx, id)
}
