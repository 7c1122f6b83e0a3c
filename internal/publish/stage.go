package publish

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"
)

// Staged is a prepared change: the new RRDP files in memory and the new
// rsync tree built beside the live one. Nothing is visible to relying
// parties until Commit. A pre-publication gate can validate RsyncDir() and
// Objects() in between; Abort discards the change.
type Staged struct {
	p   *Publisher
	gen uint64

	prev map[string]*objectState // the live state Stage started from (never modified)
	from State                   // its session and serial
	next map[string]*objectState
	res  Result

	newSerial    bool
	session      string
	serial       uint64
	dir          string // rrdp/<session>/<serial>/<random>, relative to Dir/rrdp
	snapshot     snapshotRef
	snapshotXML  []byte
	deltaXML     []byte // nil on the first serial of a session
	deltas       []deltaRef
	notification []byte

	treeDir string // staged rsync tree; "" when the live tree already matches
	done    bool

	// Written by the background rrdpJob, readable after wait.
	jobDone    chan struct{}
	jobErr     error
	buf        []byte    // memory for the snapshot, handed back to the Publisher
	notifTemp  string    // the notification, written, not yet renamed into place
	notifMtime time.Time // its mtime
	rrdpFiles  []string  // snapshot and delta written (absolute paths)
	rrdpDirs   []string  // directories created for them, outermost first
}

// Stage prepares making objects (the complete desired state) the published
// state. It computes the delta against the current state (RFC 8182
// §3.5.3.3) and builds the staged rsync tree; rendering, writing and
// syncing the RRDP files and syncing the tree run in the background
// (rrdpJob), beside the gate, and Commit waits for them.
func (p *Publisher) Stage(ctx context.Context, objects []Object) (*Staged, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.opts.Clock()
	next, err := p.desired(ctx, objects, now)
	if err != nil {
		return nil, err
	}
	changes, res := diffObjects(p.objects, next)
	s := &Staged{p: p, gen: p.gen, prev: p.objects, from: State{p.session, p.serial}, next: next, res: res, session: p.session, serial: p.serial}
	// No new serial without a change: an empty delta is never published.
	s.newSerial = p.session == "" || len(changes) > 0
	if s.newSerial {
		if err := p.nextSerial(s); err != nil {
			return nil, err
		}
	}
	s.res.Session, s.res.Serial, s.res.Changed = s.session, s.serial, s.newSerial
	if s.newSerial || !p.treeOK || timesDiffer(p.objects, next) {
		if s.treeDir, err = p.stageTree(ctx, next); err != nil {
			return nil, err
		}
	}
	if s.Pending() {
		j := &rrdpJob{s: s, render: s.newSerial, first: p.session == "", changes: changes, now: now,
			rrdpBase: p.opts.RRDPBase, rrdpDir: p.rrdpDir, deltas: p.deltas, notifTime: p.notifTime,
			maxDeltas: p.opts.MaxDeltas, maxAge: p.opts.MaxDeltaAge}
		if s.treeDir != "" {
			j.syncDirs = append(j.syncDirs, s.treeDir)
		}
		if s.newSerial && (s.treeDir == "" || p.splitFS) {
			j.syncDirs = append(j.syncDirs, p.rrdpDir)
		}
		s.buf, p.snapBuf = p.snapBuf, nil // the job's until Commit or Abort
		s.startJob(j)
	}
	return s, nil
}

// desired validates objects and turns them into the next state. An object
// whose bytes equal the current one's keeps its data, hash and snapshot
// fragment: nothing is hashed or copied twice.
func (p *Publisher) desired(ctx context.Context, objects []Object, now time.Time) (map[string]*objectState, error) {
	next := make(map[string]*objectState, len(objects))
	for _, o := range objects {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if prev, dup := next[o.URI]; dup {
			if !bytes.Equal(prev.data, o.Data) {
				return nil, fmt.Errorf("%w: %s", ErrDuplicate, o.URI)
			}
			continue
		}
		var n objectState
		cur := p.objects[o.URI]
		if cur != nil && bytes.Equal(cur.data, o.Data) {
			n = *cur // same URI, so the same (already checked) path
		} else {
			rel, err := objectPath(p.opts.RsyncBase, o.URI)
			if err != nil {
				return nil, err
			}
			n = objectState{data: bytes.Clone(o.Data), hash: sha256Hex(o.Data), path: rel}
		}
		n.time = o.Time
		if n.time.IsZero() {
			n.time = now
			if cur != nil && cur.hash == n.hash {
				n.time = cur.time
			}
		}
		next[o.URI] = &n
	}
	return next, nil
}

// diffObjects lists the delta elements from cur to next, sorted by URI.
func diffObjects(cur, next map[string]*objectState) ([]change, Result) {
	var out []change
	var res Result
	for u, n := range next {
		c, ok := cur[u]
		switch {
		case !ok:
			out = append(out, change{URI: u, Data: n.data})
			res.Added++
		case c.hash != n.hash:
			out = append(out, change{URI: u, Data: n.data, PrevHash: c.hash})
			res.Replaced++
		}
	}
	for u, c := range cur {
		if _, ok := next[u]; !ok {
			out = append(out, change{URI: u, Withdraw: true, PrevHash: c.hash})
			res.Withdrawn++
		}
	}
	slices.SortFunc(out, func(a, b change) int { return cmpString(a.URI, b.URI) })
	return out, res
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// timesDiffer reports whether any object keeps its content but changes its
// rsync mtime (compared in whole seconds: CMS times have no fraction).
func timesDiffer(cur, next map[string]*objectState) bool {
	for u, n := range next {
		if c, ok := cur[u]; ok && c.hash == n.hash && c.time.Unix() != n.time.Unix() {
			return true
		}
	}
	return false
}

// nextSerial picks the session and serial of the change and the unique
// directory of its RRDP files.
func (p *Publisher) nextSerial(s *Staged) error {
	if p.session == "" {
		id, err := newUUID(p.opts.Rand)
		if err != nil {
			return err
		}
		s.session, s.serial = id, 1
	} else {
		s.serial = p.serial + 1
	}
	part, err := randomHex(p.opts.Rand, 8)
	if err != nil {
		return err
	}
	// Unique per session and serial (RFC 8182 §3.5.2.2, §3.5.3.2); the random
	// part keeps a serial rewritten after a crash from reusing a URL that an
	// earlier, never-announced attempt may have left in a cache.
	s.dir = s.session + "/" + strconv.FormatUint(s.serial, 10) + "/" + part
	return nil
}

// newUUID returns a random (version 4) UUID, RFC 4122 §4.4, as RFC 8182
// §3.5.1.3 requires for session_id.
func newUUID(r interface{ Read([]byte) (int, error) }) (string, error) {
	h, err := randomHex(r, 16)
	if err != nil {
		return "", err
	}
	b := []byte(h)
	b[12] = '4'                     // version 4
	b[16] = "89ab"[hexVal(b[16])&3] // variant 10xx
	return fmt.Sprintf("%s-%s-%s-%s-%s", b[0:8], b[8:12], b[12:16], b[16:20], b[20:32]), nil
}

func hexVal(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// RsyncDir is the staged rsync tree (the live one if it needs no change).
func (s *Staged) RsyncDir() string {
	if s.treeDir == "" {
		return s.p.RsyncRoot()
	}
	return s.treeDir
}

// Objects returns the staged complete state, sorted by URI. Data is shared
// and must not be modified.
func (s *Staged) Objects() []Object {
	out := make([]Object, 0, len(s.next))
	for u, o := range s.next {
		out = append(out, Object{URI: u, Data: o.data, Time: o.time})
	}
	slices.SortFunc(out, func(a, b Object) int { return cmpString(a.URI, b.URI) })
	return out
}

// Live returns the published state the change starts from, URI -> data
// (shared, must not be modified).
func (s *Staged) Live() map[string][]byte {
	out := make(map[string][]byte, len(s.prev))
	for u, o := range s.prev {
		out[u] = o.data
	}
	return out
}

// From is the session and serial the change starts from ("" and 0: none).
func (s *Staged) From() State { return s.from }

// Pending reports whether Commit would change anything on disk: a new
// serial, or an rsync tree to swap in.
func (s *Staged) Pending() bool { return s.newSerial || s.treeDir != "" }

// Result is what Commit will do (or did).
func (s *Staged) Result() Result { return s.res }

// Abort discards the staged change: the staged tree and the snapshot and
// delta files Stage wrote (never announced) are removed, so the live state
// is byte-identical to what it was before Stage.
func (s *Staged) Abort() {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.discard()
}

func (s *Staged) discard() {
	s.wait()
	s.reclaim()
	s.discardTree()
	s.removeRRDPFiles()
}

// reclaim hands the snapshot memory back to the Publisher (p.mu held).
func (s *Staged) reclaim() {
	if s.buf != nil {
		s.p.snapBuf, s.buf = s.buf, nil
	}
}

// discardTree removes the staged rsync tree. It was the spare tree or a
// fresh build; either way a gate may have changed it, so it is not kept.
func (s *Staged) discardTree() {
	s.done = true
	if s.treeDir != "" {
		if err := os.RemoveAll(s.treeDir); err != nil {
			s.p.log.Warn("removing staged rsync tree", "dir", s.treeDir, "err", err)
		}
		s.treeDir = ""
	}
}
