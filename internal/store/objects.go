package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

// Object is one published signed object or certificate.
type Object struct {
	URI         string
	CA          string
	Kind        string // cer, crl, mft, roa
	DER         []byte
	Hash        [32]byte // SHA-256 of DER (set by PutObject, read back by the listings)
	EESerial    string
	NotAfter    time.Time
	SigningTime time.Time
	ROAID       int64 // 0 when not a ROA
	UpdatedAt   time.Time
}

// PutObject inserts or replaces a published object.
func (t *Tx) PutObject(o *Object) error {
	var roaID any
	if o.ROAID != 0 {
		roaID = o.ROAID
	}
	o.Hash = sha256.Sum256(o.DER)
	_, err := t.exec(`INSERT INTO objects(uri, ca, kind, der, hash, ee_serial, not_after, signing_time, roa_id, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(uri) DO UPDATE SET ca=excluded.ca, kind=excluded.kind, der=excluded.der,
		hash=excluded.hash, ee_serial=excluded.ee_serial, not_after=excluded.not_after, signing_time=excluded.signing_time,
		roa_id=excluded.roa_id, updated_at=excluded.updated_at`,
		o.URI, o.CA, o.Kind, o.DER, o.Hash[:], o.EESerial, o.NotAfter.Unix(), o.SigningTime.Unix(), roaID, o.UpdatedAt.Unix())
	return err
}

// DeleteObject removes a published object (a no-op when absent).
func (t *Tx) DeleteObject(uri string) error {
	_, err := t.exec(`DELETE FROM objects WHERE uri = ?`, uri)
	return err
}

// Objects lists published objects, all of them when ca is "", sorted by URI.
func (t *Tx) Objects(ca string) ([]Object, error) { return t.objects(ca, true) }

// ObjectsMeta is Objects without the DER (Hash is set): what a manifest or
// an index of the publication point needs, without reading every object.
func (t *Tx) ObjectsMeta(ca string) ([]Object, error) { return t.objects(ca, false) }

func (t *Tx) objects(ca string, withDER bool) ([]Object, error) {
	der := `CASE WHEN hash IS NULL THEN der END` // a row from before migration 0008
	if withDER {
		der = `der`
	}
	q := `SELECT uri, ca, kind, ` + der + `, hash, ee_serial, not_after, signing_time, coalesce(roa_id, 0), updated_at FROM objects`
	var args []any
	if ca != "" {
		q += ` WHERE ca = ?`
		args = append(args, ca)
	}
	q += ` ORDER BY uri`
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list objects: %w", err)
	}
	defer rows.Close()
	var out []Object
	for rows.Next() {
		var o Object
		var hash []byte
		var na, st, up int64
		if err := rows.Scan(&o.URI, &o.CA, &o.Kind, &o.DER, &hash, &o.EESerial, &na, &st, &o.ROAID, &up); err != nil {
			return nil, err
		}
		if len(hash) == len(o.Hash) {
			copy(o.Hash[:], hash)
		} else {
			o.Hash = sha256.Sum256(o.DER)
		}
		o.NotAfter, o.SigningTime, o.UpdatedAt = unix(na), unix(st), unix(up)
		out = append(out, o)
	}
	return out, rows.Err()
}

// ObjectDER returns one object's DER (ErrNotFound when absent).
func (t *Tx) ObjectDER(uri string) ([]byte, error) {
	var der []byte
	err := t.tx.QueryRowContext(t.ctx, `SELECT der FROM objects WHERE uri = ?`, uri).Scan(&der)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: object %s", ErrNotFound, uri)
	}
	return der, err
}

// Revoke records a revoked certificate; it stays on the CRL until notAfter.
func (t *Tx) Revoke(ca, serial string, at, notAfter time.Time) error {
	_, err := t.exec(`INSERT OR IGNORE INTO revoked(ca, serial, revoked_at, not_after) VALUES (?,?,?,?)`,
		ca, serial, at.Unix(), notAfter.Unix())
	return err
}

// Revoked is one CRL entry.
type Revoked struct {
	Serial    string
	RevokedAt time.Time
	NotAfter  time.Time
}

// RevokedList returns the revocations of ca still needed at now (the
// certificate has not expired), and forgets the expired ones (RFC 6487 §5:
// the CRL lists non-expired revoked certificates).
func (t *Tx) RevokedList(ca string, now time.Time) ([]Revoked, error) {
	if _, err := t.exec(`DELETE FROM revoked WHERE ca = ? AND not_after < ?`, ca, now.Unix()); err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT serial, revoked_at, not_after FROM revoked WHERE ca = ?
		ORDER BY revoked_at, serial`, ca)
	if err != nil {
		return nil, fmt.Errorf("store: list revoked: %w", err)
	}
	defer rows.Close()
	var out []Revoked
	for rows.Next() {
		var r Revoked
		var at, na int64
		if err := rows.Scan(&r.Serial, &at, &na); err != nil {
			return nil, err
		}
		r.RevokedAt, r.NotAfter = unix(at), unix(na)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ObjectExpiry is a published object's URI, issuing CA, kind and NotAfter
// (nextUpdate for a manifest or CRL), without its content.
type ObjectExpiry struct {
	URI      string
	CA       string
	Kind     string // cer, crl, mft, roa
	NotAfter time.Time
}

// ObjectExpiries lists every published object's expiry, sorted by URI;
// kinds, when given, keep only those kinds.
func (t *Tx) ObjectExpiries(kinds ...string) ([]ObjectExpiry, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT uri, ca, kind, not_after FROM objects ORDER BY uri`)
	if err != nil {
		return nil, fmt.Errorf("store: list object expiries: %w", err)
	}
	defer rows.Close()
	var out []ObjectExpiry
	for rows.Next() {
		var o ObjectExpiry
		var na int64
		if err := rows.Scan(&o.URI, &o.CA, &o.Kind, &na); err != nil {
			return nil, err
		}
		if o.NotAfter = unix(na); len(kinds) == 0 || slices.Contains(kinds, o.Kind) {
			out = append(out, o)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(kinds) > 0 && !slices.Contains(kinds, "cer") {
		return out, nil
	}
	return t.parentIssued(out)
}

// parentIssued adds the certificates of road's CAs that road does not
// publish itself (issued and published by a parent, RFC 6492): their
// expiry is watched as well as everything road signs.
func (t *Tx) parentIssued(out []ObjectExpiry) ([]ObjectExpiry, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT name, cert_uri, cert_der FROM cas
		WHERE cert_uri NOT IN (SELECT uri FROM objects) ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list CA certificates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o ObjectExpiry
		var der []byte
		if err := rows.Scan(&o.CA, &o.URI, &der); err != nil {
			return nil, err
		}
		if c, err := rpki.ParseCertificate(der); err == nil {
			o.Kind, o.NotAfter = "cer", c.NotAfter
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b ObjectExpiry) int { return strings.Compare(a.URI, b.URI) })
	return out, rows.Err()
}

// fillHashes writes the hash of the objects stored before migration 0008.
func (s *Store) fillHashes(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM objects WHERE hash IS NULL`).Scan(&n); err != nil || n == 0 {
		return err // nothing to do: no write transaction at every start
	}
	return s.Update(ctx, func(tx *Tx) error {
		rows, err := tx.tx.QueryContext(ctx, `SELECT uri, der FROM objects WHERE hash IS NULL`)
		if err != nil {
			return fmt.Errorf("store: objects without hash: %w", err)
		}
		type row struct {
			uri string
			der []byte
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.uri, &r.der); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range todo {
			h := sha256.Sum256(r.der)
			if _, err := tx.exec(`UPDATE objects SET hash = ? WHERE uri = ?`, h[:], r.uri); err != nil {
				return err
			}
		}
		return nil
	})
}
