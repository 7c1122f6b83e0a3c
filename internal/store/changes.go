package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrStateChanged is returned when a change is no longer in the state an
// update expected (another approver, the expiry or a revert came first).
var ErrStateChanged = errors.New("state-changed")

// MaxChanges bounds one Changes listing.
const MaxChanges = 1000

// Change is one ROA change: pending, applied, rejected, expired or reverted.
type Change struct {
	ID         int64
	State      string
	Proposer   string // token name
	ProposedBy string // actor as history writes it
	Approver   string // actor that approved or rejected it
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero unless pending
	DecidedAt  time.Time
	RevertedBy int64
	Serial     uint64
	HistoryID  int64
	Detail     json.RawMessage
}

// ChangeEvent is one stage a change reached.
type ChangeEvent struct {
	ChangeID int64
	Stage    string
	At       time.Time
	Actor    string
	Detail   json.RawMessage
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func marshalDetail(detail any) (string, error) {
	if detail == nil {
		return "{}", nil
	}
	if raw, ok := detail.(json.RawMessage); ok {
		return string(raw), nil
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return "", fmt.Errorf("store: change detail: %w", err)
	}
	return string(b), nil
}

// AddChange stores c (its ID is ignored) with detail as JSON and returns the new ID.
func (t *Tx) AddChange(c *Change, detail any) (int64, error) {
	d, err := marshalDetail(detail)
	if err != nil {
		return 0, err
	}
	res, err := t.exec(`INSERT INTO changes(state, proposer, proposed_by, approver, created_at, expires_at, decided_at,
		reverted_by, serial, history_id, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		c.State, c.Proposer, c.ProposedBy, c.Approver, ms(c.CreatedAt), ms(c.ExpiresAt), ms(c.DecidedAt),
		c.RevertedBy, int64(c.Serial), c.HistoryID, d)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

const changeColumns = `id, state, proposer, proposed_by, approver, created_at, expires_at, decided_at,
	reverted_by, serial, history_id, detail`

func scanChange(sc interface{ Scan(...any) error }) (Change, error) {
	var c Change
	var created, expires, decided, serial int64
	var d string
	err := sc.Scan(&c.ID, &c.State, &c.Proposer, &c.ProposedBy, &c.Approver, &created, &expires, &decided,
		&c.RevertedBy, &serial, &c.HistoryID, &d)
	c.CreatedAt, c.ExpiresAt, c.DecidedAt = fromMS(created), fromMS(expires), fromMS(decided)
	c.Serial, c.Detail = uint64(serial), json.RawMessage(d)
	return c, err
}

// Change returns the change id, or ErrNotFound.
func (t *Tx) Change(id int64) (Change, error) {
	c, err := scanChange(t.tx.QueryRowContext(t.ctx, `SELECT `+changeColumns+` FROM changes WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Change{}, fmt.Errorf("store: change %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Change{}, fmt.Errorf("store: change %d: %w", id, err)
	}
	return c, nil
}

// Changes lists changes newest first: of the given state ("" every state),
// at most limit (1..MaxChanges; other values mean MaxChanges).
func (t *Tx) Changes(state string, limit int) ([]Change, error) {
	if limit <= 0 || limit > MaxChanges {
		limit = MaxChanges
	}
	q := `SELECT ` + changeColumns + ` FROM changes`
	args := []any{}
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: changes: %w", err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("store: changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateChange writes the mutable fields of c (state, approver, decided_at,
// reverted_by, serial, history_id), only if the change is still in state
// from; otherwise ErrStateChanged.
func (t *Tx) UpdateChange(c *Change, from string) error {
	res, err := t.exec(`UPDATE changes SET state = ?, approver = ?, decided_at = ?, reverted_by = ?, serial = ?,
		history_id = ? WHERE id = ? AND state = ?`,
		c.State, c.Approver, ms(c.DecidedAt), c.RevertedBy, int64(c.Serial), c.HistoryID, c.ID, from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: change %d is no longer %s: %w", c.ID, from, ErrStateChanged)
	}
	return nil
}

// ExpireChanges marks every pending change whose expiry is at or before now
// as expired (decided at its expiry) and returns them.
func (t *Tx) ExpireChanges(now time.Time) ([]Change, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+changeColumns+` FROM changes
		WHERE state = 'pending' AND expires_at > 0 AND expires_at <= ? ORDER BY id`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: expire changes: %w", err)
	}
	var out []Change
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	for i := range out {
		out[i].State, out[i].DecidedAt = "expired", out[i].ExpiresAt
		if err := t.UpdateChange(&out[i], "pending"); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// AddChangeEvent records a stage of a change; a stage already recorded
// keeps its first time (it reports false then).
func (t *Tx) AddChangeEvent(e ChangeEvent, detail any) (bool, error) {
	d, err := marshalDetail(detail)
	if err != nil {
		return false, err
	}
	res, err := t.exec(`INSERT OR IGNORE INTO change_events(change_id, stage, at, actor, detail) VALUES (?,?,?,?,?)`,
		e.ChangeID, e.Stage, ms(e.At), e.Actor, d)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ChangeEvents lists the stages of change id in time order.
func (t *Tx) ChangeEvents(id int64) ([]ChangeEvent, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT change_id, stage, at, actor, detail FROM change_events
		WHERE change_id = ? ORDER BY at, rowid`, id)
	if err != nil {
		return nil, fmt.Errorf("store: change events: %w", err)
	}
	defer rows.Close()
	out := []ChangeEvent{}
	for rows.Next() {
		var e ChangeEvent
		var at int64
		var d string
		if err := rows.Scan(&e.ChangeID, &e.Stage, &at, &e.Actor, &d); err != nil {
			return nil, err
		}
		e.At, e.Detail = fromMS(at), json.RawMessage(d)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ChangesWithout lists the changes applied at or after since (newest first,
// at most limit) that have reached stage after but not stage missing.
func (t *Tx) ChangesWithout(after, missing string, since time.Time, limit int) ([]Change, error) {
	if limit <= 0 || limit > MaxChanges {
		limit = MaxChanges
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+changeColumns+` FROM changes c
		WHERE c.decided_at >= ? AND c.state IN ('applied', 'reverted')
		AND EXISTS (SELECT 1 FROM change_events e WHERE e.change_id = c.id AND e.stage = ?)
		AND NOT EXISTS (SELECT 1 FROM change_events e WHERE e.change_id = c.id AND e.stage = ?)
		ORDER BY c.id DESC LIMIT ?`, ms(since), after, missing, limit)
	if err != nil {
		return nil, fmt.Errorf("store: changes without %s: %w", missing, err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
