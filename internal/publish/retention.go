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
