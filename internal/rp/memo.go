package rp

import (
	"crypto/sha256"
	"sync"
	"syscall"

	"github.com/roadrpki/road/internal/rpki"
)

// Memo remembers, across validation runs, the work that depends only on an
// object's bytes: reading an unchanged file (fileKey), parsing a certificate, a ROA
// or a manifest (with the check of its CMS signature) or a CRL, and a
// certificate's or CRL's signature by a given issuer. Only successes are kept, and only what the last run used,
// so a repository that does not change is re-validated mostly without
// reads, parsing or public-key operations (the pre-publication gate
// validates road's own tree twice per change). Every check that depends on
// the clock, the CRL, the manifest's hashes or the issuer's resources still
// runs. Safe for concurrent use; parsed objects are shared read-only.
// Without Rotate it keeps everything it ever saw.
type Memo struct {
	mu   sync.RWMutex
	cur  *memoGen // used since the last Rotate
	prev *memoGen // used between the two Rotates before
}

type memoGen struct {
	files map[fileKey]memoFile
	roas  map[[32]byte]memoROA
	certs map[[32]byte]*rpki.Certificate
	sigs  map[sigPair]bool
	mfts  map[[32]byte]memoMft   // manifests (reads.go)
	crls  map[[32]byte]*rpki.CRL // CRLs (reads.go)
	// CRL signatures (reads.go)
	crlSigs map[crlSig]bool
}

func newGen() *memoGen {
	return &memoGen{files: map[fileKey]memoFile{}, roas: map[[32]byte]memoROA{},
		certs: map[[32]byte]*rpki.Certificate{}, sigs: map[sigPair]bool{},
		mfts: map[[32]byte]memoMft{}, crls: map[[32]byte]*rpki.CRL{}, crlSigs: map[crlSig]bool{}}
}

type memoFile struct {
	data []byte
	sum  [32]byte
}

type memoROA struct {
	so  *rpki.SignedObject
	roa *rpki.ROA
}

// sigPair is "child's signature verified with issuer's key": both parsed
// certificates are the Memo's own (the same pointers in every run).
type sigPair struct{ child, issuer *rpki.Certificate }

// Rotate starts a new generation: what was used since the last Rotate
// stays available until the next one, anything older is forgotten. Call
// it between uses (runs at once share a generation).
func (m *Memo) Rotate() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		m.cur = newGen()
		return
	}
	m.prev, m.cur = m.cur, newGenLike(m.cur)
}

// newGenLike is an empty generation sized for what g holds (a run uses
// about what the one before it did).
func newGenLike(g *memoGen) *memoGen {
	return &memoGen{files: make(map[fileKey]memoFile, len(g.files)), roas: make(map[[32]byte]memoROA, len(g.roas)),
		certs: make(map[[32]byte]*rpki.Certificate, len(g.certs)), sigs: make(map[sigPair]bool, len(g.sigs)),
		mfts: make(map[[32]byte]memoMft, len(g.mfts)), crls: make(map[[32]byte]*rpki.CRL, len(g.crls)),
		crlSigs: make(map[crlSig]bool, len(g.crlSigs))}
}

// lookup finds k in the run's generation, else in the one before (and
// keeps it for the next run).
func lookup[K comparable, V any](m *Memo, pick func(*memoGen) map[K]V, k K) (V, bool) {
	m.mu.RLock() // the common case: the other run of the check kept it
	if m.cur != nil {
		if v, ok := pick(m.cur)[k]; ok {
			m.mu.RUnlock()
			return v, true
		}
	}
	m.mu.RUnlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		m.cur = newGen()
	}
	v, ok := pick(m.cur)[k]
	if !ok && m.prev != nil {
		if v, ok = pick(m.prev)[k]; ok {
			pick(m.cur)[k] = v
		}
	}
	return v, ok
}

func remember[K comparable, V any](m *Memo, pick func(*memoGen) map[K]V, k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		m.cur = newGen()
	}
	pick(m.cur)[k] = v
}

func genFiles(g *memoGen) map[fileKey]memoFile           { return g.files }
func genROAs(g *memoGen) map[[32]byte]memoROA            { return g.roas }
func genCerts(g *memoGen) map[[32]byte]*rpki.Certificate { return g.certs }
func genSigs(g *memoGen) map[sigPair]bool                { return g.sigs }

// parseROA is rpki.ParseROAObject of der, whose SHA-256 is sum.
func (m *Memo) parseROA(der []byte, sum [32]byte) (*rpki.SignedObject, *rpki.ROA, error) {
	if m == nil {
		return rpki.ParseROAObject(der)
	}
	if r, ok := lookup(m, genROAs, sum); ok {
		return r.so, r.roa, nil
	}
	so, roa, err := rpki.ParseROAObject(der)
	if err == nil {
		remember(m, genROAs, sum, memoROA{so, roa})
	}
	return so, roa, err
}

// parseCertificate is rpki.ParseCertificate of der, whose SHA-256 is sum.
func (m *Memo) parseCertificate(der []byte, sum [32]byte) (*rpki.Certificate, error) {
	if m == nil {
		return rpki.ParseCertificate(der)
	}
	if c, ok := lookup(m, genCerts, sum); ok {
		return c, nil
	}
	c, err := rpki.ParseCertificate(der)
	if err == nil {
		remember(m, genCerts, sum, c)
	}
	return c, err
}

// checkSignature is c.CheckSignatureFrom(issuer), remembered when both
// come from the Memo.
func (m *Memo) checkSignature(c, issuer *rpki.Certificate) error {
	if m == nil {
		return c.CheckSignatureFrom(issuer)
	}
	return rememberOK(m, genSigs, sigPair{c, issuer}, func() error { return c.CheckSignatureFrom(issuer) })
}

// rememberOK runs check unless a success for k is remembered, and
// remembers a success (a failure is checked again every time).
func rememberOK[K comparable](m *Memo, pick func(*memoGen) map[K]bool, k K, check func() error) error {
	if _, ok := lookup(m, pick, k); ok {
		return nil
	}
	err := check()
	if err == nil {
		remember(m, pick, k, true)
	}
	return err
}

// fileKey identifies one version of a file whatever its path: its inode,
// size and mtime. A file is replaced by writing a new one (a new inode, or
// at least a new mtime: road's publisher sets the signing time); the
// staged tree hard-links the files that did not change, so they are not
// read again. Content that changed under the same inode, size and mtime
// is not noticed (the manifest hashes are still checked against the
// remembered bytes).
type fileKey struct {
	dev, ino    uint64
	size, mtime int64
}

func statKey(p string) (fileKey, bool) {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return fileKey{}, false
	}
	return fileKey{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: st.Mtim.Nano()}, true
}

// readFile is readCacheFile with the file's SHA-256, remembered by the
// file's identity (statKey).
func (m *Memo) readFile(p string, max int64) ([]byte, [32]byte, error) {
	return m.readFileStat(p, max, statKey)
}

// readFileStat is readFile with stat in place of statKey.
func (m *Memo) readFileStat(p string, max int64, stat func(string) (fileKey, bool)) ([]byte, [32]byte, error) {
	if m == nil {
		b, err := readCacheFile(p, max)
		if err != nil {
			return nil, [32]byte{}, err
		}
		return b, sha256.Sum256(b), nil
	}
	k, ok := stat(p)
	if ok {
		if f, ok := lookup(m, genFiles, k); ok {
			return f.data, f.sum, nil
		}
	}
	b, err := readCacheFile(p, max) // absent, not a regular file, ...: its own answer
	if err != nil {
		return nil, [32]byte{}, err
	}
	sum := sha256.Sum256(b)
	if k2, ok2 := stat(p); ok && ok2 && k2 == k { // not replaced while it was read
		remember(m, genFiles, k, memoFile{b, sum})
	}
	return b, sum, nil
}
