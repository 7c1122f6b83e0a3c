package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// buildTree writes next as a complete rsync tree in a staging directory
// beside Dir/rsync/current. Files whose content and mtime are unchanged are
// hard-linked from the live tree; new files are written. The caller makes
// the tree durable (syncFS) before it swaps it in.
func (p *Publisher) buildTree(ctx context.Context, next map[string]*objectState) (string, error) {
	suffix, err := randomHex(p.opts.Rand, 8)
	if err != nil {
		return "", err
	}
	stage := filepath.Join(p.rsyncDir, stagingPrefix+suffix)
	if err := os.Mkdir(stage, 0o755); err != nil {
		return "", fmt.Errorf("%w: %w", ErrWrite, err)
	}
	fail := func(err error) (string, error) {
		os.RemoveAll(stage)
		return "", err
	}
	uris := make([]string, 0, len(next))
	for u := range next {
		uris = append(uris, u)
	}
	slices.Sort(uris)
	dirs := map[string]bool{stage: true}
	for _, u := range uris {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		o := next[u]
		dst := filepath.Join(stage, filepath.FromSlash(o.path))
		parent := filepath.Dir(dst)
		if !dirs[parent] {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return fail(fmt.Errorf("%w: %w", ErrWrite, err))
			}
			for d := parent; !dirs[d]; d = filepath.Dir(d) {
				dirs[d] = true
			}
		}
		if err := p.placeFile(u, o, dst); err != nil {
			return fail(err)
		}
	}
	return stage, nil
}

// placeFile creates dst holding object u (o): a hard link to the live
// tree's file if that has the same content and mtime, else a new file.
func (p *Publisher) placeFile(u string, o *objectState, dst string) error {
	if c := p.objects[u]; p.treeOK && c != nil && sameFile(c, o) {
		if err := os.Link(filepath.Join(p.RsyncRoot(), filepath.FromSlash(o.path)), dst); err == nil {
			return nil
		}
	}
	return writeFileNoSync(dst, o.data, o.time)
}

// sameFile reports whether a and b make the same rsync file: content and
// mtime (in whole seconds: CMS times have no fraction).
func sameFile(a, b *objectState) bool {
	return a.hash == b.hash && a.time.Unix() == b.time.Unix()
}

// swapTree makes stage the live tree. An rsync daemon serving "current"
// sees either the old or the new complete tree: renameat2(RENAME_EXCHANGE)
// swaps both names in one step; where unsupported, the old tree is renamed
// aside first (a short window with no "current"). The old tree, if it held
// exactly prev (prevOK), is kept as the spare for the next Stage instead of
// being removed.
//
// The renames are not fsynced here: the notification is already durable,
// and if a crash loses a rename, Open finds "current" not matching the
// snapshot (or missing) and rebuilds it (as after a crash between the
// notification and the swap). The next Stage's syncfs makes them durable.
func (p *Publisher) swapTree(stage string, prev map[string]*objectState, prevOK bool) error {
	cur := p.RsyncRoot()
	if _, err := os.Lstat(cur); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(stage, cur); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
		return nil
	}
	exchange := p.hooks.exchange
	if exchange == nil {
		exchange = func(a, b string) error {
			return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
		}
	}
	old := stage // after the exchange, the old tree
	if err := exchange(stage, cur); err != nil {
		p.log.Debug("RENAME_EXCHANGE unavailable, renaming aside", "err", err)
		suffix, rerr := randomHex(p.opts.Rand, 8)
		if rerr != nil {
			return rerr
		}
		old = filepath.Join(p.rsyncDir, oldTreePrefix+suffix)
		if err := os.Rename(cur, old); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
		if err := os.Rename(stage, cur); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	p.keepSpare(old, prev, prevOK)
	return nil
}

// checkTree reports whether the live tree holds exactly objs, byte for byte,
// and records each matching file's mtime as the object's time.
func (p *Publisher) checkTree(objs map[string]*objectState) bool {
	byPath := make(map[string]*objectState, len(objs))
	for _, o := range objs {
		byPath[o.path] = o
	}
	root := p.RsyncRoot()
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		o := byPath[filepath.ToSlash(rel)]
		if o == nil || !d.Type().IsRegular() {
			return fmt.Errorf("unexpected %s", rel)
		}
		info, err := d.Info()
		if err != nil || info.Size() != int64(len(o.data)) {
			return fmt.Errorf("size of %s", rel)
		}
		data, err := os.ReadFile(path)
		if err != nil || sha256Hex(data) != o.hash {
			return fmt.Errorf("content of %s", rel)
		}
		o.time = info.ModTime()
		seen++
		return nil
	})
	if err != nil {
		p.log.Warn("rsync tree does not match the snapshot", "err", err)
		return false
	}
	if seen != len(objs) {
		p.log.Warn("rsync tree does not match the snapshot", "files", seen, "objects", len(objs))
		return false
	}
	return true
}
