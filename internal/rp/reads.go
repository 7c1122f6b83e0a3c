package rp

import (
	"crypto/sha256"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/roadrpki/road/internal/rpki"
)

// Reads shares file reads between validation runs over a cache that does
// not change while they last (Options.Reads; the pre-publication gate
// validates one staged tree at two clocks side by side): each file is
// read (through the Memo when there is one) and hashed once, and every run
// gets the same bytes, hash or error. Use a new Reads for each state of
// the cache, and Close it after the runs. It is ignored by runs that fetch
// (Options.Fetch, RRDP), since fetching changes the cache. Safe for
// concurrent use.
type Reads struct {
	mu    sync.Mutex
	m     map[readKey]*readEntry
	lists map[listKey]*listEntry
	dirs  map[string]int // open directories (O_PATH) by path: see stat
}

// readKey is one read of uri below root: with the file's hash through the
// Memo (cache.readSum), or raw (cache.read).
type readKey struct {
	root, uri string
	sum       bool
}

type readEntry struct {
	once sync.Once
	data []byte
	sum  [32]byte
	err  error
}

// get returns k's answer, computed by read the first time k is asked for
// (a second asker waits for it).
func (rs *Reads) get(k readKey, read func() ([]byte, [32]byte, error)) ([]byte, [32]byte, error) {
	if rs == nil {
		return read()
	}
	rs.mu.Lock()
	if rs.m == nil {
		rs.m = map[readKey]*readEntry{}
	}
	e := rs.m[k]
	if e == nil {
		e = &readEntry{}
		rs.m[k] = e
	}
	rs.mu.Unlock()
	e.once.Do(func() { e.data, e.sum, e.err = read() })
	return e.data, e.sum, e.err
}

// listKey is one manifest's list read below root: the same parsed
// manifest (the Memo hands every run the same one) at the same URI lists
// the same files.
type listKey struct {
	root, mftURI string
	m            *rpki.Manifest
}

type listEntry struct {
	once      sync.Once
	callers   atomic.Int32
	done      atomic.Bool
	files     []listedFile
	failedURI string
	err       error
}

// listed is readListed(view, m, repo, mftURI), read once for every run
// sharing view's Reads (repo is mftURI's directory: loadManifest).
func listed(view cache, m *rpki.Manifest, repo, mftURI string) ([]listedFile, string, error) {
	rs := view.reads
	if rs == nil {
		return readListed(view, m, repo, mftURI)
	}
	k := listKey{view.root, mftURI, m}
	rs.mu.Lock()
	if rs.lists == nil {
		rs.lists = map[listKey]*listEntry{}
	}
	e := rs.lists[k]
	if e == nil {
		e = &listEntry{}
		rs.lists[k] = e
	}
	rs.mu.Unlock()
	if e.callers.Add(1) == 2 {
		// While the first run reads the list in order, the second reads
		// it from the end: each file is read by one of them, and the
		// first finds the second half read.
		for i := len(m.Files) - 1; i >= 0 && !e.done.Load(); i-- {
			view.readSum(repo + m.Files[i].Name)
		}
	}
	e.once.Do(func() {
		e.files, e.failedURI, e.err = readListed(view, m, repo, mftURI)
		e.done.Store(true)
	})
	return e.files, e.failedURI, e.err
}

// stat is statKey(p), looked up relative to p's directory, which stays
// open until Close: the path to it is resolved once per check, not once
// per file (the cache does not change meanwhile).
func (rs *Reads) stat(p string) (fileKey, bool) {
	dir, name := filepath.Split(p)
	rs.mu.Lock()
	fd, ok := rs.dirs[dir]
	if !ok {
		var err error
		if fd, err = unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			fd = -1 // absent or not a directory: each file's own answer
		}
		if rs.dirs == nil {
			rs.dirs = map[string]int{}
		}
		rs.dirs[dir] = fd
	}
	rs.mu.Unlock()
	if fd < 0 {
		return statKey(p)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fileKey{}, false
	}
	return fileKey{dev: uint64(st.Dev), ino: uint64(st.Ino), size: int64(st.Size), mtime: st.Mtim.Nano()}, true
}

// Close releases what rs holds open; call it once no run uses rs.
func (rs *Reads) Close() {
	if rs == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, fd := range rs.dirs {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	rs.dirs = nil
}

// ParseManifest is rpki.ParseManifestObject of der, remembered by its
// SHA-256 as the relying party's own parses are (nil Memo: parsed).
func (m *Memo) ParseManifest(der []byte) (*rpki.SignedObject, *rpki.Manifest, error) {
	if m == nil {
		return rpki.ParseManifestObject(der)
	}
	sum := sha256.Sum256(der)
	if r, ok := lookup(m, genMfts, sum); ok {
		return r.so, r.mft, nil
	}
	so, mft, err := rpki.ParseManifestObject(der)
	if err == nil {
		remember(m, genMfts, sum, memoMft{so, mft})
	}
	return so, mft, err
}

// ParseCRL is rpki.ParseCRL of der, remembered by its SHA-256 (nil Memo:
// parsed). The parsed CRL indexes its serials once for every run.
func (m *Memo) ParseCRL(der []byte) (*rpki.CRL, error) {
	if m == nil {
		return rpki.ParseCRL(der)
	}
	sum := sha256.Sum256(der)
	if c, ok := lookup(m, genCRLs, sum); ok {
		return c, nil
	}
	c, err := rpki.ParseCRL(der)
	if err == nil {
		remember(m, genCRLs, sum, c)
	}
	return c, err
}

type memoMft struct {
	so  *rpki.SignedObject
	mft *rpki.Manifest
}

func genMfts(g *memoGen) map[[32]byte]memoMft   { return g.mfts }
func genCRLs(g *memoGen) map[[32]byte]*rpki.CRL { return g.crls }

// crlSig is "crl's signature verified with issuer's key", both the Memo's.
type crlSig struct {
	crl    *rpki.CRL
	issuer *rpki.Certificate
}

func genCRLSigs(g *memoGen) map[crlSig]bool { return g.crlSigs }

// checkCRLSignature is crl.CheckSignatureFrom(issuer), remembered as
// checkSignature is.
func (m *Memo) checkCRLSignature(crl *rpki.CRL, issuer *rpki.Certificate) error {
	if m == nil {
		return crl.CheckSignatureFrom(issuer)
	}
	return rememberOK(m, genCRLSigs, crlSig{crl, issuer}, func() error { return crl.CheckSignatureFrom(issuer) })
}
