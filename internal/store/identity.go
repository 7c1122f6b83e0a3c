package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdentityRow is a stored BPKI identity (migration 0005). The key is PKCS#8
// DER and is never logged.
type IdentityRow struct {
	Handle    string
	State     string // "active" or "next"
	KeyDER    []byte
	CertDER   []byte
	CreatedAt time.Time
}

// Identity returns the identity in state ("active" or "next"), or
// ErrNotFound.
func (t *Tx) Identity(state string) (IdentityRow, error) {
	r := IdentityRow{State: state}
	var at int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT handle, key_der, cert_der, created_at FROM identities WHERE state = ?`, state).
		Scan(&r.Handle, &r.KeyDER, &r.CertDER, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return IdentityRow{}, fmt.Errorf("store: identity %s: %w", state, ErrNotFound)
	}
	if err != nil {
		return IdentityRow{}, fmt.Errorf("store: identity %s: %w", state, err)
	}
	r.CreatedAt = unix(at)
	return r, nil
}

// PutIdentity inserts the identity, or replaces the one in its state.
func (t *Tx) PutIdentity(r IdentityRow) error {
	_, err := t.exec(`INSERT INTO identities(handle, state, key_der, cert_der, created_at) VALUES (?,?,?,?,?)
		ON CONFLICT(state) DO UPDATE SET handle = excluded.handle, key_der = excluded.key_der,
		cert_der = excluded.cert_der, created_at = excluded.created_at`,
		r.Handle, r.State, r.KeyDER, r.CertDER, r.CreatedAt.Unix())
	return err
}

// PromoteIdentity makes the "next" identity the active one (the end of an
// identity roll). It returns ErrNotFound when there is no next identity.
func (t *Tx) PromoteIdentity() error {
	if _, err := t.Identity("next"); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM identities WHERE state = 'active'`); err != nil {
		return err
	}
	_, err := t.exec(`UPDATE identities SET state = 'active' WHERE state = 'next'`)
	return err
}
