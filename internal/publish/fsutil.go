package publish

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// writeFileNoSync creates path (which must not exist: a tree's files may be
// hard links shared with the live tree, never written in place) with data
// and sets its mtime; the caller makes it durable (syncFS).
func writeFileNoSync(path string, data []byte, mtime time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
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

// sameFS reports whether a and b are on the same file system (one syncfs
// covers both).
func sameFS(a, b string) bool {
	var sa, sb unix.Stat_t
	return unix.Stat(a, &sa) == nil && unix.Stat(b, &sb) == nil && sa.Dev == sb.Dev
}
