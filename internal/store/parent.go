package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Child is a CA road's CA issues certificates to (RFC 6492).
type Child struct {
	Name            string
	IDCert          []byte // DER of its BPKI identity certificate
	Resources       string // its entitlement, "192.0.2.0/25, AS64500"
	LastSigningTime time.Time
	CreatedAt       time.Time
}

// ChildCert is a current certificate issued to a child (one per key).
type ChildCert struct {
	URI      string
	Child    string
	Class    string
	SKI      string // hex
	IssuedAt time.Time
}

// PutChild inserts or replaces a child.
func (t *Tx) PutChild(c *Child) error {
	_, err := t.exec(`INSERT INTO children(name, id_cert, resources, last_signing_time, created_at) VALUES (?,?,?,?,?)
		ON CONFLICT(name) DO UPDATE SET id_cert=excluded.id_cert, resources=excluded.resources,
		last_signing_time=excluded.last_signing_time`,
		c.Name, c.IDCert, c.Resources, unixOrZero(c.LastSigningTime), c.CreatedAt.Unix())
	return err
}

// Child loads a child; ErrNotFound when there is none of that name.
func (t *Tx) Child(name string) (*Child, error) {
	var c Child
	var last, created int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT name, id_cert, resources, last_signing_time, created_at FROM children
		WHERE name = ?`, name).Scan(&c.Name, &c.IDCert, &c.Resources, &last, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: child %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: child %q: %w", name, err)
	}
	c.LastSigningTime, c.CreatedAt = unix(last), unix(created)
	return &c, nil
}

// Children lists the children by name.
func (t *Tx) Children() ([]Child, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT name, id_cert, resources, last_signing_time, created_at FROM children ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list children: %w", err)
	}
	defer rows.Close()
	var out []Child
	for rows.Next() {
		var c Child
		var last, created int64
		if err := rows.Scan(&c.Name, &c.IDCert, &c.Resources, &last, &created); err != nil {
			return nil, err
		}
		c.LastSigningTime, c.CreatedAt = unix(last), unix(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteChild removes a child and its certificate records (the caller
// revokes the certificates first).
func (t *Tx) DeleteChild(name string) error {
	if _, err := t.exec(`DELETE FROM child_certs WHERE child = ?`, name); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM children WHERE name = ?`, name)
	return err
}

// PutChildCert records a certificate issued to a child.
func (t *Tx) PutChildCert(c *ChildCert) error {
	_, err := t.exec(`INSERT INTO child_certs(uri, child, class, ski, issued_at) VALUES (?,?,?,?,?)
		ON CONFLICT(uri) DO UPDATE SET child=excluded.child, class=excluded.class, ski=excluded.ski,
		issued_at=excluded.issued_at`, c.URI, c.Child, c.Class, c.SKI, c.IssuedAt.Unix())
	return err
}

// DeleteChildCert forgets a child certificate record.
func (t *Tx) DeleteChildCert(uri string) error {
	_, err := t.exec(`DELETE FROM child_certs WHERE uri = ?`, uri)
	return err
}

// ChildCerts lists the certificates of child ("" for every child's), by URI.
func (t *Tx) ChildCerts(child string) ([]ChildCert, error) {
	q := `SELECT uri, child, class, ski, issued_at FROM child_certs`
	var args []any
	if child != "" {
		q += ` WHERE child = ?`
		args = append(args, child)
	}
	rows, err := t.tx.QueryContext(t.ctx, q+` ORDER BY uri`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list child certs: %w", err)
	}
	defer rows.Close()
	var out []ChildCert
	for rows.Next() {
		var c ChildCert
		var at int64
		if err := rows.Scan(&c.URI, &c.Child, &c.Class, &c.SKI, &at); err != nil {
			return nil, err
		}
		c.IssuedAt = unix(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Publisher is a client of road's RFC 8181 publication server.
type Publisher struct {
	Name            string
	IDCert          []byte
	SIABase         string
	LastSigningTime time.Time
	CreatedAt       time.Time
}

// PutPublisher inserts or replaces a publisher.
func (t *Tx) PutPublisher(p *Publisher) error {
	_, err := t.exec(`INSERT INTO publishers(name, id_cert, sia_base, last_signing_time, created_at) VALUES (?,?,?,?,?)
		ON CONFLICT(name) DO UPDATE SET id_cert=excluded.id_cert, sia_base=excluded.sia_base,
		last_signing_time=excluded.last_signing_time`,
		p.Name, p.IDCert, p.SIABase, unixOrZero(p.LastSigningTime), p.CreatedAt.Unix())
	return err
}

// Publisher loads a publisher; ErrNotFound when there is none of that name.
func (t *Tx) Publisher(name string) (*Publisher, error) {
	var p Publisher
	var last, created int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT name, id_cert, sia_base, last_signing_time, created_at FROM publishers
		WHERE name = ?`, name).Scan(&p.Name, &p.IDCert, &p.SIABase, &last, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: publisher %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: publisher %q: %w", name, err)
	}
	p.LastSigningTime, p.CreatedAt = unix(last), unix(created)
	return &p, nil
}

// Publishers lists the publishers by name.
func (t *Tx) Publishers() ([]Publisher, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT name, id_cert, sia_base, last_signing_time, created_at FROM publishers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list publishers: %w", err)
	}
	defer rows.Close()
	var out []Publisher
	for rows.Next() {
		var p Publisher
		var last, created int64
		if err := rows.Scan(&p.Name, &p.IDCert, &p.SIABase, &last, &created); err != nil {
			return nil, err
		}
		p.LastSigningTime, p.CreatedAt = unix(last), unix(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePublisher removes a publisher and everything it published.
func (t *Tx) DeletePublisher(name string) error {
	if _, err := t.exec(`DELETE FROM published WHERE publisher = ?`, name); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM publishers WHERE name = ?`, name)
	return err
}

// PublishedObject is an object a publisher published to road.
type PublishedObject struct {
	URI       string
	Publisher string
	DER       []byte
	Hash      string // lower-case hex SHA-256 of DER
	UpdatedAt time.Time
}

// PutPublished inserts or replaces a published object.
func (t *Tx) PutPublished(o *PublishedObject) error {
	_, err := t.exec(`INSERT INTO published(uri, publisher, der, hash, updated_at) VALUES (?,?,?,?,?)
		ON CONFLICT(uri) DO UPDATE SET publisher=excluded.publisher, der=excluded.der, hash=excluded.hash,
		updated_at=excluded.updated_at`, o.URI, o.Publisher, o.DER, o.Hash, o.UpdatedAt.Unix())
	return err
}

// DeletePublished removes a published object (a no-op when absent).
func (t *Tx) DeletePublished(uri string) error {
	_, err := t.exec(`DELETE FROM published WHERE uri = ?`, uri)
	return err
}

// Published lists the objects of publisher ("" for every publisher's), by URI.
func (t *Tx) Published(publisher string) ([]PublishedObject, error) {
	q := `SELECT uri, publisher, der, hash, updated_at FROM published`
	var args []any
	if publisher != "" {
		q += ` WHERE publisher = ?`
		args = append(args, publisher)
	}
	rows, err := t.tx.QueryContext(t.ctx, q+` ORDER BY uri`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list published: %w", err)
	}
	defer rows.Close()
	var out []PublishedObject
	for rows.Next() {
		var o PublishedObject
		var at int64
		if err := rows.Scan(&o.URI, &o.Publisher, &o.DER, &o.Hash, &at); err != nil {
			return nil, err
		}
		o.UpdatedAt = unix(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// PublicationObjects is every object road's repository serves: its own CAs'
// objects, then what its publishers published (as Objects of kind
// "published", CA "" and SigningTime their update time), by URI each.
func (t *Tx) PublicationObjects() ([]Object, error) {
	objs, err := t.Objects("")
	if err != nil {
		return nil, err
	}
	pub, err := t.Published("")
	if err != nil {
		return nil, err
	}
	for _, p := range pub {
		objs = append(objs, Object{URI: p.URI, Kind: "published", DER: p.DER, SigningTime: p.UpdatedAt, UpdatedAt: p.UpdatedAt})
	}
	return objs, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
