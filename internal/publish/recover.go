package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// recover loads the state that notification.xml and its snapshot describe,
// removes crash leftovers, and rebuilds the rsync tree if it does not match.
// An unreadable or inconsistent RRDP state is not guessed at: the next
// publication starts a new session (RFC 8182 §3.3.1).
func (p *Publisher) recover(ctx context.Context) error {
	for _, d := range []string{p.rrdpDir, p.rsyncDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	p.splitFS = !sameFS(p.rrdpDir, p.rsyncDir)
	p.removeLeftovers() // spare trees of the last run too: what they hold is not known
	now := p.opts.Clock()
	if info, err := os.Stat(filepath.Join(p.rrdpDir, notificationName)); err == nil {
		p.notifTime = info.ModTime() // keeps Last-Modified increasing even across a new session
	}
	if err := p.loadRRDP(now); err != nil {
		p.log.Warn("rrdp state unusable; the next publication starts a new session", "err", err)
		p.session, p.serial, p.objects, p.snapshot, p.deltas = "", 0, map[string]*objectState{}, snapshotRef{}, nil
	}
	if f := p.opts.Floor; p.session != "" && p.session == f.Session && p.serial < f.Serial {
		p.log.Warn("rrdp files on disk are behind the recorded publication (restored from a backup?); the next publication starts a new session",
			"session", p.session, "disk_serial", p.serial, "recorded_serial", f.Serial)
		p.session, p.serial, p.objects, p.snapshot, p.deltas = "", 0, map[string]*objectState{}, snapshotRef{}, nil
	}
	if p.session != "" {
		if p.checkTree(p.objects) {
			p.treeOK = true
		} else {
			p.log.Warn("rebuilding rsync tree from the snapshot", "serial", p.serial)
			stage, err := p.buildTree(ctx, p.objects)
			if err != nil {
				return err
			}
			if err := syncFS(stage); err != nil {
				return err
			}
			if err := p.swapTree(stage, nil, false); err != nil {
				return err
			}
			if err := syncDir(p.rsyncDir); err != nil {
				return err
			}
			p.treeOK = true
		}
	}
	// Every file the notification does not reference starts its retention
	// period now: its real retirement time is unknown after a restart.
	p.prune(now)
	p.log.Info("publication state loaded", "session", p.session, "serial", p.serial,
		"objects", len(p.objects), "deltas", len(p.deltas))
	return nil
}

// removeLeftovers deletes temp files and staging trees of interrupted writes.
func (p *Publisher) removeLeftovers() {
	_ = filepath.WalkDir(p.rrdpDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), tmpPrefix) {
			p.log.Info("removing leftover temp file", "file", path)
			os.Remove(path)
		}
		return nil
	})
	entries, _ := os.ReadDir(p.rsyncDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), stagingPrefix) || strings.HasPrefix(e.Name(), oldTreePrefix) ||
			strings.HasPrefix(e.Name(), tmpPrefix) {
			p.log.Info("removing leftover rsync tree", "dir", e.Name())
			os.RemoveAll(filepath.Join(p.rsyncDir, e.Name()))
		}
	}
}

// loadRRDP reads notification.xml and the snapshot it references. A missing
// notification is an empty state. Deltas that are missing or damaged are
// dropped from the chain (the notification is rewritten without them).
func (p *Publisher) loadRRDP(now time.Time) error {
	npath := filepath.Join(p.rrdpDir, notificationName)
	data, info, err := readBounded(npath, maxNotificationSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := parseNotification(data)
	if err != nil {
		return err
	}
	snapPath, err := p.rrdpRel(n.Snapshot.URI)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	snapData, _, err := readBounded(filepath.Join(p.rrdpDir, filepath.FromSlash(snapPath)), maxSnapshotSize)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if sha256Hex(snapData) != n.Snapshot.Hash {
		return fmt.Errorf("%w: snapshot hash does not match the notification", ErrBadFile)
	}
	session, serial, entries, err := parseSnapshot(snapData)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if session != n.Session || serial != n.Serial {
		return fmt.Errorf("%w: snapshot is %s/%d, notification %s/%d", ErrBadFile, session, serial, n.Session, n.Serial)
	}
	objs := make(map[string]*objectState, len(entries))
	for _, e := range entries {
		rel, err := objectPath(p.opts.RsyncBase, e.URI)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		objs[e.URI] = &objectState{data: e.Data, hash: sha256Hex(e.Data), time: now, path: rel}
	}
	p.session, p.serial, p.objects = n.Session, n.Serial, objs
	p.snapshot = snapshotRef{fileRef: n.Snapshot, Size: int64(len(snapData)), path: snapPath}
	p.notifTime = info.ModTime()
	p.deltas = p.loadDeltas(n)
	if len(p.deltas) != len(n.Deltas) {
		p.log.Warn("dropping unusable deltas from the notification", "listed", len(n.Deltas), "kept", len(p.deltas))
		xml := notificationXML(p.session, p.serial, p.snapshot.fileRef, p.deltas)
		if err := p.writeNotification(xml, now); err != nil {
			return err
		}
	}
	return nil
}

// loadDeltas keeps the listed deltas that form a contiguous chain down from
// the current serial and whose files are present with the listed hash.
func (p *Publisher) loadDeltas(n *notificationFile) []deltaRef {
	listed := slices.Clone(n.Deltas)
	slices.SortFunc(listed, func(a, b deltaListing) int { return cmpUint(b.Serial, a.Serial) })
	var out []deltaRef
	want := n.Serial
	for _, d := range listed {
		if d.Serial != want {
			break
		}
		rel, err := p.rrdpRel(d.URI)
		if err != nil {
			break
		}
		data, info, err := readBounded(filepath.Join(p.rrdpDir, filepath.FromSlash(rel)), maxSnapshotSize)
		if err != nil || sha256Hex(data) != d.Hash {
			p.log.Warn("delta missing or damaged", "serial", d.Serial, "err", err)
			break
		}
		out = append(out, deltaRef{Serial: d.Serial, fileRef: d.fileRef, Size: int64(len(data)),
			Created: info.ModTime(), path: rel})
		want--
	}
	return out
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rrdpRel maps a snapshot or delta URL under RRDPBase to its path under
// Dir/rrdp, refusing anything that could leave that directory.
func (p *Publisher) rrdpRel(uri string) (string, error) {
	rel, ok := strings.CutPrefix(uri, p.opts.RRDPBase)
	if !ok || !safeRel(rel) {
		return "", fmt.Errorf("%w: %q is not a file under %q", ErrBadFile, uri, p.opts.RRDPBase)
	}
	return rel, nil
}

// safeRel accepts slash-separated names of [A-Za-z0-9_.-] that do not start
// with a dot: no "..", no hidden or temp files, no empty segments.
func safeRel(rel string) bool {
	if rel == "" || len(rel) > maxURILen {
		return false
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				return false
			}
		}
	}
	return true
}

// readBounded reads a regular file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > limit {
		return nil, nil, fmt.Errorf("%w: %s: not a regular file or larger than %d bytes", ErrBadFile, path, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrBadFile, path, limit)
	}
	return data, info, nil
}
