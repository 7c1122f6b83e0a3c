package publish

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// rrdpJob is the part of a Stage that the pre-publication gate does not
// need: rendering the snapshot, delta and notification of the new serial,
// writing them (the snapshot and delta at their new, not yet announced
// URLs; the notification as a temp file), and making them and the staged
// rsync tree durable with one syncfs. It runs in the background while the
// gate validates the staged tree; Commit waits for it before it renames
// the notification into place, so the notification never names a file that
// is not durable (RFC 8182 §3.3.2: snapshot and delta first, then the
// notification). It touches nothing of the Publisher: its inputs are
// copied under the lock, its outputs go to the Staged.
type rrdpJob struct {
	s         *Staged
	render    bool // a new serial: render and write the RRDP files
	first     bool // serial 1 of a new session: no delta (RFC 8182 §3.3.1)
	changes   []change
	now       time.Time
	rrdpBase  string
	rrdpDir   string
	deltas    []deltaRef // the live chain, newest first
	notifTime time.Time  // mtime of the live notification
	maxDeltas int
	maxAge    time.Duration
	syncDirs  []string // one directory per file system to syncfs
}

// startJob runs j in the background; s.wait returns its error.
func (s *Staged) startJob(j *rrdpJob) {
	s.jobDone = make(chan struct{})
	go func() {
		defer close(s.jobDone)
		s.jobErr = j.run()
	}()
}

// wait waits for the background job; its outputs in s are then readable.
func (s *Staged) wait() error {
	if s.jobDone == nil {
		return nil
	}
	<-s.jobDone
	return s.jobErr
}

func (j *rrdpJob) run() error {
	if j.render {
		j.renderFiles()
		if err := j.writeFiles(); err != nil {
			return err
		}
	}
	for _, d := range j.syncDirs {
		if err := syncFS(d); err != nil {
			return err
		}
	}
	return nil
}

// renderFiles prepares the snapshot, delta and notification of the next
// serial (RFC 8182 §3.3.2), or serial 1 of a new session (§3.3.1).
func (j *rrdpJob) renderFiles() {
	s := j.s
	uris := make([]string, 0, len(s.next))
	for u := range s.next {
		uris = append(uris, u)
	}
	slices.Sort(uris)
	s.snapshotXML = snapshotFromFragments(s.buf, s.session, s.serial, uris, s.next)
	s.buf = s.snapshotXML
	s.snapshot = snapshotRef{
		fileRef: fileRef{URI: j.rrdpBase + s.dir + "/" + snapshotName, Hash: sha256Hex(s.snapshotXML)},
		Size:    int64(len(s.snapshotXML)),
		path:    s.dir + "/" + snapshotName,
	}
	if !j.first {
		s.deltaXML = deltaXML(s.session, s.serial, j.changes)
		d := deltaRef{
			Serial:  s.serial,
			fileRef: fileRef{URI: j.rrdpBase + s.dir + "/" + deltaName, Hash: sha256Hex(s.deltaXML)},
			Size:    int64(len(s.deltaXML)),
			Created: j.now,
			path:    s.dir + "/" + deltaName,
		}
		s.deltas = retainDeltas(append([]deltaRef{d}, j.deltas...), s.snapshot.Size, j.now, j.maxDeltas, j.maxAge)
	}
	s.notification = notificationXML(s.session, s.serial, s.snapshot.fileRef, s.deltas)
	s.notifMtime = notificationTime(j.now, j.notifTime)
}

// writeFiles writes the snapshot and delta at their new URLs and the
// notification as a temp file beside notification.xml, without syncing.
func (j *rrdpJob) writeFiles() error {
	s := j.s
	dir := j.rrdpDir
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
		path string
		data []byte
	}{{filepath.Join(dir, snapshotName), s.snapshotXML}, {filepath.Join(dir, deltaName), s.deltaXML}}
	for _, f := range files {
		if f.data == nil {
			continue // no delta on the first serial of a session
		}
		if err := writeFileNoSync(f.path, f.data, j.now); err != nil {
			return err
		}
		s.rrdpFiles = append(s.rrdpFiles, f.path)
	}
	s.snapshotXML = nil // on disk; s.buf keeps the memory for the next Stage
	// The temp name reuses the serial's random URL part: unique per Stage.
	tmp := filepath.Join(j.rrdpDir, tmpPrefix+notificationName+"-"+filepath.Base(dir))
	if err := writeFileNoSync(tmp, s.notification, s.notifMtime); err != nil {
		return err
	}
	s.notifTemp = tmp
	return nil
}

// notificationTime is the mtime of a new notification (the HTTP
// Last-Modified): now in whole seconds, and at least one second after the
// last one, so a relying party polling with If-Modified-Since (RFC 8182
// §3.4.4) never gets a 304 for a notification written within the second
// it last saw.
func notificationTime(now, last time.Time) time.Time {
	t := now.Truncate(time.Second)
	if !last.IsZero() && !t.After(last) {
		t = last.Truncate(time.Second).Add(time.Second)
	}
	return t
}

// removeRRDPFiles removes what the job wrote and created. Called once the
// job is done.
func (s *Staged) removeRRDPFiles() {
	s.removeNotifTemp()
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

func (s *Staged) removeNotifTemp() {
	if s.notifTemp != "" {
		if err := os.Remove(s.notifTemp); err != nil && !os.IsNotExist(err) {
			s.p.log.Warn("removing staged notification", "file", s.notifTemp, "err", err)
		}
		s.notifTemp = ""
	}
}
