package store

import (
	"fmt"
	"time"
)

// Peer is a parent (RFC 6492) or a repository (RFC 8181) road talks to as
// a child or publisher, from the RFC 8183 response it was set up with.
type Peer struct {
	Name        string
	ResponseXML []byte
	ServiceURI  string
	OurHandle   string // child_handle or publisher_handle: our name at the peer
	PeerHandle  string // parent_handle; "" for a repository
	SIABase     string // repository: rsync URI of our space
	RRDPNotify  string // repository: RRDP notification URI, "" when none
	BPKIDER     []byte
	LastSigning time.Time
	LastContact time.Time
	LastError   string
	AddedAt     time.Time
}

// PeerKind selects the parents or the repositories table.
type PeerKind string

// The two kinds of peer.
const (
	Parents      PeerKind = "parents"
	Repositories PeerKind = "repositories"
)

// PutPeer inserts or replaces a parent or repository (the contact state of
// a replaced one starts again).
func (t *Tx) PutPeer(kind PeerKind, p *Peer) error {
	switch kind {
	case Parents:
		_, err := t.exec(`INSERT OR REPLACE INTO parents(name, response_xml, service_uri, child_handle, parent_handle,
			bpki_der, last_signing_time, last_contact, last_error, added_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			p.Name, p.ResponseXML, p.ServiceURI, p.OurHandle, p.PeerHandle, p.BPKIDER, unixOrZero(p.LastSigning),
			unixOrZero(p.LastContact), p.LastError, p.AddedAt.Unix())
		return err
	case Repositories:
		_, err := t.exec(`INSERT OR REPLACE INTO repositories(name, response_xml, service_uri, publisher_handle,
			sia_base, rrdp_notify, bpki_der, last_signing_time, last_contact, last_error, added_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			p.Name, p.ResponseXML, p.ServiceURI, p.OurHandle, p.SIABase, p.RRDPNotify, p.BPKIDER,
			unixOrZero(p.LastSigning), unixOrZero(p.LastContact), p.LastError, p.AddedAt.Unix())
		return err
	}
	return fmt.Errorf("store: unknown peer kind %q", kind)
}

// Peers lists the parents or the repositories by name.
func (t *Tx) Peers(kind PeerKind) ([]Peer, error) {
	var q string
	switch kind {
	case Parents:
		q = `SELECT name, response_xml, service_uri, child_handle, parent_handle, '', '', bpki_der,
			last_signing_time, last_contact, last_error, added_at FROM parents ORDER BY name`
	case Repositories:
		q = `SELECT name, response_xml, service_uri, publisher_handle, '', sia_base, rrdp_notify, bpki_der,
			last_signing_time, last_contact, last_error, added_at FROM repositories ORDER BY name`
	default:
		return nil, fmt.Errorf("store: unknown peer kind %q", kind)
	}
	rows, err := t.tx.QueryContext(t.ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", kind, err)
	}
	defer rows.Close()
	var out []Peer
	for rows.Next() {
		var p Peer
		var ls, lc, added int64
		if err := rows.Scan(&p.Name, &p.ResponseXML, &p.ServiceURI, &p.OurHandle, &p.PeerHandle, &p.SIABase,
			&p.RRDPNotify, &p.BPKIDER, &ls, &lc, &p.LastError, &added); err != nil {
			return nil, err
		}
		p.LastSigning, p.LastContact, p.AddedAt = unix(ls), unix(lc), unix(added)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Peer loads one parent or repository; ErrNotFound when there is none.
func (t *Tx) Peer(kind PeerKind, name string) (*Peer, error) {
	list, err := t.Peers(kind)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i], nil
		}
	}
	return nil, fmt.Errorf("store: %s %q: %w", kind, name, ErrNotFound)
}

// DeletePeer removes a parent (with its classes) or a repository;
// ErrNotFound when there is none.
func (t *Tx) DeletePeer(kind PeerKind, name string) error {
	if kind != Parents && kind != Repositories {
		return fmt.Errorf("store: unknown peer kind %q", kind)
	}
	res, err := t.exec(`DELETE FROM `+string(kind)+` WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: %s %q: %w", kind, name, ErrNotFound)
	}
	return nil
}

// PeerContact records an exchange with a peer: its time, the signing-time
// of the accepted response (zero: unchanged) and the error ("" on success).
func (t *Tx) PeerContact(kind PeerKind, name string, at, signing time.Time, errText string) error {
	if kind != Parents && kind != Repositories {
		return fmt.Errorf("store: unknown peer kind %q", kind)
	}
	if errText != "" {
		_, err := t.exec(`UPDATE `+string(kind)+` SET last_error = ? WHERE name = ?`, errText, name)
		return err
	}
	_, err := t.exec(`UPDATE `+string(kind)+` SET last_contact = ?, last_error = '',
		last_signing_time = max(last_signing_time, ?) WHERE name = ?`, at.Unix(), unixOrZero(signing), name)
	return err
}

// ParentClass is a resource class of a parent and the certificate it
// issued to road's CA in it.
type ParentClass struct {
	Parent    string
	Class     string
	Resources string
	NotAfter  time.Time
	CertDER   []byte // nil before one was issued
	CertURI   string
	UpdatedAt time.Time
}

// PutParentClass inserts or replaces a class.
func (t *Tx) PutParentClass(c *ParentClass) error {
	_, err := t.exec(`INSERT OR REPLACE INTO parent_classes(parent, class, resources, not_after, cert_der, cert_uri,
		updated_at) VALUES (?,?,?,?,?,?,?)`, c.Parent, c.Class, c.Resources, unixOrZero(c.NotAfter), c.CertDER,
		c.CertURI, c.UpdatedAt.Unix())
	return err
}

// DeleteParentClass forgets a class the parent no longer lists.
func (t *Tx) DeleteParentClass(parent, class string) error {
	_, err := t.exec(`DELETE FROM parent_classes WHERE parent = ? AND class = ?`, parent, class)
	return err
}

// ParentClasses lists the classes of parent ("": of every parent).
func (t *Tx) ParentClasses(parent string) ([]ParentClass, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT parent, class, resources, not_after, cert_der, cert_uri, updated_at
		FROM parent_classes WHERE ? = '' OR parent = ? ORDER BY parent, class`, parent, parent)
	if err != nil {
		return nil, fmt.Errorf("store: parent classes: %w", err)
	}
	defer rows.Close()
	var out []ParentClass
	for rows.Next() {
		var c ParentClass
		var na, up int64
		var der []byte
		if err := rows.Scan(&c.Parent, &c.Class, &c.Resources, &na, &der, &c.CertURI, &up); err != nil {
			return nil, err
		}
		if len(der) > 0 {
			c.CertDER = der
		}
		c.NotAfter, c.UpdatedAt = unix(na), unix(up)
		out = append(out, c)
	}
	return out, rows.Err()
}
