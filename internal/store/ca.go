package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CA is the persistent state of one CA instance.
type CA struct {
	Name           string
	KeyDER         []byte // PKCS#8 private key
	CertDER        []byte
	CertURI        string
	RepoURI        string
	NextSerial     int64
	ManifestNumber int64
	CRLNumber      int64
	LastThisUpdate time.Time
	MftNextUpdate  time.Time
	UpdatedAt      time.Time
}

// CA loads a CA instance by name; ErrNotFound when it does not exist yet.
func (t *Tx) CA(name string) (*CA, error) {
	var c CA
	var lastThis, mftNext, updated int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT name, key_der, cert_der, cert_uri, repo_uri, next_serial,
		manifest_number, crl_number, last_this_update, mft_next_update, updated_at FROM cas WHERE name = ?`, name).
		Scan(&c.Name, &c.KeyDER, &c.CertDER, &c.CertURI, &c.RepoURI, &c.NextSerial, &c.ManifestNumber,
			&c.CRLNumber, &lastThis, &mftNext, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: ca %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: ca %q: %w", name, err)
	}
	c.LastThisUpdate, c.MftNextUpdate, c.UpdatedAt = unix(lastThis), unix(mftNext), unix(updated)
	return &c, nil
}

// PutCA inserts or replaces a CA instance.
func (t *Tx) PutCA(c *CA) error {
	_, err := t.exec(`INSERT INTO cas(name, key_der, cert_der, cert_uri, repo_uri, next_serial, manifest_number,
		crl_number, last_this_update, mft_next_update, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(name) DO UPDATE SET key_der=excluded.key_der, cert_der=excluded.cert_der,
		cert_uri=excluded.cert_uri, repo_uri=excluded.repo_uri, next_serial=excluded.next_serial,
		manifest_number=excluded.manifest_number, crl_number=excluded.crl_number,
		last_this_update=excluded.last_this_update, mft_next_update=excluded.mft_next_update,
		updated_at=excluded.updated_at`,
		c.Name, c.KeyDER, c.CertDER, c.CertURI, c.RepoURI, c.NextSerial, c.ManifestNumber, c.CRLNumber,
		c.LastThisUpdate.Unix(), c.MftNextUpdate.Unix(), c.UpdatedAt.Unix())
	return err
}

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
