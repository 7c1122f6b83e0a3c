package rp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RsyncClient fetches repositories with the rsync binary, as rpki-client
// does (RFC 6481 §3, RFC 5781 URIs), one module at a time: into a fresh
// staging directory beside the cache (unchanged files hard-linked from
// the cached copy), every resulting entry checked to be a plain directory
// or regular file inside the staging tree, then swapped in as
// CACHE/host/module. A failed or refused fetch leaves the cache as it was.
type RsyncClient struct {
	Cache  string
	Binary string // [rsync]
	Logger *slog.Logger

	Timeout    time.Duration // rsync --timeout and --contimeout [60s]
	MaxFile    int64         // rsync --max-size, bytes of one file [64 MiB]
	MaxEntries int           // files and directories of one module [1000000]
	MaxModule  int64         // bytes of one module's files [8 GiB]
	Port       int           // for tests: a port for URIs that name none (0: as the URI says)
}

func (c *RsyncClient) defaults() (bin string, timeout time.Duration, maxFile int64, maxEntries int, log *slog.Logger) {
	bin, timeout, maxFile, maxEntries, log = c.Binary, c.Timeout, c.MaxFile, c.MaxEntries, c.Logger
	if bin == "" {
		bin = "rsync"
	}
	if timeout <= 0 {
		timeout = time.Minute
	}
	if maxFile <= 0 {
		maxFile = 64 << 20
	}
	if maxEntries <= 0 {
		maxEntries = 1_000_000
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return
}

// rsyncModule returns the module URI (rsync://host/module/) of an rsync
// URI and its directory below the cache root, slash-separated, checked
// by splitRsyncURI so it cannot leave the cache.
func rsyncModule(uri string) (moduleURI, rel string, err error) {
	p, err := splitRsyncURI(uri)
	if err != nil {
		return "", "", err
	}
	segs := strings.SplitN(strings.TrimSuffix(p, "/"), "/", 3)
	rel = segs[0] + "/" + segs[1]
	return "rsync://" + rel + "/", rel, nil
}

func (c *RsyncClient) args(timeout time.Duration, maxFile int64) []string {
	t := strconv.Itoa(max(1, int(timeout/time.Second)))
	// -r -t only: no -l (symlinks are skipped, never created), no -D
	// (no devices or specials), no -p/-o/-g; --no-links states it.
	return []string{"-rt", "--delete", "--no-links", "--no-motd", "--timeout=" + t, "--contimeout=" + t,
		"--max-size=" + strconv.FormatInt(maxFile, 10)}
}

// remote adds the test port to a URI that names none.
func (c *RsyncClient) remote(uri string) string {
	if c.Port == 0 {
		return uri
	}
	rest := strings.TrimPrefix(uri, "rsync://")
	host, path, _ := strings.Cut(rest, "/")
	if strings.Contains(host, ":") && !strings.HasSuffix(host, "]") {
		return uri
	}
	return "rsync://" + host + ":" + strconv.Itoa(c.Port) + "/" + path
}

// run executes rsync, killing it when ctx ends.
func (c *RsyncClient) run(ctx context.Context, args ...string) error {
	bin, _, _, _, _ := c.defaults()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &limitedWriter{w: &out, left: 4096}, &limitedWriter{w: &out, left: 4096}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return reject(ReasonRsyncFetch, "rsync %s: %v: %s", args[len(args)-2], err, strings.TrimSpace(out.String()))
	}
	return nil
}

type limitedWriter struct {
	w    *strings.Builder
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.left > 0 {
		n := min(len(p), l.left)
		l.w.Write(p[:n])
		l.left -= n
	}
	return len(p), nil
}

func (c *RsyncClient) stageDir() (string, error) {
	root := filepath.Join(c.Cache, ".rsync")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	d := filepath.Join(root, "stage-"+hex.EncodeToString(rnd[:]))
	return d, os.Mkdir(d, 0o755)
}

// FetchModule brings CACHE/host/module in step with the module of uri;
// checksum compares every file's content, not only size and time (the
// repair when the cached copy fails validation).
func (c *RsyncClient) FetchModule(ctx context.Context, uri string, checksum bool) error {
	mod, rel, err := rsyncModule(uri)
	if err != nil {
		return err
	}
	_, timeout, maxFile, maxEntries, log := c.defaults()
	stage, err := c.stageDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	dst := filepath.Join(c.Cache, filepath.FromSlash(rel))
	args := c.args(timeout, maxFile)
	if checksum {
		args = append(args, "--checksum")
	}
	if st, err := os.Lstat(dst); err == nil && st.IsDir() {
		args = append(args, "--link-dest="+dst)
	}
	args = append(args, "--", c.remote(mod), stage+"/")
	if err := c.run(ctx, args...); err != nil {
		return err
	}
	if err := checkTree(stage, maxEntries, cmpOrInt(c.MaxModule, 8<<30)); err != nil {
		return &RejectError{Reason: ReasonRsyncUnsafe, Err: fmt.Errorf("%s: %w", mod, err)}
	}
	if err := swapDir(stage, dst); err != nil {
		return err
	}
	log.Info("rsync: module fetched", "module", mod)
	return nil
}

// FetchFile fetches the single file at uri (a TA certificate) and returns
// its content, bounded by max bytes. Nothing in the cache changes.
func (c *RsyncClient) FetchFile(ctx context.Context, uri string, max int64) ([]byte, error) {
	rel, err := splitRsyncURI(uri)
	if err != nil || strings.HasSuffix(rel, "/") {
		return nil, reject(ReasonBadURI, "%q is not an rsync file URI", uri)
	}
	_, timeout, _, _, _ := c.defaults()
	stage, err := c.stageDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	p := filepath.Join(stage, "file")
	if err := c.run(ctx, append(c.args(timeout, max), "--", c.remote(uri), p)...); err != nil {
		return nil, err
	}
	if err := checkTree(stage, 2, max); err != nil {
		return nil, &RejectError{Reason: ReasonRsyncUnsafe, Err: fmt.Errorf("%s: %w", uri, err)}
	}
	b, err := readCacheFile(p, max)
	if err != nil {
		return nil, asReject(ReasonRsyncFetch, fmt.Errorf("%s: %w", uri, err))
	}
	return b, nil
}

// errUnsafeEntry marks a staged entry that is no plain file or directory.
var errUnsafeEntry = errors.New("not a regular file or directory")

func cmpOrInt(a, b int64) int64 {
	if a > 0 {
		return a
	}
	return b
}

// checkTree accepts a staged tree only of directories and regular files
// (no symlinks, devices, FIFOs or sockets), each confined below root by a
// local relative path, at most maxEntries of them and maxBytes in all.
// (rsync bounds each file with --max-size; the total is checked here,
// before anything reaches the cache.)
func checkTree(root string, maxEntries int, maxBytes int64) error {
	n, size := 0, int64(0)
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n++
		if n > maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || !(rel == "." || filepath.IsLocal(rel)) {
			return fmt.Errorf("%q escapes the staging directory", p)
		}
		if t := d.Type(); !t.IsDir() && !t.IsRegular() {
			return fmt.Errorf("%s: %w (%v)", rel, errUnsafeEntry, t)
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if size += fi.Size(); size > maxBytes {
				return fmt.Errorf("more than %d bytes", maxBytes)
			}
		}
		return nil
	})
}

// swapDir replaces dst with the directory src: src is renamed into place
// and the old dst removed afterwards.
func swapDir(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	old := src + ".old"
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		os.Rename(old, dst)
		return err
	}
	return os.RemoveAll(old)
}
