// Package atomicfile replaces a file so that a crash leaves either the old
// or the new content whole, never a mix (DESIGN.md "Conventions"): a temp
// file in the same directory, write, fsync, rename over the target, fsync of
// the directory. Temp files are named TempPrefix+base+"-"+random, so a
// cleanup pass can recognise crash leftovers.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// TempPrefix starts the name of every temp file this package creates.
const TempPrefix = ".tmp-"

// File is a replacement being written; Commit puts it in place, Abort
// drops it. Until Commit, readers of the target see the old file.
type File struct {
	f     *os.File
	path  string
	mtime time.Time
	werr  error // first write error: the content is incomplete
	done  bool
}

// Create starts a replacement of path with permissions perm. The directory
// must exist.
func Create(path string, perm os.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{f: f, path: path}, nil
}

// Write appends to the replacement; the first error is kept and fails Commit.
func (a *File) Write(b []byte) (int, error) {
	n, err := a.f.Write(b)
	if err != nil && a.werr == nil {
		a.werr = err
	}
	return n, err
}

// SetModTime makes Commit set the file's modification time to t (publish
// serves files whose mtime is the publication time).
func (a *File) SetModTime(t time.Time) { a.mtime = t }

// Commit makes the replacement durable under the target's name: fsync,
// close, rename, fsync of the directory. On any error the temp file is
// removed and the target is left as it was.
func (a *File) Commit() error {
	if a.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	a.done = true
	tmp := a.f.Name()
	err := a.werr
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !a.mtime.IsZero() {
		err = os.Chtimes(tmp, a.mtime, a.mtime)
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: %s: %w", a.path, err)
	}
	return SyncDir(filepath.Dir(a.path))
}

// Abort drops the replacement; the target is untouched. It is a no-op
// after Commit, so `defer f.Abort()` is safe.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// WriteFile replaces path with data (perm applies to the new file).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: %s: %w", path, err)
	}
	return f.Commit()
}

// SyncDir makes a directory's entries (creations, renames, removals)
// durable: without it a renamed file can vanish again after a power loss.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("atomicfile: fsync dir %s: %w", dir, err)
	}
	return nil
}
