package publish

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
)

// The spare tree. After a swap the old tree holds the previous generation;
// instead of removing its ~1,000 files on the critical path, the publisher
// keeps it (p.spare) with an exact record of what it holds (p.spareObjs),
// and the next Stage brings it to the next state by applying only the
// differences. Its files may be hard links shared with the live tree, so
// a file is never written in place: a changed one is unlinked and created
// anew. On any doubt (no spare yet, an error while updating it, an aborted
// stage, a restart) the tree is built from scratch as before.

// stageTree returns a staging tree holding exactly next: the spare brought
// up to date, or a full build.
func (p *Publisher) stageTree(ctx context.Context, next map[string]*objectState) (string, error) {
	if p.spare != "" {
		dir, have := p.spare, p.spareObjs
		p.spare, p.spareObjs = "", nil // taken: a second concurrent Stage builds its own
		err := p.updateTree(ctx, dir, have, next)
		if err == nil {
			return dir, nil
		}
		p.log.Warn("updating the spare rsync tree failed; building a new one", "dir", dir, "err", err)
		if err := os.RemoveAll(dir); err != nil {
			p.log.Warn("removing spare rsync tree", "dir", dir, "err", err)
		}
	}
	return p.buildTree(ctx, next)
}

// keepSpare records dir, the tree just swapped out, as the spare if it
// holds exactly objs (ok); otherwise it removes it.
func (p *Publisher) keepSpare(dir string, objs map[string]*objectState, ok bool) {
	if p.spare != "" && p.spare != dir { // cannot happen: a stage that swaps took it
		p.removeTree(p.spare)
	}
	p.spare, p.spareObjs = "", nil
	if !ok {
		p.removeTree(dir)
		return
	}
	p.spare, p.spareObjs = dir, objs
}

func (p *Publisher) removeTree(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		p.log.Warn("removing old rsync tree", "dir", dir, "err", err)
	}
}

// updateTree changes dir, which holds exactly have, to hold exactly next:
// files that differ (sameFile) are removed, directories no longer needed
// removed, new directories created, and new and changed files written.
// Unchanged files keep their inode and mtime; the others are placed as
// buildTree places them. The caller syncs.
func (p *Publisher) updateTree(ctx context.Context, dir string, have, next map[string]*objectState) error {
	for u, h := range have {
		if n := next[u]; n == nil || !sameFile(h, n) {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(h.path))); err != nil {
				return fmt.Errorf("%w: %w", ErrWrite, err)
			}
		}
	}
	oldDirs, newDirs := treeDirs(have), treeDirs(next)
	// Sorted, a directory comes before everything below it: remove in
	// reverse order (deepest first), create in order.
	for _, d := range slices.Backward(sortedSet(oldDirs, newDirs)) {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(d))); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	for _, d := range sortedSet(newDirs, oldDirs) {
		if err := os.Mkdir(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	for u, n := range next {
		if err := ctx.Err(); err != nil {
			return err
		}
		if h := have[u]; h == nil || !sameFile(h, n) {
			if err := p.placeFile(u, n, filepath.Join(dir, filepath.FromSlash(n.path))); err != nil {
				return err
			}
		}
	}
	return nil
}

// treeDirs is the set of directories (slash separated, relative to the tree
// root, the root itself excluded) that a tree holding objs has.
func treeDirs(objs map[string]*objectState) map[string]bool {
	dirs := map[string]bool{}
	for _, o := range objs {
		for d := path.Dir(o.path); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	return dirs
}

// sortedSet lists the members of a that are not in b, sorted.
func sortedSet(a, b map[string]bool) []string {
	var out []string
	for d := range a {
		if !b[d] {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}
