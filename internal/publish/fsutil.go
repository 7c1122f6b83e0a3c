package publish

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roadrpki/road/internal/atomicfile"
)

// Name prefixes of work files that Open removes as crash leftovers. Neither
// the handler nor an rsync daemon serving "current" ever shows them.
const (
	tmpPrefix     = atomicfile.TempPrefix
	stagingPrefix = ".staging-"
	oldTreePrefix = ".old-"
)

// randomHex returns n random bytes as lowercase hex.
func randomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("%w: random: %w", ErrWrite, err)
	}
	return hex.EncodeToString(b), nil
}

// writeFileSync creates path with data, fsyncs it and sets its mtime.
// The caller fsyncs the directory.
func writeFileSync(path string, data []byte, mtime time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("%w: fsync %s: %w", ErrWrite, path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	return nil
}

// writeFileNoSync creates path with data and sets its mtime; the caller
// makes it durable (syncFS).
func writeFileNoSync(path string, data []byte, mtime time.Time) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// syncFS flushes the filesystem holding path (syncfs(2)).
func syncFS(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("%w: syncfs: %w", ErrWrite, err)
	}
	return nil
}

// writeFileAtomic replaces dir/name with data whose mtime is mtime.
// Readers see the old or the new file whole.
func writeFileAtomic(dir, name string, data []byte, mtime time.Time) error {
	f, err := atomicfile.Create(filepath.Join(dir, name), 0o644)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	defer f.Abort()
	f.SetModTime(mtime)
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// syncDir makes a directory's entries (creations, renames) durable.
func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// mkdirAllSync creates dir and missing parents below root, fsyncing each
// parent whose entries changed.
func mkdirAllSync(root, rel string) error {
	dir := root
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" {
			continue
		}
		next := filepath.Join(dir, seg)
		err := os.Mkdir(next, 0o755)
		switch {
		case err == nil:
			if err := syncDir(dir); err != nil {
				return err
			}
		case os.IsExist(err):
		default:
			return fmt.Errorf("%w: %w", ErrWrite, err)
		}
		dir = next
	}
	return nil
}
