package publish

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRsyncDaemonFollowsSwaps serves Dir/rsync/current with a real rsync
// daemon and pulls it with the rsync client (as rpki-client does, -rt):
// content and mtimes (RFC 9589 §2) arrive, and after a publication the
// next connection sees the swapped tree.
func TestRsyncDaemonFollowsSwaps(t *testing.T) {
	rsync := lookTool(t, "rsync")
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	mustPublish(t, p, obj("ca/a.cer", "A", 10), obj("ca/b.roa", "B", 20))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := filepath.Join(dir, "rsyncd.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("use chroot = no\nlog file = %s\n[repo]\n  path = %s\n  read only = yes\n",
		filepath.Join(dir, "rsyncd.log"), p.RsyncRoot())), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	daemon := exec.CommandContext(ctx, rsync, "--daemon", "--no-detach", "--config="+conf,
		"--address=127.0.0.1", fmt.Sprintf("--port=%d", port))
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); daemon.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", l.Addr().String())
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("rsync daemon did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pull := func() (map[string]string, map[string]time.Time) {
		dst := t.TempDir()
		out, err := exec.Command(rsync, "-rt", "--no-motd", fmt.Sprintf("rsync://127.0.0.1:%d/repo/", port), dst+"/").CombinedOutput()
		if err != nil {
			t.Fatalf("rsync: %v\n%s", err, out)
		}
		files, times := map[string]string{}, map[string]time.Time{}
		filepath.WalkDir(dst, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dst, path)
			info, _ := d.Info()
			files[filepath.ToSlash(rel)] = string(readFile(t, path))
			times[filepath.ToSlash(rel)] = info.ModTime().UTC()
			return nil
		})
		return files, times
	}
	files, times := pull()
	if want := map[string]string{"ca/a.cer": "A", "ca/b.roa": "B"}; !maps.Equal(files, want) {
		t.Fatalf("pulled %v, want %v", files, want)
	}
	if !times["ca/b.roa"].Equal(obj("", "", 20).Time) {
		t.Fatalf("mtime %v, want %v", times["ca/b.roa"], obj("", "", 20).Time)
	}
	mustPublish(t, p, obj("ca/a.cer", "A", 10), obj("ca/c/d.roa", "D", 30))
	files, _ = pull()
	if want := map[string]string{"ca/a.cer": "A", "ca/c/d.roa": "D"}; !maps.Equal(files, want) {
		t.Fatalf("after swap pulled %v, want %v", files, want)
	}
}
