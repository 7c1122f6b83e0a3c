package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Token is a named API token; the secret itself is never stored, only its
// SHA-256.
type Token struct {
	Name       string
	Role       string
	SecretHash []byte
	CreatedAt  time.Time
	CreatedBy  string
	Flagged    bool // every change of a flagged token needs a second approver
}

// Tokens lists every token by name.
func (t *Tx) Tokens() ([]Token, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT name, role, secret_hash, created_at, created_by, flagged FROM tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var tk Token
		var at int64
		if err := rows.Scan(&tk.Name, &tk.Role, &tk.SecretHash, &at, &tk.CreatedBy, &tk.Flagged); err != nil {
			return nil, err
		}
		tk.CreatedAt = unix(at)
		out = append(out, tk)
	}
	return out, rows.Err()
}

// Token returns the token called name, or ErrNotFound.
func (t *Tx) Token(name string) (Token, error) {
	tk := Token{Name: name}
	var at int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT role, secret_hash, created_at, created_by, flagged FROM tokens WHERE name = ?`, name).
		Scan(&tk.Role, &tk.SecretHash, &at, &tk.CreatedBy, &tk.Flagged)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("store: token %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("store: token %s: %w", name, err)
	}
	tk.CreatedAt = unix(at)
	return tk, nil
}

// PutToken inserts the token, or replaces the one with its name.
func (t *Tx) PutToken(tk Token) error {
	_, err := t.exec(`INSERT INTO tokens(name, role, secret_hash, created_at, created_by) VALUES (?,?,?,?,?)
		ON CONFLICT(name) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash,
		created_at = excluded.created_at, created_by = excluded.created_by`,
		tk.Name, tk.Role, tk.SecretHash, tk.CreatedAt.Unix(), tk.CreatedBy)
	return err
}

// DeleteToken removes the token called name; ErrNotFound when absent.
func (t *Tx) DeleteToken(name string) error {
	res, err := t.exec(`DELETE FROM tokens WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: token %s: %w", name, ErrNotFound)
	}
	return nil
}

// FlagToken sets or clears the flag of the token called name; ErrNotFound
// when absent.
func (t *Tx) FlagToken(name string, flagged bool) error {
	res, err := t.exec(`UPDATE tokens SET flagged = ? WHERE name = ?`, flagged, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: token %s: %w", name, ErrNotFound)
	}
	return nil
}
