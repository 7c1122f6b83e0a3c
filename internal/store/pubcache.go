package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
)

// PublicationCache keeps the DER of the objects road's repository serves
// between publications, so that a publication reads from the database only
// the objects whose hash changed: a ROA change rewrites about three of a
// publication point's objects (the ROA, the manifest, the CRL), and reading
// every DER again made up much of a change's time. The zero value is an
// empty cache.
type PublicationCache struct {
	mu  sync.Mutex
	der map[string]cachedDER
}

type cachedDER struct {
	hash [32]byte
	der  []byte // shared with callers, never modified
}

// PublicationObjectsVia is PublicationObjects read through c: the same
// objects in the same order; the DER of an unchanged object comes from c.
// The returned DER slices are shared and must not be modified.
func (t *Tx) PublicationObjectsVia(c *PublicationCache) ([]Object, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	objs, err := t.ObjectsMeta("")
	if err != nil {
		return nil, err
	}
	pub, err := t.publishedMeta()
	if err != nil {
		return nil, err
	}
	objs = append(objs, pub...)
	next := make(map[string]cachedDER, len(objs))
	for i := range objs {
		o := &objs[i]
		if e, ok := c.der[o.URI]; ok && e.hash == o.Hash {
			o.DER = e.der
		} else if o.DER == nil {
			if o.DER, err = t.publicationDER(o); err != nil {
				return nil, err
			}
			if real := sha256.Sum256(o.DER); real != o.Hash {
				if o.Kind != "published" { // road's own: PutObject wrote both
					return nil, fmt.Errorf("store: %s: stored hash does not match its DER", o.URI)
				}
				o.Hash = real // a publisher's row with a bad hash is read every time
				continue
			}
		}
		next[o.URI] = cachedDER{hash: o.Hash, der: o.DER}
	}
	c.der = next
	return objs, nil
}

// publishedMeta lists the publishers' objects as PublicationObjects does,
// without their DER.
func (t *Tx) publishedMeta() ([]Object, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT uri, hash, updated_at FROM published ORDER BY uri`)
	if err != nil {
		return nil, fmt.Errorf("store: list published: %w", err)
	}
	defer rows.Close()
	var out []Object
	for rows.Next() {
		var o Object
		var h string
		var at int64
		if err := rows.Scan(&o.URI, &h, &at); err != nil {
			return nil, err
		}
		if b, err := hex.DecodeString(h); err == nil && len(b) == len(o.Hash) {
			copy(o.Hash[:], b) // else zero: never matches, the DER is read
		}
		o.Kind, o.SigningTime, o.UpdatedAt = "published", unix(at), unix(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// publicationDER reads the DER of one object of PublicationObjectsVia.
func (t *Tx) publicationDER(o *Object) ([]byte, error) {
	table := "objects"
	if o.Kind == "published" {
		table = "published"
	}
	var der []byte
	if err := t.tx.QueryRowContext(t.ctx, `SELECT der FROM `+table+` WHERE uri = ?`, o.URI).Scan(&der); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", o.URI, err)
	}
	return der, nil
}
