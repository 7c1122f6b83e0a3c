package publish

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fileTree lists a tree as relative path -> "content|mtime in ns|link
// count>1" for files and "dir" for directories below the root.
func fileTree(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			out[filepath.ToSlash(rel)] = "dir"
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%s|%d", readFile(t, path), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantTree is the tree a from-scratch build of objs makes: one file per
// object with its content and time, and the directories holding them.
func wantTree(objs map[string]*objectState) map[string]string {
	out := map[string]string{}
	for _, o := range objs {
		out[o.path] = fmt.Sprintf("%s|%d", o.data, o.time.UnixNano())
		for d := filepath.Dir(o.path); d != "."; d = filepath.Dir(d) {
			out[filepath.ToSlash(d)] = "dir"
		}
	}
	return out
}

// rsyncEntries lists Dir/rsync without the spare tree, after checking that
// the spare holds exactly what the publisher records for it.
func rsyncEntries(t testing.TB, p *Publisher, dir string) string {
	t.Helper()
	var names []string
	entries, _ := os.ReadDir(filepath.Join(dir, "rsync"))
	for _, e := range entries {
		if filepath.Join(dir, "rsync", e.Name()) != p.spare {
			names = append(names, e.Name())
		}
	}
	if p.spare != "" {
		if got, want := fileTree(t, p.spare), wantTree(p.spareObjs); !maps.Equal(got, want) {
			t.Fatalf("spare tree %v, publisher records %v", got, want)
		}
	}
	return strings.Join(names, ",")
}

// spareCheck publishes each step's objects and checks, after every
// step, that the live tree equals a from-scratch build byte for byte with
// mtimes, that unchanged files kept their inode, and that the RRDP files
// are what the reference encoder (snapshotXML, deltaXML) renders.
type spareCheck struct {
	t    *testing.T
	dir  string
	p    *Publisher
	prev map[string][]byte // the last published URI -> data
	ino  map[string]uint64 // live path -> inode before the step
}

func (c *spareCheck) publish(objs ...Object) {
	c.t.Helper()
	live := c.inodes()
	mustPublish(c.t, c.p, objs...)
	c.check(live)
}

// inodes records the live tree's inodes and returns the live objects.
func (c *spareCheck) inodes() map[string]*objectState {
	c.ino = map[string]uint64{}
	for _, o := range c.p.objects {
		c.ino[o.path] = inode(c.t, filepath.Join(c.p.RsyncRoot(), o.path))
	}
	return c.p.objects
}

func (c *spareCheck) check(live map[string]*objectState) {
	t := c.t
	t.Helper()
	fresh := t.TempDir()
	ref := openTest(t, testOptions(fresh, newClock()))
	var objs []Object
	for _, o := range c.p.objects {
		objs = append(objs, Object{URI: testRsync + o.path, Data: o.data, Time: o.time})
	}
	mustPublish(t, ref, objs...)
	if got, want := fileTree(t, c.p.RsyncRoot()), fileTree(t, ref.RsyncRoot()); !maps.Equal(got, want) {
		t.Fatalf("live tree %v\nfrom scratch %v", got, want)
	}
	if got, want := fileTree(t, c.p.RsyncRoot()), wantTree(c.p.objects); !maps.Equal(got, want) {
		t.Fatalf("live tree %v, objects %v", got, want)
	}
	for u, o := range c.p.objects {
		if l := live[u]; l != nil && sameFile(l, o) && inode(t, filepath.Join(c.p.RsyncRoot(), o.path)) != c.ino[o.path] {
			t.Errorf("unchanged %s has a new inode", o.path)
		}
	}
	if got := rsyncEntries(t, c.p, c.dir); got != "current" {
		t.Fatalf("rsync dir holds %s besides the spare", got)
	}
	c.checkRRDP()
}

// checkRRDP compares the snapshot and the newest delta with the reference
// rendering of the published objects and of the change from c.prev.
func (c *spareCheck) checkRRDP() {
	t := c.t
	t.Helper()
	n := readNotification(t, c.dir)
	cur := c.p.Objects()
	uris := sortedKeys(cur)
	want := snapshotXML(n.Session, n.Serial, uris, func(u string) []byte { return cur[u] })
	if got := fetch(t, c.dir, n.Snapshot); string(got) != string(want) {
		t.Fatalf("snapshot %d differs from the reference rendering", n.Serial)
	}
	if c.prev != nil && len(n.Deltas) > 0 && n.Deltas[0].Serial == n.Serial {
		var changes []change
		for _, u := range sortedKeys(mergeKeys(c.prev, cur)) {
			old, had := c.prev[u]
			data, has := cur[u]
			switch {
			case !has:
				changes = append(changes, change{URI: u, Withdraw: true, PrevHash: sha256Hex(old)})
			case !had:
				changes = append(changes, change{URI: u, Data: data})
			case string(old) != string(data):
				changes = append(changes, change{URI: u, Data: data, PrevHash: sha256Hex(old)})
			}
		}
		if got := fetch(t, c.dir, n.Deltas[0].fileRef); string(got) != string(deltaXML(n.Session, n.Serial, changes)) {
			t.Fatalf("delta %d differs from the reference rendering", n.Serial)
		}
	}
	c.prev = cur
}

func mergeKeys(a, b map[string][]byte) map[string][]byte {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

// rrdpFiles lists Dir/rrdp as path -> content and mtime.
func rrdpFiles(t *testing.T, dir string) map[string]string {
	return fileTree(t, filepath.Join(dir, "rrdp"))
}

// damageStaged changes a staged tree as a faulty gate might.
func damageStaged(t *testing.T, root, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(root, "ca", name)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "ca", "stray.roa"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSpareTreeMatchesFullBuild runs adds, replacements, removals, emptied
// directories, mtime-only changes, an aborted and a refused stage and a
// reopen through the spare tree.
func TestSpareTreeMatchesFullBuild(t *testing.T) {
	dir := t.TempDir()
	c := &spareCheck{t: t, dir: dir, p: openTest(t, testOptions(dir, newClock()))}
	a, b1, b2 := obj("ca/a.cer", "A", 1), obj("ca/b.roa", "B1", 2), obj("ca/b.roa", "B2", 3)
	sub, deep, e := obj("ca/sub/c.roa", "C", 4), obj("ca/sub/deep/d.roa", "D", 5), obj("x/e.mft", "E", 6)
	f := obj("ca/new/f.roa", "F", 7)
	c.publish(a, b1, sub, deep, e)
	c.publish(a, b2, sub, deep, f) // replace, add in a new directory, empty x/
	if c.p.spare == "" {
		t.Fatal("no spare tree kept after a swap")
	}
	c.publish(obj("ca/a.cer", "A", 9), b2, sub, f)    // mtime only; empty ca/sub/deep
	c.publish(obj("ca/a.cer", "A", 9), b1, sub, f, e) // back to B1 (the spare's content), x/ again

	// An aborted stage whose tree a gate damaged: nothing live changes and
	// the spare is not reused.
	liveTree, liveRRDP := fileTree(t, c.p.RsyncRoot()), rrdpFiles(t, dir)
	s, err := c.p.Stage(context.Background(), []Object{obj("ca/a.cer", "A", 9), b2, f})
	if err != nil {
		t.Fatal(err)
	}
	if s.RsyncDir() == c.p.RsyncRoot() {
		t.Fatal("stage built no tree")
	}
	damageStaged(t, s.RsyncDir(), "a.cer")
	s.Abort()
	if !maps.Equal(fileTree(t, c.p.RsyncRoot()), liveTree) || !maps.Equal(rrdpFiles(t, dir), liveRRDP) {
		t.Fatal("abort changed the live state")
	}
	if got := rsyncEntries(t, c.p, dir); got != "current" || c.p.spare != "" {
		t.Fatalf("after abort: rsync dir %s, spare %q", got, c.p.spare)
	}
	c.publish(obj("ca/a.cer", "A", 9), b2, f) // full build
	c.publish(obj("ca/a.cer", "A2", 10), b2, f, deep)

	// A refused change (the gate's Check fails) leaves everything as it was.
	refused := errors.New("refused")
	c.p.opts.Check = func(_ context.Context, s *Staged) error { damageStaged(t, s.RsyncDir(), "b.roa"); return refused }
	liveTree, liveRRDP = fileTree(t, c.p.RsyncRoot()), rrdpFiles(t, dir)
	if _, err := c.p.Publish(context.Background(), []Object{b1, f}); !errors.Is(err, refused) {
		t.Fatalf("publish err %v", err)
	}
	if !maps.Equal(fileTree(t, c.p.RsyncRoot()), liveTree) || !maps.Equal(rrdpFiles(t, dir), liveRRDP) {
		t.Fatal("a refused change changed the live state")
	}
	c.p.opts.Check = nil
	c.publish(b1, f)
	c.publish(b1, f, sub)

	// Reopen: the spare of the last run is removed, the first change
	// builds in full, the next uses the new spare.
	c.p = openTest(t, testOptions(dir, newClock()))
	if got := rsyncEntries(t, c.p, dir); got != "current" || c.p.spare != "" {
		t.Fatalf("after reopen: rsync dir %s, spare %q", got, c.p.spare)
	}
	c.publish(b2, f, sub, e)
	c.publish(b2, sub, e, a)
	c.publish() // everything withdrawn: an empty tree
	c.publish(a, deep)
}

// TestSpareTreeNotReusedWhenTaken: two stages at once; only one can use
// the spare, the other builds its own tree; the stale one leaves nothing.
func TestSpareTreeNotReusedWhenTaken(t *testing.T) {
	dir := t.TempDir()
	c := &spareCheck{t: t, dir: dir, p: openTest(t, testOptions(dir, newClock()))}
	c.publish(obj("a.cer", "1", 1))
	c.publish(obj("a.cer", "2", 1))
	ctx := context.Background()
	live := c.inodes()
	s1, err := c.p.Stage(ctx, []Object{obj("a.cer", "3", 1)})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := c.p.Stage(ctx, []Object{obj("a.cer", "4", 1)})
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{s1.RsyncDir(), s2.RsyncDir()}
	if dirs[0] == dirs[1] || slices.Contains(dirs, c.p.RsyncRoot()) {
		t.Fatalf("staged trees %v", dirs)
	}
	if err := s2.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s1.Commit(); !errors.Is(err, ErrStale) {
		t.Fatalf("commit err %v, want ErrStale", err)
	}
	c.check(live)
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Fatalf("stale staged tree left: %v", err)
	}
}

// TestOrphansOfFailedCommitRetired: the snapshot and delta of a commit that
// failed before its notification are removed once KeepOldFiles has passed,
// without a restart, and so are their directories; the temp notification
// is removed at once.
func TestOrphansOfFailedCommitRetired(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	r1 := mustPublish(t, p, obj("a.roa", "1", 1))
	p.hooks.afterFiles = func() error { return errCrash }
	if _, err := p.Publish(context.Background(), []Object{obj("a.roa", "2", 2)}); !errors.Is(err, errCrash) {
		t.Fatalf("err %v", err)
	}
	p.hooks.afterFiles = nil
	orphans, _ := os.ReadDir(filepath.Join(dir, "rrdp", r1.Session, "2"))
	if len(orphans) != 1 {
		t.Fatalf("orphan dirs %v", orphans)
	}
	orphan := filepath.Join(dir, "rrdp", r1.Session, "2", orphans[0].Name())
	if got := sortedKeys(fileTree(t, orphan)); !slices.Equal(got, []string{"delta.xml", "snapshot.xml"}) {
		t.Fatalf("orphan holds %v", got)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "rrdp", tmpPrefix+"*")); len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
	mustPublish(t, p, obj("a.roa", "2", 2))
	c.Add(9 * time.Minute)
	mustPublish(t, p, obj("a.roa", "3", 3))
	if _, err := os.Stat(orphan); err != nil {
		t.Fatalf("orphan removed before KeepOldFiles: %v", err)
	}
	c.Add(2 * time.Minute)
	mustPublish(t, p, obj("a.roa", "4", 4))
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("orphan still present: %v", err)
	}
}
