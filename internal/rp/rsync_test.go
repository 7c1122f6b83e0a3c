package rp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testpeers"
)

// FuzzRsyncModule: an accepted rsync URI maps to a module directory of
// exactly host/module, local to the cache, that the URI's own cache path
// lies below.
func FuzzRsyncModule(f *testing.F) {
	for _, s := range []string{"rsync://127.0.0.1:873/repo/ca/x.roa", "rsync://h/m/", "rsync://h/m", "rsync://h/../x/",
		"rsync://h/m/../../etc/passwd", "rsync://h//x", "rsync://./m/a", "rsync://h/m/a\x00b", "rsync://[::1]:873/m/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		mod, rel, err := rsyncModule(uri)
		if err != nil {
			if ReasonOf(err) != ReasonBadURI {
				t.Fatalf("%q: error without bad-uri: %v", uri, err)
			}
			return
		}
		p, err := splitRsyncURI(uri)
		if err != nil {
			t.Fatalf("%q: module accepted, URI refused: %v", uri, err)
		}
		if !filepath.IsLocal(filepath.FromSlash(rel)) || strings.Count(rel, "/") != 1 || strings.HasPrefix(rel, ".") ||
			!strings.HasPrefix(p+"/", rel+"/") || mod != "rsync://"+rel+"/" || !strings.HasPrefix(uri, mod[:len(mod)-1]) {
			t.Fatalf("%q: module %q dir %q path %q", uri, mod, rel, p)
		}
	})
}

func TestCheckTreeRefusesUnsafeEntries(t *testing.T) {
	for name, make := range map[string]func(dir string) error{
		"symlink":     func(dir string) error { return os.Symlink("/etc/passwd", filepath.Join(dir, "a.roa")) },
		"dir symlink": func(dir string) error { return os.Symlink("/", filepath.Join(dir, "sub")) },
		"fifo":        func(dir string) error { return syscall.Mkfifo(filepath.Join(dir, "a.mft"), 0o644) },
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "ok.cer"), []byte("x"), 0o644)
		if err := make(dir); err != nil {
			t.Fatal(err)
		}
		if err := checkTree(dir, 100, 1<<20); !errors.Is(err, errUnsafeEntry) {
			t.Errorf("%s: %v", name, err)
		}
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "b", "c.roa"), []byte("0123456789"), 0o644)
	if err := checkTree(dir, 4, 10); err != nil {
		t.Errorf("plain tree: %v", err)
	}
	if err := checkTree(dir, 3, 10); err == nil || !strings.Contains(err.Error(), "more than 3 entries") {
		t.Errorf("entry bound: %v", err)
	}
	if err := checkTree(dir, 4, 9); err == nil || !strings.Contains(err.Error(), "more than 9 bytes") {
		t.Errorf("size bound: %v", err)
	}
}

// listTree lists the regular files and directories below root.
func listTree(t *testing.T, root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			rel += "/"
		} else if !d.Type().IsRegular() {
			rel += " (" + d.Type().String() + ")"
		}
		out = append(out, rel)
		return nil
	})
	return out
}

// TestRsyncFetchModule: symlinks and files above the size bound are not
// fetched, a second fetch deletes what the module no longer holds, and
// nothing is written outside CACHE/host:port/module.
func TestRsyncFetchModule(t *testing.T) {
	testpeers.Require(t, "rsync")
	served := t.TempDir()
	os.MkdirAll(filepath.Join(served, "ca"), 0o755)
	os.WriteFile(filepath.Join(served, "ca", "a.roa"), []byte("roa"), 0o644)
	os.WriteFile(filepath.Join(served, "ca", "old.roa"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(served, "big.cer"), make([]byte, 2000), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(served, "ca", "passwd.roa"))
	os.Symlink("/", filepath.Join(served, "root"))
	port := testpeers.StartRsyncd(t, served, "m")
	cache := t.TempDir()
	c := &RsyncClient{Cache: cache, MaxFile: 1000, Timeout: 10 * time.Second}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	uri := "rsync://" + host + "/m/ca/"
	if err := c.FetchModule(t.Context(), uri, false); err != nil {
		t.Fatal(err)
	}
	want := []string{".rsync/", host + "/", host + "/m/", host + "/m/ca/", host + "/m/ca/a.roa", host + "/m/ca/old.roa"}
	if got := listTree(t, cache); !slices.Equal(got, want) {
		t.Errorf("after the first fetch %q\nwant %q", got, want)
	}
	os.Remove(filepath.Join(served, "ca", "old.roa"))
	if err := c.FetchModule(t.Context(), uri, true); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(s string) bool { return strings.HasSuffix(s, "old.roa") })
	if got := listTree(t, cache); !slices.Equal(got, want) {
		t.Errorf("after the second fetch %q\nwant %q", got, want)
	}
}

// TestRsyncNeverAnswers: a server that accepts and then says nothing
// fails the fetch (rsync's --timeout), and inside a Fetcher the
// repository's deadline ends it as fetch-timeout.
func TestRsyncNeverAnswers(t *testing.T) {
	testpeers.Require(t, "rsync")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never written
		}
	}()
	uri := "rsync://" + ln.Addr().String() + "/m/ca/"
	cache := t.TempDir()
	c := &RsyncClient{Cache: cache, Timeout: time.Second}
	if err := c.FetchModule(t.Context(), uri, false); ReasonOf(err) != ReasonRsyncFetch {
		t.Errorf("rsync --timeout: %v", err)
	}
	fr := newFetchRun(t.Context(), &Fetcher{Rsync: &RsyncClient{Cache: cache, Timeout: time.Hour}, Timeout: time.Second, Retries: -1})
	defer fr.close()
	if err := fr.wait(context.Background(), fr.rsyncTask(uri, false)); ReasonOf(err) != ReasonFetchTimeout {
		t.Errorf("repository deadline: %v", err)
	}
	if got := listTree(t, cache); !slices.Equal(got, []string{".rsync/"}) {
		t.Errorf("cache %q", got)
	}
}
