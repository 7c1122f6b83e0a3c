package publish

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Object is one published file, identified by its rsync URI under the rsync
// base, e.g. "rsync://127.0.0.1:8873/repo/ca/ABC.mft".
type Object struct {
	URI  string
	Data []byte
	// Time is the CMS signing-time; it becomes the file's mtime in the rsync
	// tree (RFC 9589 §2, SHOULD). Zero keeps the previous time of unchanged
	// content, or uses the clock.
	Time time.Time
}

// Options configure a Publisher.
type Options struct {
	Dir       string // road-data; the publisher owns Dir/rrdp/ and Dir/rsync/
	RRDPBase  string // e.g. "https://127.0.0.1:8443/rrdp/"; notification = RRDPBase+"notification.xml"
	RsyncBase string // e.g. "rsync://127.0.0.1:8873/repo/"; every Object URI is under it
	Clock     func() time.Time
	Logger    *slog.Logger
	// Retention of deltas in the notification (RFC 8182 §3.3.2); defaults
	// 100 deltas and 24h. Deltas whose cumulative size would exceed the
	// snapshot's are always dropped.
	MaxDeltas   int
	MaxDeltaAge time.Duration
	// KeepOldFiles is how long snapshot and delta files stay on disk after
	// the notification stops referencing them (RFC 8182 §3.5.2.2 and
	// §3.5.3.2: at least 5 minutes). Default 10 minutes.
	KeepOldFiles time.Duration
	// Rand supplies session UUIDs and the random URL parts; default
	// crypto/rand. Tests pin it for golden files.
	Rand io.Reader
	// Floor is the last session and serial the caller recorded as published
	// (road keeps it in its database). When the files on disk are of that
	// session but an older serial (restored from a backup, say), reusing the
	// session would move the serial backwards for every RP that saw the
	// newer one, so the next publication starts a new session instead
	// (RFC 8182 §3.3.2: "re-initialise" when continuity is lost).
	Floor State
	// Check, when set, runs between Stage and Commit of every Publish that
	// changes something (Staged.Pending): the pre-publication gate and the
	// publication invariants. An error aborts the change: nothing live is
	// touched and Publish returns the error.
	Check func(ctx context.Context, s *Staged) error
}

// State is an RRDP session and serial.
type State struct {
	Session string
	Serial  uint64
}

// Result describes what a Publish or Commit did.
type Result struct {
	Session                    string
	Serial                     uint64
	Changed                    bool
	Added, Replaced, Withdrawn int
}

// objectState is one currently published object.
type objectState struct {
	data []byte
	hash string
	time time.Time
	path string // relative to the rsync tree root
	// frag is the object's <publish> element of a snapshot (RFC 8182
	// §3.5.2.3), rendered once and carried over while the object is
	// unchanged, so a snapshot is a concatenation. nil: not rendered yet.
	frag []byte
}

// Publisher owns the RRDP files and the rsync tree. It is safe for
// concurrent use; changes are serialized.
type Publisher struct {
	opts     Options
	log      *slog.Logger
	rrdpDir  string // Dir/rrdp
	rsyncDir string // Dir/rsync

	publishMu sync.Mutex // serializes Publish so concurrent callers never see ErrStale
	mu        sync.Mutex // guards the fields below
	gen       uint64     // bumped by every commit; a Staged built on another gen is stale
	session   string
	serial    uint64
	objects   map[string]*objectState
	snapshot  snapshotRef
	deltas    []deltaRef // newest first
	notifTime time.Time  // mtime of notification.xml, strictly increasing in whole seconds
	treeOK    bool       // Dir/rsync/current matches objects (content and mtimes)
	// spare is a tree beside current that holds exactly spareObjs (content
	// and mtimes): the generation before the live one, kept after the swap
	// so the next Stage only applies the differences (see spare.go). "":
	// none; a Stage that takes it clears it.
	spare     string
	spareObjs map[string]*objectState
	splitFS   bool   // Dir/rrdp and Dir/rsync are on different file systems
	snapBuf   []byte // memory of the last snapshot rendered, reused by the next Stage
	retired   map[string]time.Time
	lastAt    time.Time // when the last Publish ended
	lastErr   error     // its error (nil: it succeeded)

	hooks testHooks
}

// snapshotRef is the current snapshot.
type snapshotRef struct {
	fileRef
	Size int64
	path string // under Dir/rrdp, slash separated
}

// testHooks let tests simulate a crash between the steps of a commit.
type testHooks struct {
	afterFiles        func() error            // snapshot/delta written and durable, notification not yet
	afterNotification func() error            // notification written, rsync tree not yet swapped
	exchange          func(a, b string) error // replaces renameat2(RENAME_EXCHANGE)
}

const (
	notificationName = "notification.xml"
	snapshotName     = "snapshot.xml"
	deltaName        = "delta.xml"
	currentTree      = "current"
)

func (o *Options) setDefaults() error {
	if o.Dir == "" {
		return fmt.Errorf("%w: Dir is empty", ErrBadOptions)
	}
	if err := checkBase(o.RRDPBase, "https", "http"); err != nil {
		return fmt.Errorf("%w: RRDPBase: %w", ErrBadOptions, err)
	}
	if err := checkBase(o.RsyncBase, "rsync"); err != nil {
		return fmt.Errorf("%w: RsyncBase: %w", ErrBadOptions, err)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxDeltas <= 0 {
		o.MaxDeltas = 100
	}
	if o.MaxDeltaAge <= 0 {
		o.MaxDeltaAge = 24 * time.Hour
	}
	if o.KeepOldFiles <= 0 {
		o.KeepOldFiles = 10 * time.Minute
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return nil
}

// checkBase requires an absolute ASCII URI of one of the schemes, ending in
// "/", with nothing that would need escaping in XML or a file name.
func checkBase(base string, schemes ...string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	okScheme := false
	for _, s := range schemes {
		okScheme = okScheme || u.Scheme == s
	}
	if !okScheme || u.Host == "" || !strings.HasSuffix(base, "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: want %s://HOST/PATH/", base, schemes[0])
	}
	for i := 0; i < len(base); i++ {
		if c := base[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"'<>&\`, c) >= 0 {
			return fmt.Errorf("%q: character %q not allowed", base, c)
		}
	}
	return nil
}

// Open loads the published state from disk and repairs what a crash may have
// left behind. See recover.go.
func Open(opts Options) (*Publisher, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	p := &Publisher{
		opts:     opts,
		log:      opts.Logger,
		rrdpDir:  filepath.Join(opts.Dir, "rrdp"),
		rsyncDir: filepath.Join(opts.Dir, "rsync"),
		objects:  map[string]*objectState{},
		retired:  map[string]time.Time{},
	}
	if err := p.recover(context.Background()); err != nil {
		return nil, err
	}
	return p, nil
}

// Publish makes objects (the complete desired state) the published state:
// Stage then Commit.
func (p *Publisher) Publish(ctx context.Context, objects []Object) (Result, error) {
	p.publishMu.Lock()
	defer p.publishMu.Unlock()
	s, err := p.Stage(ctx, objects)
	if err == nil && p.opts.Check != nil && s.Pending() {
		if err = p.opts.Check(ctx, s); err != nil {
			s.Abort()
		}
	}
	if err == nil {
		err = s.Commit()
	}
	p.mu.Lock()
	p.lastAt, p.lastErr = p.opts.Clock(), err
	p.mu.Unlock()
	if err != nil {
		return Result{}, err
	}
	return s.Result(), nil
}

// LastPublish reports when the last Publish ended and its error (nil: it
// succeeded; a zero time: none yet).
func (p *Publisher) LastPublish() (at time.Time, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastAt, p.lastErr
}

// State returns the current session and serial ("" and 0 before the first
// publication).
func (p *Publisher) State() (session string, serial uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.session, p.serial
}

// Objects returns the current URI -> data. The map is a copy; the byte
// slices are shared and must not be modified.
func (p *Publisher) Objects() map[string][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string][]byte, len(p.objects))
	for u, o := range p.objects {
		out[u] = o.data
	}
	return out
}

// Lookup returns the current data of uri (shared, must not be modified).
func (p *Publisher) Lookup(uri string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.objects[uri]
	if !ok {
		return nil, false
	}
	return o.data, true
}

// NotificationURI is where relying parties fetch the notification.
func (p *Publisher) NotificationURI() string { return p.opts.RRDPBase + notificationName }

// RsyncRoot is the directory an rsync daemon serves as the rsync base.
func (p *Publisher) RsyncRoot() string { return filepath.Join(p.rsyncDir, currentTree) }

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func cloneObjects(m map[string]*objectState) map[string]*objectState { return maps.Clone(m) }
