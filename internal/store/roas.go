package store

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// ROA is one configured ROA.
type ROA struct {
	ID        int64
	VRP       vrp.VRP
	Comment   string
	Exception string // reason of a deliberate loose maxLength (RFC 9319 §5.1)
	CreatedAt time.Time
}

// ROAs lists the configured ROAs in canonical VRP order.
func (t *Tx) ROAs() ([]ROA, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id, prefix, max_length, asn, comment, exception, created_at FROM roas`)
	if err != nil {
		return nil, fmt.Errorf("store: list roas: %w", err)
	}
	defer rows.Close()
	var out []ROA
	for rows.Next() {
		var r ROA
		var pfx string
		var ml, asn, created int64
		if err := rows.Scan(&r.ID, &pfx, &ml, &asn, &r.Comment, &r.Exception, &created); err != nil {
			return nil, err
		}
		p, err := netip.ParsePrefix(pfx)
		if err != nil {
			return nil, fmt.Errorf("store: roa %d: %w", r.ID, err)
		}
		r.VRP = vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: uint32(asn)}
		r.CreatedAt = unix(created)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortROAs(out)
	return out, nil
}

// AddROA inserts a configured ROA and returns its id. Adding an existing ROA
// updates its comment and exception and returns the existing id.
func (t *Tx) AddROA(v vrp.VRP, comment, exception string, now time.Time) (int64, error) {
	_, err := t.exec(`INSERT INTO roas(prefix, max_length, asn, comment, exception, created_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT(prefix, max_length, asn) DO UPDATE SET comment = excluded.comment, exception = excluded.exception`,
		v.Prefix.String(), int(v.MaxLen), int64(v.ASN), comment, exception, now.Unix())
	if err != nil {
		return 0, err
	}
	var id int64
	err = t.tx.QueryRowContext(t.ctx, `SELECT id FROM roas WHERE prefix = ? AND max_length = ? AND asn = ?`,
		v.Prefix.String(), int(v.MaxLen), int64(v.ASN)).Scan(&id)
	return id, err
}

// RemoveROA deletes a configured ROA; ErrNotFound when it is not configured.
func (t *Tx) RemoveROA(v vrp.VRP) error {
	res, err := t.exec(`DELETE FROM roas WHERE prefix = ? AND max_length = ? AND asn = ?`,
		v.Prefix.String(), int(v.MaxLen), int64(v.ASN))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: roa %s: %w", v, ErrNotFound)
	}
	return nil
}
