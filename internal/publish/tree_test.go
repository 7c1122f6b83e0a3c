package publish

import (
	"maps"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Sys().(*syscall.Stat_t).Ino
}

func TestRsyncTreeContentAndMtimes(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	mustPublish(t, p, obj("ca/a.cer", "A", 10), obj("ca/sub/b.roa", "B", 20), obj("ca/c.mft", "C", 30))
	root := p.RsyncRoot()
	if root != filepath.Join(dir, "rsync", "current") {
		t.Fatalf("RsyncRoot %s", root)
	}
	want := map[string]string{"ca/a.cer": "A", "ca/sub/b.roa": "B", "ca/c.mft": "C"}
	if got := treeFiles(t, dir); !maps.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	for name, sec := range map[string]int{"ca/a.cer": 10, "ca/sub/b.roa": 20, "ca/c.mft": 30} {
		info, _ := os.Stat(filepath.Join(root, name))
		if !info.ModTime().Equal(obj("", "", sec).Time) {
			t.Errorf("%s mtime %v, want %v (RFC 9589 §2)", name, info.ModTime(), obj("", "", sec).Time)
		}
	}
	unchanged := inode(t, filepath.Join(root, "ca/a.cer"))
	replaced := inode(t, filepath.Join(root, "ca/c.mft"))
	mustPublish(t, p, obj("ca/a.cer", "A", 10), obj("ca/c.mft", "C2", 31))
	want = map[string]string{"ca/a.cer": "A", "ca/c.mft": "C2"}
	if got := treeFiles(t, dir); !maps.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	if inode(t, filepath.Join(root, "ca/a.cer")) != unchanged {
		t.Error("unchanged file was copied, not hard-linked")
	}
	if inode(t, filepath.Join(root, "ca/c.mft")) == replaced {
		t.Error("replaced file kept its inode")
	}
	if _, err := os.Stat(filepath.Join(root, "ca/sub")); !os.IsNotExist(err) {
		t.Error("directory of withdrawn object left behind")
	}
	if got := rsyncEntries(t, p, dir); got != "current" {
		t.Errorf("rsync dir holds %s besides the spare, want only current", got)
	}
}

func TestDamagedTreeRebuiltOnOpen(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	mustPublish(t, openTest(t, testOptions(dir, c)), obj("ca/a.cer", "A", 10), obj("ca/b.roa", "B", 20))
	root := filepath.Join(dir, "rsync", "current")
	os.Remove(filepath.Join(root, "ca/a.cer"))
	os.WriteFile(filepath.Join(root, "ca/b.roa"), []byte("tampered"), 0o644)
	os.WriteFile(filepath.Join(root, "extra.roa"), []byte("x"), 0o644)
	openTest(t, testOptions(dir, c))
	want := map[string]string{"ca/a.cer": "A", "ca/b.roa": "B"}
	if got := treeFiles(t, dir); !maps.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	os.RemoveAll(root)
	q := openTest(t, testOptions(dir, c))
	if got := treeFiles(t, dir); !maps.Equal(got, want) {
		t.Fatalf("tree after removal %v, want %v", got, want)
	}
	if !q.treeOK {
		t.Fatal("tree not marked consistent")
	}
}

func TestSwapFallbackWithoutExchange(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	mustPublish(t, p, obj("a.cer", "1", 1))
	calls := 0
	p.hooks.exchange = func(a, b string) error { calls++; return unix.EINVAL }
	mustPublish(t, p, obj("a.cer", "2", 1), obj("b.cer", "3", 1))
	if calls != 1 {
		t.Fatalf("exchange called %d times", calls)
	}
	want := map[string]string{"a.cer": "2", "b.cer": "3"}
	if got := treeFiles(t, dir); !maps.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	if got := rsyncEntries(t, p, dir); got != "current" {
		t.Fatalf("rsync dir holds %s besides the spare", got)
	}
}
