package ca

import (
	"context"
	"errors"
	"time"

	"github.com/roadrpki/road/internal/store"
)

// What moves a key roll on without a parent (rollover.go): the schedule,
// the testbed TA's steps, the activation after the staging period, and
// fresh manifests and CRLs for the NEW and OLD CAs, run before every
// renewal pass.

// AdvanceRoll runs advanceRoll in its own transaction (Renew calls it
// first). A failing step (a token that cannot make a key, say) is logged
// and retried on the next pass; it never holds up the renewal of
// manifests and ROAs.
func (c *CA) AdvanceRoll(ctx context.Context) bool {
	var rolled bool
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		rolled, err = c.advanceRoll(ctx, tx)
		return err
	})
	if err != nil {
		c.log.Error("key roll: step failed, retried on the next renewal pass", "err", err)
		c.reloadParented(ctx)
		return false
	}
	return rolled
}

// reloadParented restores the held resources from the store after a
// failed transaction that may have changed them in memory.
func (c *CA) reloadParented(ctx context.Context) {
	if err := c.st.View(ctx, c.loadParented); err != nil {
		c.log.Error("reload the parent's certificate", "err", err)
	}
}

// advanceRoll moves a roll on what road decides alone, in one
// transaction: a scheduled start, the testbed TA's steps, the activation
// once the staging period is over, and fresh manifests and CRLs for the
// NEW and OLD CAs. It reports whether anything was published.
func (c *CA) advanceRoll(ctx context.Context, tx *store.Tx) (bool, error) {
	r, err := readRoll(tx)
	if err != nil {
		return false, err
	}
	now := c.now()
	testbed := c.parented.Load() == nil
	if !r.Running() {
		due, err := c.rollDue(tx, now)
		if err != nil || !due {
			return false, err
		}
		_, err = c.startRoll(ctx, tx, "schedule")
		return true, err
	}
	switch {
	case r.Phase == RollRequested && testbed:
		next, err := c.loadKey(tx, NextName)
		if err != nil {
			return false, err
		}
		return true, c.certifyNextUnderTA(ctx, tx, next, r)
	case r.Phase == RollPending && !now.Before(r.ActivateAt):
		return true, c.activate(ctx, tx, r, "road")
	case r.Phase == RollActive && testbed:
		return true, c.revokeOldUnderTA(ctx, tx, r)
	}
	return c.refreshRollCAs(ctx, tx, now)
}

// rollDue reports whether the schedule ([ca] roll_every) starts a roll:
// the current key has been active that long. The first look records the
// current key's start.
func (c *CA) rollDue(tx *store.Tx, now time.Time) (bool, error) {
	if c.cfg.RollEvery <= 0 {
		return false, nil
	}
	v, err := tx.Meta(metaKeySince)
	if err != nil {
		return false, err
	}
	since, perr := time.Parse(time.RFC3339, v)
	if v == "" || perr != nil {
		return false, tx.SetMeta(metaKeySince, now.Format(time.RFC3339))
	}
	return now.Sub(since) >= c.cfg.RollEvery, nil
}

// refreshRollCAs reissues the manifest and CRL of the NEW (certified) and
// OLD CAs when due (RFC 9286 §5.2), as renew does for the CURRENT one.
func (c *CA) refreshRollCAs(ctx context.Context, tx *store.Tx, now time.Time) (bool, error) {
	changed := false
	for _, name := range []string{NextName, OldName} {
		row, err := tx.CA(name)
		if errors.Is(err, store.ErrNotFound) || err == nil && len(row.CertDER) == 0 {
			continue
		} else if err != nil {
			return false, err
		}
		in, err := c.load(tx, name)
		if err != nil {
			return false, err
		}
		if c.manifestDue(in, now) {
			if err := c.refreshPublicationPoint(ctx, tx, in, now); err != nil {
				return false, err
			}
			changed = true
		}
	}
	return changed, nil
}

// rollBusy reports whether a key roll runs: the publication point moves
// to siaBase only after it (the NEW CA's certificate names the current
// one), so SetRepository leaves it for a later call.
func (c *CA) rollBusy(tx *store.Tx, siaBase string) (bool, error) {
	r, err := readRoll(tx)
	if err != nil || !r.Running() {
		return false, err
	}
	c.log.Info("the publication point moves after the key roll", "to", siaBase, "phase", r.Phase)
	return true, nil
}
