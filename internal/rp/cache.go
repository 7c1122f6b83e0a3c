package rp

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const maxURILength = 4096

// splitRsyncURI checks an rsync URI (RFC 5781: rsync://host[:port]/module/path)
// and returns its path below the cache root, slash-separated: host[:port],
// module and the path segments. Empty, "." and ".." segments, backslashes
// and control characters are refused, so no URI can leave the cache.
func splitRsyncURI(uri string) (string, error) {
	if len(uri) > maxURILength {
		return "", reject(ReasonBadURI, "URI of %d bytes", len(uri))
	}
	rest, ok := strings.CutPrefix(uri, "rsync://")
	if !ok {
		return "", reject(ReasonBadURI, "%q is not an rsync URI", uri)
	}
	dir := strings.HasSuffix(rest, "/")
	rest = strings.TrimSuffix(rest, "/")
	segs := strings.Split(rest, "/")
	if len(segs) < 2 {
		return "", reject(ReasonBadURI, "%q has no module", uri)
	}
	if h := segs[0]; h != "" && (h[0] == '.' || h[0] == '-' || h[0] == ':') {
		// also keeps the cache's own ".rrdp" directory out of reach
		return "", reject(ReasonBadURI, "%q has a bad host", uri)
	}
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", reject(ReasonBadURI, "%q has an empty, . or .. segment", uri)
		}
		for _, c := range []byte(s) {
			if c <= ' ' || c >= 0x7f || c == '\\' || (i == 0 && !hostChar(c)) {
				return "", reject(ReasonBadURI, "%q has a forbidden character %q", uri, c)
			}
		}
	}
	if dir {
		return rest + "/", nil
	}
	return rest, nil
}

func hostChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'
}

// isDirURI reports whether uri names a directory (caRepository).
func isDirURI(uri string) bool { return strings.HasSuffix(uri, "/") }

// cache reads files of a local repository tree.
type cache struct {
	root    string
	maxSize int64
	memo    *Memo  // nil: every read goes to the file
	reads   *Reads // nil: every run reads for itself
}

// path maps an rsync URI to a file below the cache root.
func (c *cache) path(uri string) (string, error) {
	rel, err := splitRsyncURI(uri)
	if err != nil {
		return "", err
	}
	return filepath.Join(c.root, filepath.FromSlash(rel)), nil
}

// errNotFound marks a file absent from the cache.
var errNotFound = errors.New("not in the cache")

// read returns the file for uri, bounded by maxSize (see readCacheFile).
func (c *cache) read(uri string) ([]byte, error) {
	b, _, err := c.reads.get(readKey{c.root, uri, false}, func() ([]byte, [32]byte, error) {
		p, err := c.path(uri)
		if err != nil {
			return nil, [32]byte{}, err
		}
		b, err := readCacheFile(p, c.maxSize)
		return b, [32]byte{}, err
	})
	return b, err
}

// readSum is read with the file's SHA-256, through the Memo when there is
// one. Both go through the run's Reads when there is one.
func (c *cache) readSum(uri string) ([]byte, [32]byte, error) {
	return c.reads.get(readKey{c.root, uri, true}, func() ([]byte, [32]byte, error) {
		p, err := c.path(uri)
		if err != nil {
			return nil, [32]byte{}, err
		}
		if c.reads != nil {
			return c.memo.readFileStat(p, c.maxSize, c.reads.stat)
		}
		return c.memo.readFile(p, c.maxSize)
	})
}

// readCacheFile reads a repository file: only a regular file, never a
// symlink, FIFO or device in its place (a FIFO would block the run, a
// symlink could read outside the cache), opened without blocking.
func readCacheFile(p string, max int64) ([]byte, error) {
	st, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, errNotFound
		}
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", filepath.Base(p), errNotFound)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) {
			return nil, errNotFound
		}
		return nil, err
	}
	defer f.Close()
	return readOpen(f, max)
}

func readBounded(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, errNotFound
		}
		return nil, err
	}
	defer f.Close()
	return readOpen(f, max)
}

func readOpen(f *os.File, max int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file: %w", errNotFound)
	}
	if st.Size() > max {
		return nil, reject(ReasonTooLarge, "%d bytes, bound %d", st.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, reject(ReasonTooLarge, "grew above %d bytes", max)
	}
	return b, nil
}
