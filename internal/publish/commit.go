package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Commit makes the staged change live, in crash-safe order. Stage already
// made the snapshot and delta durable at their new URLs; Commit writes the
// notification (RFC 8182 §3.3.2: it references only files that already
// exist), then swaps in the rsync tree.
// It fails with ErrStale if another commit happened since Stage.
func (s *Staged) Commit() error {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.done {
		return errors.New("publish: staged change already committed or aborted")
	}
	if p.gen != s.gen {
		s.discard()
		return fmt.Errorf("%w: state changed since Stage", ErrStale)
	}
	now := p.opts.Clock()
	// The live tree, if it matched the live objects, becomes the spare.
	prevObjs, prevOK := p.objects, p.treeOK
	if s.newSerial {
		if err := p.commitRRDP(s, now); err != nil {
			// As after a crash: the files Stage wrote stay, unreferenced,
			// until retention removes them.
			s.discardTree()
			return err
		}
	}
	p.objects = s.next
	p.gen++
	if s.treeDir != "" {
		p.treeOK = false
		if err := p.swapTree(s.treeDir, prevObjs, prevOK); err != nil {
			s.discardTree()
			return err
		}
		s.treeDir = ""
		p.treeOK = true
	}
	s.done = true
	p.prune(now)
	return nil
}

// stageRRDPFiles writes the snapshot and delta of s at their new URLs. They
// are not synced here: the syncfs that makes the staged tree durable covers
// them (syncStaged), before Commit writes a notification naming them.
func (p *Publisher) stageRRDPFiles(s *Staged, now time.Time) error {
	dir := p.rrdpDir
	for _, seg := range strings.Split(s.dir, "/") {
		dir = filepath.Join(dir, seg)
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			s.rrdpDirs = append(s.rrdpDirs, dir)
		} else if !os.IsExist(err) {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	files := []struct {
		name string
		data []byte
	}{{snapshotName, s.snapshotXML}, {deltaName, s.deltaXML}}
	for _, f := range files {
		if f.data == nil {
			continue // no delta on the first serial of a session
		}
		path := filepath.Join(dir, f.name)
		if err := writeFileNoSync(path, f.data, now); err != nil {
			return err
		}
		s.rrdpFiles = append(s.rrdpFiles, path)
	}
	// On disk now; the next Stage renders into the same memory.
	p.snapBuf, s.snapshotXML = s.snapshotXML, nil
	return nil
}

// removeRRDPFiles removes what stageRRDPFiles wrote and created.
func (s *Staged) removeRRDPFiles() {
	for _, f := range s.rrdpFiles {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			s.p.log.Warn("removing staged rrdp file", "file", f, "err", err)
		}
	}
	for _, d := range slices.Backward(s.rrdpDirs) {
		_ = os.Remove(d) // only if empty: another stage may share it
	}
	s.rrdpFiles, s.rrdpDirs = nil, nil
}

// syncStaged makes everything Stage wrote durable: one syncfs of the file
// system holding the staged tree (far cheaper than an fsync per file), and
// of the one holding Dir/rrdp if that is another.
func (p *Publisher) syncStaged(s *Staged) error {
	synced := false
	if s.treeDir != "" {
		if err := syncFS(s.treeDir); err != nil {
			return err
		}
		synced = !p.splitFS
	}
	if len(s.rrdpFiles) > 0 && !synced {
		return syncFS(p.rrdpDir)
	}
	return nil
}

// commitRRDP writes the notification and moves the in-memory state to the
// new serial.
func (p *Publisher) commitRRDP(s *Staged, now time.Time) error {
	if h := p.hooks.afterFiles; h != nil {
		if err := h(); err != nil {
			return err
		}
	}
	if err := p.writeNotification(s.notification, now); err != nil {
		return err
	}
	p.gen++
	p.session, p.serial = s.session, s.serial
	p.snapshot, p.deltas = s.snapshot, s.deltas
	p.objects = s.next
	p.treeOK = false
	s.rrdpFiles, s.rrdpDirs = nil, nil // announced: never removed by a discard
	p.log.Info("rrdp notification written", "session", s.session, "serial", s.serial,
		"deltas", len(s.deltas), "snapshot_bytes", s.snapshot.Size)
	if h := p.hooks.afterNotification; h != nil {
		if err := h(); err != nil {
			return err
		}
	}
	return nil
}

// writeNotification replaces notification.xml atomically. Its mtime (the
// HTTP Last-Modified) increases by at least one whole second per write, so
// a relying party polling with If-Modified-Since (RFC 8182 §3.4.4) never
// gets a 304 for a notification written within the second it last saw.
func (p *Publisher) writeNotification(data []byte, now time.Time) error {
	t := now.Truncate(time.Second)
	if !p.notifTime.IsZero() && !t.After(p.notifTime) {
		t = p.notifTime.Truncate(time.Second).Add(time.Second)
	}
	if err := writeFileAtomic(p.rrdpDir, notificationName, data, t); err != nil {
		return err
	}
	p.notifTime = t
	return nil
}
