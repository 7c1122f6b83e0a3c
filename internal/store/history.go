package store

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// HistoryEntry is one record of the append-only change log.
type HistoryEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string
	Summary string
	Detail  json.RawMessage // action-specific JSON (added, removed, findings, reason, serial)
}

// AppendHistory adds a record; detail is marshalled to JSON.
func (t *Tx) AppendHistory(at time.Time, actor, action, summary string, detail any) (int64, error) {
	d := []byte("{}")
	if detail != nil {
		var err error
		if d, err = json.Marshal(detail); err != nil {
			return 0, fmt.Errorf("store: history detail: %w", err)
		}
	}
	res, err := t.exec(`INSERT INTO history(at, actor, action, summary, detail) VALUES (?,?,?,?,?)`,
		at.Unix(), actor, action, summary, string(d))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// History returns the newest records first, at most limit (all when limit <= 0).
func (t *Tx) History(limit int) ([]HistoryEntry, error) {
	q := `SELECT id, at, actor, action, summary, detail FROM history ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := t.tx.QueryContext(t.ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var h HistoryEntry
		var at int64
		var d string
		if err := rows.Scan(&h.ID, &at, &h.Actor, &h.Action, &h.Summary, &d); err != nil {
			return nil, err
		}
		h.At, h.Detail = unix(at), json.RawMessage(d)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Intent is an announcement the holder means to make.
type Intent struct {
	ID        int64
	Prefix    netip.Prefix
	Origin    uint32
	Note      string
	CreatedAt time.Time
}

// Intents lists the intents sorted by prefix then origin.
func (t *Tx) Intents() ([]Intent, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id, prefix, origin, note, created_at FROM intents`)
	if err != nil {
		return nil, fmt.Errorf("store: intents: %w", err)
	}
	defer rows.Close()
	var out []Intent
	for rows.Next() {
		var in Intent
		var p string
		var origin, created int64
		if err := rows.Scan(&in.ID, &p, &origin, &in.Note, &created); err != nil {
			return nil, err
		}
		if in.Prefix, err = netip.ParsePrefix(p); err != nil {
			return nil, fmt.Errorf("store: intent %d: %w", in.ID, err)
		}
		in.Origin, in.CreatedAt = uint32(origin), unix(created)
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Intent) int {
		return vrp.Compare(vrp.VRP{Prefix: a.Prefix, MaxLen: uint8(a.Prefix.Bits()), ASN: a.Origin},
			vrp.VRP{Prefix: b.Prefix, MaxLen: uint8(b.Prefix.Bits()), ASN: b.Origin})
	})
	return out, rows.Err()
}

// AddIntent records an intent and returns it as stored. Recording one
// that exists keeps its creation time, and its note unless note is not
// empty: repeating `intent add` without --note loses nothing.
func (t *Tx) AddIntent(p netip.Prefix, origin uint32, note string, now time.Time) (Intent, error) {
	in := Intent{Prefix: p, Origin: origin}
	var created int64
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO intents(prefix, origin, note, created_at) VALUES (?,?,?,?)
		ON CONFLICT(prefix, origin) DO UPDATE SET note = CASE WHEN excluded.note = '' THEN intents.note ELSE excluded.note END
		RETURNING id, note, created_at`, p.String(), int64(origin), note, now.Unix()).Scan(&in.ID, &in.Note, &created)
	if err != nil {
		return Intent{}, fmt.Errorf("store: add intent %s AS%d: %w", p, origin, err)
	}
	in.CreatedAt = unix(created)
	return in, nil
}

// RemoveIntent deletes an intent; ErrNotFound when absent.
func (t *Tx) RemoveIntent(p netip.Prefix, origin uint32) error {
	res, err := t.exec(`DELETE FROM intents WHERE prefix = ? AND origin = ?`, p.String(), int64(origin))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: intent %s AS%d: %w", p, origin, ErrNotFound)
	}
	return nil
}

func sortROAs(rs []ROA) {
	slices.SortFunc(rs, func(a, b ROA) int { return vrp.Compare(a.VRP, b.VRP) })
}
