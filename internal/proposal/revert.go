package proposal

import (
	"context"
	"fmt"
	"slices"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// MaxRevert bounds the changes one revert undoes.
const MaxRevert = 100

// RevertRequest undoes applied changes: those named by IDs, or the last
// Last applied ones. The inverse is a proposal like any other: the same
// checks, the same approval policy.
type RevertRequest struct {
	IDs    []int64
	Last   int
	DryRun bool
	Force  bool
	Reason string
	Submitter
}

// Revert proposes the exact inverse of the changes rr names, newest first,
// against the ROAs configured now: what they added is removed, what they
// removed is added back (a ROA already gone, or already back, needs nothing).
func (s *Service) Revert(ctx context.Context, actor string, rr *RevertRequest) (*Result, error) {
	targets, err := s.revertTargets(ctx, rr)
	if err != nil {
		return nil, err
	}
	cs, err := s.checkInputs(ctx)
	if err != nil {
		return nil, err
	}
	add, remove := inverse(cs.current, targets)
	ids := make([]int64, len(targets))
	for i, t := range targets {
		ids[i] = t.ID
	}
	if len(add)+len(remove) == 0 {
		return nil, fault.New(fault.Conflict, fmt.Sprintf("nothing to revert: the configured ROAs already look as before change %s", idList(ids)), nil)
	}
	req := &Request{Add: add, Remove: remove, DryRun: rr.DryRun, Force: rr.Force, Reason: rr.Reason, Submitter: rr.Submitter}
	req.Reverts, req.approving = ids, nil
	return s.Propose(ctx, actor, req)
}

// revertTargets loads the changes to revert, newest first; each must be applied.
func (s *Service) revertTargets(ctx context.Context, rr *RevertRequest) ([]ChangeInfo, error) {
	switch {
	case len(rr.IDs) > 0 && rr.Last > 0:
		return nil, fault.Invalidf("revert either change IDs or the last N changes, not both")
	case len(rr.IDs) == 0 && rr.Last <= 0:
		return nil, fault.Invalidf("revert what? name change IDs or the last N (N >= 1)")
	case len(rr.IDs) > MaxRevert || rr.Last > MaxRevert:
		return nil, fault.Invalidf("one revert undoes at most %d changes", MaxRevert)
	}
	var out []ChangeInfo
	err := s.st.View(ctx, func(tx *store.Tx) error {
		if rr.Last > 0 {
			cs, err := tx.Changes(StateApplied, rr.Last)
			if err != nil {
				return err
			}
			if len(cs) < rr.Last {
				return fault.New(fault.Conflict, fmt.Sprintf("only %d applied change(s) to revert, not %d", len(cs), rr.Last), nil)
			}
			for _, c := range cs {
				out = append(out, infoOf(c))
			}
			return nil
		}
		for _, id := range rr.IDs {
			if slices.ContainsFunc(out, func(c ChangeInfo) bool { return c.ID == id }) {
				return fault.Invalidf("change %d is listed twice", id)
			}
			c, err := loadChange(tx, id)
			if err != nil {
				return err
			}
			if err := revertible(c); err != nil {
				return err
			}
			out = append(out, infoOf(c))
		}
		return nil
	})
	slices.SortFunc(out, func(a, b ChangeInfo) int { return int(b.ID - a.ID) })
	return out, err
}

func revertible(c store.Change) error {
	switch c.State {
	case StateApplied:
		return nil
	case StateReverted:
		return fault.New(fault.Conflict, fmt.Sprintf("change %d was already reverted by change %d", c.ID, c.RevertedBy), nil)
	}
	return fault.New(fault.Conflict, fmt.Sprintf("change %d is %s: it was never applied, there is nothing to revert", c.ID, c.State), nil)
}

// inverse is the change from current to current with targets undone (newest
// first), in prefix order.
func inverse(current vrp.Set, targets []ChangeInfo) (add, remove []ROA) {
	want := map[vrp.VRP]ROA{}
	for _, v := range current {
		want[v] = roaOf(v)
	}
	for _, t := range targets {
		for _, r := range t.Add {
			if v, ok := vrpOf(r); ok {
				delete(want, v)
			}
		}
		for _, r := range t.Remove {
			if v, ok := vrpOf(r); ok {
				want[v] = r
			}
		}
	}
	var adds []vrp.VRP
	for v := range want {
		if !current.Contains(v) {
			adds = append(adds, v)
		}
	}
	for _, v := range vrp.NewSet(adds) {
		add = append(add, want[v])
	}
	for _, v := range current {
		if _, ok := want[v]; !ok {
			remove = append(remove, roaOf(v))
		}
	}
	return add, remove
}

// vrpOf is a stored ROA as a VRP (stored ROAs have explicit maxLengths).
func vrpOf(r ROA) (vrp.VRP, bool) {
	v, f, err := parseROA(r, "")
	return v, err == nil && f == nil
}
