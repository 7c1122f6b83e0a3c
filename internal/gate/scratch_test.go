package gate

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/rp"
)

// TestGateKeepsScratchCache: without an external command, the scratch
// cache is laid out once and kept while the staged tree's path and TA
// certificate stay the same; a kept one of an earlier process is removed;
// a TA certificate removed from the same tree, or another tree, is seen.
func TestGateKeepsScratchCache(t *testing.T) {
	f := newFixture(t, "", defaults())
	f.change(roas(0, 2), nil)
	ctx := context.Background()
	if err := f.publish(ctx); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(f.dir, "gate-work")
	stale := filepath.Join(work, keptPrefix+"1-x") // pid 1 is never a test's
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	g := New(Config{RsyncBase: rsyncBase, TAL: f.ca.TAL, WorkDir: work, Memo: &rp.Memo{}})
	want, err := f.configured(ctx)
	if err != nil {
		t.Fatal(err)
	}
	copyTo := func(name string) string {
		dir := filepath.Join(f.dir, name)
		if out, err := exec.Command("cp", "-a", f.pub.RsyncRoot(), dir).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
		return dir
	}
	a, b := copyTo("a"), copyTo("b")
	check := func(dir, wantErr string) string {
		t.Helper()
		err := g.Check(ctx, Input{Dir: dir, Want: want, Now: f.clock()})
		var r *Refusal
		switch {
		case wantErr == "" && err != nil:
			t.Fatalf("check %s: %v", filepath.Base(dir), err)
		case wantErr != "" && (!errors.As(err, &r) || !strings.HasPrefix(r.Findings[0].String(), wantErr)):
			t.Fatalf("check %s: %v, want a refusal starting %q", filepath.Base(dir), err, wantErr)
		}
		kept, _ := filepath.Glob(filepath.Join(work, "*"))
		if len(kept) != 1 || !strings.HasPrefix(filepath.Base(kept[0]), keptPrefix+strconv.Itoa(os.Getpid())+"-") {
			t.Fatalf("after checking %s: %v, want one kept scratch cache of this process", filepath.Base(dir), kept)
		}
		return kept[0]
	}
	first := check(a, "")
	if again := check(a, ""); again != first {
		t.Errorf("the same tree: scratch %s, want %s kept", again, first)
	}
	other := check(b, "")
	if other == first {
		t.Errorf("another tree: scratch %s kept", other)
	}
	ta := filepath.Join(b, "ta", "ta.cer")
	der, err := os.ReadFile(ta)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(ta)
	check(b, CodeRejected+" https://127.0.0.1:8443/ta/ta.cer: at 2026-11-22T12:00:00Z: ta-missing")
	if err := os.WriteFile(ta, der, 0o644); err != nil {
		t.Fatal(err)
	}
	if back := check(b, ""); back == other {
		t.Errorf("the TA certificate back: scratch %s kept from the check without it", back)
	}
}
