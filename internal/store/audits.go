package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// MaxAudits bounds one Audits listing.
const MaxAudits = 1000

// Audit is one stored audit result.
type Audit struct {
	ID         int64
	Kind       string // expiry, consistency, bgp
	StartedAt  time.Time
	FinishedAt time.Time
	OK         bool
	Summary    string
	Detail     json.RawMessage
}

// AppendAudit stores a result; detail is marshalled to JSON. It returns the new id.
func (t *Tx) AppendAudit(a *Audit, detail any) (int64, error) {
	d := []byte("{}")
	if detail != nil {
		var err error
		if d, err = json.Marshal(detail); err != nil {
			return 0, fmt.Errorf("store: audit detail: %w", err)
		}
	}
	ok := 0
	if a.OK {
		ok = 1
	}
	res, err := t.exec(`INSERT INTO audits(kind, started_at, finished_at, ok, summary, detail) VALUES (?,?,?,?,?,?)`,
		a.Kind, a.StartedAt.UnixMilli(), a.FinishedAt.UnixMilli(), ok, a.Summary, string(d))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Audits returns stored results newest first: of kind (all kinds when ""),
// at most limit (MaxAudits when limit <= 0 or above it).
func (t *Tx) Audits(kind string, limit int) ([]Audit, error) {
	if limit <= 0 || limit > MaxAudits {
		limit = MaxAudits
	}
	q := `SELECT id, kind, started_at, finished_at, ok, summary, detail FROM audits`
	args := []any{}
	if kind != "" {
		q += ` WHERE kind = ?`
		args = append(args, kind)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audits: %w", err)
	}
	defer rows.Close()
	out := []Audit{}
	for rows.Next() {
		var a Audit
		var st, fin int64
		var ok int
		var d string
		if err := rows.Scan(&a.ID, &a.Kind, &st, &fin, &ok, &a.Summary, &d); err != nil {
			return nil, fmt.Errorf("store: audits: %w", err)
		}
		a.StartedAt, a.FinishedAt = time.UnixMilli(st).UTC(), time.UnixMilli(fin).UTC()
		a.OK, a.Detail = ok == 1, json.RawMessage(d)
		out = append(out, a)
	}
	return out, rows.Err()
}
