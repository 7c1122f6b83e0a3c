package rp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/atomicfile"
)

// RRDPClient keeps a cache directory in step with RRDP repositories (RFC
// 8182 §3.4). Each repository (notification URI) has its own tree,
// CACHE/.rrdp/ID/host/module/path, beside its state file CACHE/.rrdp/ID.json
// (session, serial, and the hash of every object it holds), so no
// repository can overwrite or withdraw another's objects (RFC 8182 §3.4.2);
// Validate reads a CA's publication point from the tree of its
// rpkiNotify repository when there is one, else from the rsync-style tree.
// Deltas are applied when they continue the last serial, the snapshot
// otherwise. Every file is bounded and hashed before anything in the cache
// changes; a failed update leaves the cache as it was (RFC 9286 §6.6 then
// uses what is cached). Sync calls are serialized.
type RRDPClient struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex // one per notification URI: different repositories sync at once

	HTTP      *http.Client // must verify TLS; see NewHTTPClient
	Cache     string
	Logger    *slog.Logger
	UserAgent string // RFC 8182 §3.4.1: RECOMMENDED

	MaxNotification int64 // bytes [4 MiB]
	MaxSnapshot     int64 // bytes [1 GiB]
	MaxDelta        int64 // bytes [256 MiB]
	MaxObject       int   // bytes of one published object [64 MiB]
	MaxDeltas       int   // deltas listed in a notification [100000]
	MaxElements     int   // publish/withdraw elements in one file [2000000]

	// MinInterval, when set, skips fetching a notification fetched less
	// than this long ago (RFC 8182 §3.4.4: RPs MUST NOT poll a repository
	// more than once a minute). 0: always fetch (road's own repository,
	// right after it published).
	MinInterval time.Duration
	Clock       func() time.Time // default time.Now
}

// SyncResult tells what one Sync did.
type SyncResult struct {
	Session   string
	Serial    uint64
	Snapshot  bool // the snapshot was loaded
	Deltas    int  // deltas applied
	Unchanged bool // nothing new (same serial, or 304 Not Modified)
	Objects   int  // objects of this repository now in the cache
}

func (c *RRDPClient) defaults() {
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: time.Minute}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.UserAgent == "" {
		c.UserAgent = "road-rp"
	}
	if c.MaxNotification <= 0 {
		c.MaxNotification = 4 << 20
	}
	if c.MaxSnapshot <= 0 {
		c.MaxSnapshot = 1 << 30
	}
	if c.MaxDelta <= 0 {
		c.MaxDelta = 256 << 20
	}
	if c.MaxObject <= 0 {
		c.MaxObject = 64 << 20
	}
	if c.MaxDeltas <= 0 {
		c.MaxDeltas = 100_000
	}
	if c.MaxElements <= 0 {
		c.MaxElements = 2_000_000
	}
}

// rrdpState is what the client remembers per notification URI.
type rrdpState struct {
	Notify       string            `json:"notify"`
	Session      string            `json:"session"`
	Serial       uint64            `json:"serial"`
	LastModified string            `json:"last_modified,omitempty"`
	Objects      map[string]string `json:"objects"` // rsync URI -> hex SHA-256
	// Deltas are the hashes of the deltas up to Serial listed by the last
	// notification: one that changes later means the repository rewrote
	// its history, and only the snapshot is trusted.
	Deltas    map[uint64]string `json:"deltas,omitempty"`
	LastFetch int64             `json:"last_fetch,omitempty"` // unix seconds of the last notification fetch
}

func (c *RRDPClient) stateDir() string { return filepath.Join(c.Cache, ".rrdp") }

// repoID names a repository's tree and state below CACHE/.rrdp.
func repoID(notify string) string {
	h := sha256.Sum256([]byte(notify))
	return hex.EncodeToString(h[:16])
}

// repoDir is the root of a repository's objects (the rsync-style layout).
func repoDir(cacheRoot, notify string) string {
	return filepath.Join(cacheRoot, ".rrdp", repoID(notify))
}

func repoStatePath(cacheRoot, notify string) string {
	return filepath.Join(cacheRoot, ".rrdp", repoID(notify)+".json")
}

func (c *RRDPClient) statePath(notify string) string { return repoStatePath(c.Cache, notify) }

func (c *RRDPClient) loadState(notify string) *rrdpState {
	st := &rrdpState{Notify: notify, Objects: map[string]string{}}
	b, err := readBounded(c.statePath(notify), 1<<30)
	if err != nil {
		return st
	}
	var s rrdpState
	if json.Unmarshal(b, &s) != nil || s.Notify != notify || s.Objects == nil {
		c.Logger.Warn("rrdp: unusable state, starting over", "notify", notify)
		return st
	}
	return &s
}

func (c *RRDPClient) saveState(st *rrdpState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeAtomic(c.statePath(st.Notify), b)
}

// writeAtomic replaces path whole, creating its directory.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o600)
}

// Sync brings the cache up to date with the repository at notifyURI.
func (c *RRDPClient) Sync(ctx context.Context, notifyURI string) (SyncResult, error) {
	return c.sync(ctx, notifyURI, false)
}

// Resync loads the snapshot whatever the cached state says (RFC 8182
// §3.4.3 allows it at any time): the repair when the cached tree of a
// repository fails validation, e.g. after deltas or a damaged file.
func (c *RRDPClient) Resync(ctx context.Context, notifyURI string) (SyncResult, error) {
	return c.sync(ctx, notifyURI, true)
}

// lock serializes syncs of one repository.
func (c *RRDPClient) lock(notify string) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.defaults()
	if c.locks == nil {
		c.locks = map[string]*sync.Mutex{}
	}
	l := c.locks[notify]
	if l == nil {
		l = &sync.Mutex{}
		c.locks[notify] = l
	}
	return l
}

func (c *RRDPClient) sync(ctx context.Context, notifyURI string, force bool) (SyncResult, error) {
	l := c.lock(notifyURI)
	l.Lock()
	defer l.Unlock()
	var res SyncResult
	nu, err := url.Parse(notifyURI)
	if err != nil || nu.Scheme != "https" || nu.Host == "" || len(notifyURI) > maxURILength {
		return res, reject(ReasonBadURI, "notification URI %q is not https (RFC 8182 §3.2)", notifyURI)
	}
	st := c.loadState(notifyURI)
	now := c.Clock()
	if !force && c.MinInterval > 0 && st.Session != "" && now.Sub(time.Unix(st.LastFetch, 0)) < c.MinInterval {
		return SyncResult{Session: st.Session, Serial: st.Serial, Unchanged: true, Objects: len(st.Objects)}, nil
	}
	ims := st.LastModified
	if force {
		ims = ""
	}
	body, lastMod, notModified, err := c.get(ctx, notifyURI, c.MaxNotification, ims)
	if err != nil {
		return res, err
	}
	st.LastFetch = now.Unix()
	if notModified {
		if err := c.saveState(st); err != nil {
			return res, err
		}
		return SyncResult{Session: st.Session, Serial: st.Serial, Unchanged: true, Objects: len(st.Objects)}, nil
	}
	n, err := parseNotification(body, c.MaxDeltas)
	body.Close()
	if err != nil {
		return res, fmt.Errorf("%s: %w", notifyURI, err)
	}
	rewritten, err := c.checkNotification(n, nu, st)
	if err != nil {
		return res, err
	}
	res.Session, res.Serial = n.Session, n.Serial
	save := func() error {
		st.Deltas = deltaHashes(n, st.Serial)
		return c.saveState(st)
	}
	switch {
	case rewritten || force:
		// fall through to the snapshot below
	case st.Session == n.Session && n.Serial == st.Serial:
		st.LastModified = lastMod
		res.Unchanged, res.Objects = true, len(st.Objects)
		return res, save()
	case st.Session == n.Session && n.Serial < st.Serial:
		return res, reject(ReasonRRDPSerial, "%s: serial %d below the last processed %d", notifyURI, n.Serial, st.Serial)
	case st.Session == n.Session && deltasContinue(n, st.Serial):
		applied, err := c.applyDeltas(ctx, n, st)
		res.Deltas = applied
		if err == nil {
			st.LastModified = lastMod
			res.Objects = len(st.Objects)
			return res, save()
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		// RFC 8182 §3.4.2: a rejected delta means processing the snapshot.
		c.Logger.Warn("rrdp: delta rejected, loading the snapshot", "notify", notifyURI, "err", err)
	}
	// RFC 8182 §3.4.1/§3.4.3: new session, gap or first contact.
	if err := c.applySnapshot(ctx, n, st); err != nil {
		return res, err
	}
	st.LastModified = lastMod
	res.Snapshot, res.Objects = true, len(st.Objects)
	return res, save()
}

// checkNotification refuses files on another server (RFC 8182 §3.3) and
// reports whether a delta already seen changed its hash.
func (c *RRDPClient) checkNotification(n *notification, nu *url.URL, st *rrdpState) (rewritten bool, err error) {
	for _, ref := range append([]fileRef{n.Snapshot}, refsOf(n.Deltas)...) {
		u, err := url.Parse(ref.URI)
		if err != nil || u.Scheme != "https" || u.Host != nu.Host {
			return false, reject(ReasonRRDPOutside, "%s: %q is not on the notification's server", st.Notify, ref.URI)
		}
	}
	if st.Session == n.Session {
		for _, d := range n.Deltas {
			if h, ok := st.Deltas[d.Serial]; ok && h != hex.EncodeToString(d.Hash[:]) {
				rewritten = true
			}
		}
		if rewritten {
			c.Logger.Warn("rrdp: a delta already seen changed its hash; loading the snapshot", "notify", st.Notify)
		}
	}
	return rewritten, nil
}

// deltaHashes keeps the hashes of the listed deltas up to serial.
func deltaHashes(n *notification, serial uint64) map[uint64]string {
	if n.Session == "" {
		return nil
	}
	m := map[uint64]string{}
	for _, d := range n.Deltas {
		if d.Serial <= serial {
			m[d.Serial] = hex.EncodeToString(d.Hash[:])
		}
	}
	return m
}

func refsOf(ds []deltaRef) []fileRef {
	out := make([]fileRef, len(ds))
	for i, d := range ds {
		out[i] = d.FileRef
	}
	return out
}

// deltasContinue reports whether the notification lists every delta from
// last+1 to its serial (RFC 8182 §3.4.2).
func deltasContinue(n *notification, last uint64) bool {
	if last == 0 || n.Serial <= last {
		return false
	}
	need := n.Serial - last
	i, ok := slices.BinarySearchFunc(n.Deltas, last+1, func(d deltaRef, s uint64) int {
		switch {
		case d.Serial < s:
			return -1
		case d.Serial > s:
			return 1
		}
		return 0
	})
	return ok && uint64(len(n.Deltas)-i) == need // serials are unique and sorted, so contiguous
}

// staging collects new file contents beside the cache before they replace
// anything.
type staging struct {
	dir    string
	n      int
	writes map[string]string // rsync URI -> staged file
	hashes map[string]string // rsync URI -> hex SHA-256 of the new content
	drops  map[string]bool   // rsync URIs to remove
}

func (c *RRDPClient) newStaging() (*staging, error) {
	if err := os.MkdirAll(c.stateDir(), 0o755); err != nil {
		return nil, err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	d := filepath.Join(c.stateDir(), "stage-"+hex.EncodeToString(rnd[:]))
	if err := os.Mkdir(d, 0o755); err != nil {
		return nil, err
	}
	return &staging{dir: d, writes: map[string]string{}, hashes: map[string]string{}, drops: map[string]bool{}}, nil
}

func (s *staging) discard() { os.RemoveAll(s.dir) }

func (s *staging) put(uri string, data []byte) error {
	s.n++
	p := filepath.Join(s.dir, fmt.Sprint(s.n))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	h := sha256.Sum256(data)
	s.writes[uri], s.hashes[uri] = p, hex.EncodeToString(h[:])
	delete(s.drops, uri)
	return nil
}

// commit moves the staged files into the repository's tree and removes
// dropped ones.
func (c *RRDPClient) commit(s *staging, notify string) error {
	defer s.discard()
	cc := cache{root: repoDir(c.Cache, notify)}
	uris := slices.Sorted(maps.Keys(s.writes))
	for _, u := range uris {
		p, err := cc.path(u)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Rename(s.writes[u], p); err != nil {
			return err
		}
	}
	for u := range s.drops {
		if p, err := cc.path(u); err == nil {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// fetchParse downloads ref, streams it through parse and checks its hash
// (RFC 8182 §3.4.2/§3.4.3) before the caller commits anything.
func (c *RRDPClient) fetchParse(ctx context.Context, ref fileRef, max int64,
	parse func(io.Reader) (rrdpHeader, error)) (rrdpHeader, error) {
	body, _, _, err := c.get(ctx, ref.URI, max, "")
	if err != nil {
		return rrdpHeader{}, err
	}
	defer body.Close()
	h := sha256.New()
	hdr, err := parse(io.TeeReader(body, h))
	if err != nil {
		return hdr, fmt.Errorf("%s: %w", ref.URI, err)
	}
	// Read what the decoder left (trailing whitespace) so the hash covers the file.
	if _, err := io.Copy(h, body); err != nil {
		return hdr, asReject(ReasonRRDPFetch, err)
	}
	if !sameHash(h, ref.Hash) {
		return hdr, reject(ReasonRRDPHash, "%s: SHA-256 differs from the notification's (RFC 8182 §3.4.2)", ref.URI)
	}
	return hdr, nil
}

func sameHash(h hash.Hash, want [32]byte) bool { return [32]byte(h.Sum(nil)) == want }

// applySnapshot replaces everything this repository published with the
// snapshot's content.
func (c *RRDPClient) applySnapshot(ctx context.Context, n *notification, st *rrdpState) error {
	s, err := c.newStaging()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	hdr, err := c.fetchParse(ctx, n.Snapshot, c.MaxSnapshot, func(r io.Reader) (rrdpHeader, error) {
		return parseSnapshot(r, c.MaxObject, c.MaxElements, func(el rrdpElement) error {
			if _, err := splitRsyncURI(el.URI); err != nil {
				return err
			}
			seen[el.URI] = true
			if err := ctx.Err(); err != nil {
				return err // shutting down: write nothing more into the cache
			}
			return s.put(el.URI, el.Data)
		})
	})
	if err == nil && (hdr.Session != n.Session || hdr.Serial != n.Serial) {
		err = reject(ReasonRRDPSession, "snapshot is session %s serial %d, notification %s %d (RFC 8182 §3.4.3)",
			hdr.Session, hdr.Serial, n.Session, n.Serial)
	}
	if err != nil {
		s.discard()
		return err
	}
	for u := range st.Objects {
		if !seen[u] {
			s.drops[u] = true
		}
	}
	if err := ctx.Err(); err != nil {
		s.discard()
		return err
	}
	if err := c.commit(s, st.Notify); err != nil {
		return err
	}
	st.Session, st.Serial, st.Objects = n.Session, n.Serial, s.hashes
	c.Logger.Info("rrdp: snapshot loaded", "snapshot", n.Snapshot.URI, "session", n.Session, "serial", n.Serial, "objects", len(s.hashes))
	return nil
}

// applyDeltas applies last+1..serial in order, each checked completely
// before it is committed (RFC 8182 §3.4.2). It returns how many it applied.
func (c *RRDPClient) applyDeltas(ctx context.Context, n *notification, st *rrdpState) (int, error) {
	applied := 0
	for _, d := range n.Deltas {
		if d.Serial <= st.Serial {
			continue
		}
		if err := ctx.Err(); err != nil {
			return applied, err
		}
		s, err := c.newStaging()
		if err != nil {
			return applied, err
		}
		objs := make(map[string]string, len(st.Objects))
		for k, v := range st.Objects {
			objs[k] = v
		}
		hdr, err := c.fetchParse(ctx, d.FileRef, c.MaxDelta, func(r io.Reader) (rrdpHeader, error) {
			return parseDelta(r, c.MaxObject, c.MaxElements, func(el rrdpElement) error {
				if _, err := splitRsyncURI(el.URI); err != nil {
					return err
				}
				cur, held := objs[el.URI]
				switch {
				case el.Hash == nil && held:
					return reject(ReasonRRDPHash, "delta publishes %s without the hash of the object it replaces (RFC 8182 §3.5.3.3)", el.URI)
				case el.Hash != nil && (!held || cur != hex.EncodeToString(el.Hash[:])):
					return reject(ReasonRRDPHash, "delta replaces or withdraws %s with a hash that is not the held object's (RFC 8182 §3.4.2)", el.URI)
				}
				if el.Withdraw {
					delete(objs, el.URI)
					delete(s.writes, el.URI)
					delete(s.hashes, el.URI)
					s.drops[el.URI] = true
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err // shutting down: write nothing more into the cache
				}
				if err := s.put(el.URI, el.Data); err != nil {
					return err
				}
				objs[el.URI] = s.hashes[el.URI]
				return nil
			})
		})
		if err == nil && (hdr.Session != n.Session || hdr.Serial != d.Serial) {
			err = reject(ReasonRRDPSession, "delta is session %s serial %d, want %s %d (RFC 8182 §3.4.2)",
				hdr.Session, hdr.Serial, n.Session, d.Serial)
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			s.discard()
			return applied, err
		}
		if err := c.commit(s, st.Notify); err != nil {
			return applied, err
		}
		st.Serial, st.Objects = d.Serial, objs
		applied++
		if err := c.saveState(st); err != nil {
			return applied, err
		}
	}
	return applied, nil
}
