package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Commit makes the staged change live, in crash-safe order. It waits until
// the snapshot and delta are durable at their new URLs (rrdpJob), renames
// the notification into place (RFC 8182 §3.3.2: it references only files
// that already exist), then swaps in the rsync tree.
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
	if err := s.wait(); err != nil {
		s.discard()
		return err
	}
	s.reclaim()
	now := p.opts.Clock()
	// The live tree, if it matched the live objects, becomes the spare.
	prevObjs, prevOK := p.objects, p.treeOK
	prevRef := p.referenced()
	if s.newSerial {
		if err := p.commitRRDP(s); err != nil {
			// As after a crash: the snapshot and delta stay, unreferenced,
			// until retention removes them.
			s.discardTree()
			s.removeNotifTemp()
			p.retire(now, prevRef, s.orphans())
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
	p.retire(now, prevRef, nil)
	return nil
}

// orphans lists the snapshot and delta files of s relative to Dir/rrdp.
func (s *Staged) orphans() []string {
	var out []string
	for _, f := range s.rrdpFiles {
		if rel, err := filepath.Rel(s.p.rrdpDir, f); err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out
}

// commitRRDP renames the staged notification into place, makes the rename
// durable, and moves the in-memory state to the new serial.
func (p *Publisher) commitRRDP(s *Staged) error {
	if h := p.hooks.afterFiles; h != nil {
		if err := h(); err != nil {
			return err
		}
	}
	if err := os.Rename(s.notifTemp, filepath.Join(p.rrdpDir, notificationName)); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	s.notifTemp = ""
	if err := syncDir(p.rrdpDir); err != nil {
		return err
	}
	p.notifTime = s.notifMtime
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

// writeNotification replaces notification.xml atomically (recovery
// rewrites it without unusable deltas); its mtime as notificationTime.
func (p *Publisher) writeNotification(data []byte, now time.Time) error {
	t := notificationTime(now, p.notifTime)
	if err := writeFileAtomic(p.rrdpDir, notificationName, data, t); err != nil {
		return err
	}
	p.notifTime = t
	return nil
}
