package publish

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// retainDeltas keeps the newest deltas (given newest first) that satisfy
// every bound; the first that fails ends the chain, so what remains is
// contiguous down from the current serial (RFC 8182 §3.5.1.3). Deltas whose
// cumulative size would exceed the snapshot's MUST be dropped (§3.3.2).
func retainDeltas(deltas []deltaRef, snapshotSize int64, now time.Time, maxDeltas int, maxAge time.Duration) []deltaRef {
	var total int64
	for i, d := range deltas {
		if i >= maxDeltas || now.Sub(d.Created) > maxAge || total+d.Size > snapshotSize {
			return deltas[:i:i]
		}
		total += d.Size
	}
	return deltas
}

// referenced is the set of files under Dir/rrdp the notification needs.
func (p *Publisher) referenced() map[string]bool {
	ref := map[string]bool{notificationName: true}
	if p.snapshot.path != "" {
		ref[p.snapshot.path] = true
	}
	for _, d := range p.deltas {
		ref[d.path] = true
	}
	return ref
}

// prune removes snapshot and delta files that have been unreferenced for at
// least KeepOldFiles (RFC 8182 §3.5.2.2 and §3.5.3.2 ask for 5 minutes, so
// a relying party holding the previous notification can still fetch them),
// then empty directories.
func (p *Publisher) prune(now time.Time) {
	ref := p.referenced()
	var dirs []string
	_ = filepath.WalkDir(p.rrdpDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, rerr := filepath.Rel(p.rrdpDir, path)
		if rerr != nil || rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			dirs = append(dirs, path)
			return nil
		}
		if ref[rel] || strings.HasPrefix(d.Name(), tmpPrefix) {
			delete(p.retired, rel)
			return nil
		}
		since, ok := p.retired[rel]
		if !ok {
			p.retired[rel] = now
			return nil
		}
		if now.Sub(since) >= p.opts.KeepOldFiles {
			if err := os.Remove(path); err != nil {
				p.log.Warn("removing old rrdp file", "file", rel, "err", err)
				return nil
			}
			delete(p.retired, rel)
			p.log.Debug("removed old rrdp file", "file", rel)
		}
		return nil
	})
	// Deepest first; os.Remove refuses non-empty directories.
	slices.Reverse(dirs)
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}

// retire is prune without the walk, for Commit: the files the previous
// notification referenced and this one does not (old, the referenced set
// before the change) and the files a failed commit left (orphans, relative
// to Dir/rrdp) start their retention period; those retired for at least
// KeepOldFiles are removed, then their directories if empty. Every other
// file was found by the walk at Open.
func (p *Publisher) retire(now time.Time, old map[string]bool, orphans []string) {
	ref := p.referenced()
	for f := range old {
		if _, ok := p.retired[f]; !ok && !ref[f] {
			p.retired[f] = now
		}
	}
	for _, f := range orphans {
		p.retired[f] = now
	}
	for f, since := range p.retired {
		switch {
		case ref[f]:
			delete(p.retired, f)
		case now.Sub(since) >= p.opts.KeepOldFiles:
			path := filepath.Join(p.rrdpDir, filepath.FromSlash(f))
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				p.log.Warn("removing old rrdp file", "file", f, "err", err)
				continue
			}
			delete(p.retired, f)
			p.log.Debug("removed old rrdp file", "file", f)
			for d := filepath.Dir(path); d != p.rrdpDir && os.Remove(d) == nil; d = filepath.Dir(d) {
			}
		}
	}
}
