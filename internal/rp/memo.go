package rp

import (
	"crypto/sha256"
	"sync"

	"github.com/roadrpki/road/internal/rpki"
)

// Memo remembers, across validation runs, the work that depends only on an
// object's bytes: parsing a ROA with the check of its CMS signature, and a
// certificate's signature by a given issuer certificate. Only successes are
// kept, and only what the last run used, so a repository that does not
// change is re-validated mostly without public-key operations (the
// pre-publication gate validates road's own tree twice per change). Every
// check that depends on the clock, the CRL or the issuer's resources still
// runs. Safe for concurrent use; parsed objects are shared read-only.
type Memo struct {
	mu   sync.Mutex
	cur  map[[32]byte]any // used by the run under way
	prev map[[32]byte]any // used by the run before
}

type memoROA struct {
	so  *rpki.SignedObject
	roa *rpki.ROA
}

// begin starts a run: what the run before used stays available.
func (m *Memo) begin() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cur) > 0 {
		m.prev = m.cur
	}
	m.cur = map[[32]byte]any{}
}

func (m *Memo) get(k [32]byte) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.cur[k]
	if !ok {
		if v, ok = m.prev[k]; ok {
			m.cur[k] = v
		}
	}
	return v, ok
}

func (m *Memo) put(k [32]byte, v any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		m.cur = map[[32]byte]any{}
	}
	m.cur[k] = v
}

// parseROA is rpki.ParseROAObject, remembered by the object's SHA-256.
func (m *Memo) parseROA(der []byte) (*rpki.SignedObject, *rpki.ROA, error) {
	if m == nil {
		return rpki.ParseROAObject(der)
	}
	k := sha256.Sum256(der)
	if v, ok := m.get(k); ok {
		if r, ok := v.(memoROA); ok {
			return r.so, r.roa, nil
		}
	}
	so, roa, err := rpki.ParseROAObject(der)
	if err == nil {
		m.put(k, memoROA{so, roa})
	}
	return so, roa, err
}

// sigKey marks "c's signature verified with issuer": both certificates whole.
type sigKey struct{}

// checkSignature is c.CheckSignatureFrom(issuer), remembered by both
// certificates' bytes.
func (m *Memo) checkSignature(c, issuer *rpki.Certificate) error {
	if m == nil {
		return c.CheckSignatureFrom(issuer)
	}
	h := sha256.New()
	h.Write(c.Raw)
	h.Write([]byte{0})
	h.Write(issuer.Raw)
	var k [32]byte
	h.Sum(k[:0])
	if v, ok := m.get(k); ok {
		if _, ok := v.(sigKey); ok {
			return nil
		}
	}
	err := c.CheckSignatureFrom(issuer)
	if err == nil {
		m.put(k, sigKey{})
	}
	return err
}
