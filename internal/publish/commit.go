package publish

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Commit makes the staged change live, in crash-safe order: snapshot and
// delta files at their new URLs, then the notification (RFC 8182 §3.3.2:
// it references only files that already exist), then the rsync tree.
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
	if s.newSerial {
		if err := p.writeRRDP(s, now); err != nil {
			s.discard()
			return err
		}
	}
	p.objects = s.next
	p.gen++
	if s.treeDir != "" {
		p.treeOK = false
		if err := p.swapTree(s.treeDir); err != nil {
			s.discard()
			return err
		}
		s.treeDir = ""
		p.treeOK = true
	}
	s.done = true
	p.prune(now)
	return nil
}

// writeRRDP writes the staged RRDP files and then the notification, and
// moves the in-memory state to the new serial.
func (p *Publisher) writeRRDP(s *Staged, now time.Time) error {
	if err := mkdirAllSync(p.rrdpDir, s.dir); err != nil {
		return err
	}
	dir := filepath.Join(p.rrdpDir, filepath.FromSlash(s.dir))
	if err := writeFileAtomic(dir, snapshotName, s.snapshotXML, now); err != nil {
		return err
	}
	if s.deltaXML != nil {
		if err := writeFileAtomic(dir, deltaName, s.deltaXML, now); err != nil {
			return err
		}
	}
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
