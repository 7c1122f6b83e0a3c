package publish

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var errCrash = errors.New("simulated crash")

func TestReopenRecoversState(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	big := obj("ca/big.cer", strings.Repeat("b", 3000), 0)
	mustPublish(t, p, big, obj("ca/a.roa", "1", 1))
	r2 := mustPublish(t, p, big, obj("ca/a.roa", "2", 2))
	want := p.Objects()

	q := openTest(t, testOptions(dir, c))
	if s, serial := q.State(); s != r2.Session || serial != 2 {
		t.Fatalf("reopened at %s/%d, want %s/2", s, serial, r2.Session)
	}
	if !maps.EqualFunc(q.Objects(), want, bytes.Equal) {
		t.Fatal("reopened objects differ")
	}
	if d, ok := q.Lookup(testRsync + "ca/a.roa"); !ok || string(d) != "2" {
		t.Fatalf("Lookup = %q %v", d, ok)
	}
	if len(q.deltas) != 1 || q.deltas[0].Serial != 2 {
		t.Fatalf("reopened deltas %+v", q.deltas)
	}
	// Unchanged objects after reopen: no new serial; a change continues the session.
	if r := mustPublish(t, q, big, obj("ca/a.roa", "2", 2)); r.Changed || r.Serial != 2 {
		t.Fatalf("unchanged publish after reopen: %+v", r)
	}
	r3 := mustPublish(t, q, big, obj("ca/a.roa", "3", 3))
	if r3.Session != r2.Session || r3.Serial != 3 {
		t.Fatalf("after reopen: %+v", r3)
	}
	if got := deltaSerials(readNotification(t, dir)); got != "3,2" {
		t.Fatalf("deltas %s, want 3,2", got)
	}
}

// TestCrashBeforeNotification aborts after the snapshot and delta are
// written but before the notification: the previous state stays live and
// the next publication makes serial+1 at a fresh URL.
func TestCrashBeforeNotification(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	big := obj("ca/big.cer", strings.Repeat("b", 3000), 0)
	r1 := mustPublish(t, p, big, obj("ca/a.roa", "1", 1))
	before := readFile(t, filepath.Join(dir, "rrdp", notificationName))
	p.hooks.afterFiles = func() error { return errCrash }
	if _, err := p.Publish(context.Background(), []Object{big, obj("ca/a.roa", "2", 2)}); !errors.Is(err, errCrash) {
		t.Fatalf("err %v", err)
	}
	if _, serial := p.State(); serial != 1 {
		t.Fatalf("in-memory serial %d after failed commit", serial)
	}
	if got := readFile(t, filepath.Join(dir, "rrdp", notificationName)); !bytes.Equal(got, before) {
		t.Fatal("notification changed")
	}
	if got := treeFiles(t, dir); got["ca/a.roa"] != "1" {
		t.Fatalf("rsync tree changed: %v", got)
	}
	// The orphan serial-2 files exist on disk but are not referenced.
	orphans, _ := os.ReadDir(filepath.Join(dir, "rrdp", r1.Session, "2"))
	if len(orphans) != 1 {
		t.Fatalf("orphan dirs %v", orphans)
	}

	q := openTest(t, testOptions(dir, c))
	if s, serial := q.State(); s != r1.Session || serial != 1 {
		t.Fatalf("reopened at %s/%d", s, serial)
	}
	r := mustPublish(t, q, big, obj("ca/a.roa", "2", 2))
	if r.Session != r1.Session || r.Serial != 2 {
		t.Fatalf("after crash: %+v", r)
	}
	n, snap := snapshotState(t, dir)
	if string(snap[testRsync+"ca/a.roa"]) != "2" || deltaSerials(n) != "2" {
		t.Fatalf("state after crash+publish: %s deltas %s", snap[testRsync+"ca/a.roa"], deltaSerials(n))
	}
	if strings.Contains(n.Snapshot.URI, orphans[0].Name()) {
		t.Fatal("serial 2 reused the URL of the crashed attempt")
	}
	// The crashed attempt's files are removed once KeepOldFiles has passed.
	c.Add(11 * time.Minute)
	mustPublish(t, q, big, obj("ca/a.roa", "3", 3))
	if _, err := os.Stat(filepath.Join(dir, "rrdp", r1.Session, "2", orphans[0].Name())); !os.IsNotExist(err) {
		t.Fatalf("orphan still present: %v", err)
	}
}

// TestCrashBeforeTreeSwap aborts after the notification: RRDP is at the new
// serial, the rsync tree is not; Open rebuilds the tree from the snapshot.
func TestCrashBeforeTreeSwap(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	mustPublish(t, p, obj("ca/a.roa", "1", 1), obj("ca/b.roa", "b", 1))
	p.hooks.afterNotification = func() error { return errCrash }
	if _, err := p.Publish(context.Background(), []Object{obj("ca/a.roa", "2", 2), obj("ca/c/d.roa", "d", 2)}); !errors.Is(err, errCrash) {
		t.Fatalf("err %v", err)
	}
	if got := treeFiles(t, dir); got["ca/a.roa"] != "1" {
		t.Fatalf("tree already swapped: %v", got)
	}
	q := openTest(t, testOptions(dir, c))
	if _, serial := q.State(); serial != 2 {
		t.Fatalf("serial %d", serial)
	}
	want := map[string]string{"ca/a.roa": "2", "ca/c/d.roa": "d"}
	if got := treeFiles(t, dir); !maps.Equal(got, want) {
		t.Fatalf("tree %v, want %v", got, want)
	}
	// The same objects with their signing times make no new serial but fix
	// the rebuilt tree's mtimes.
	if r := mustPublish(t, q, obj("ca/a.roa", "2", 2), obj("ca/c/d.roa", "d", 2)); r.Changed {
		t.Fatalf("result %+v", r)
	}
	info, err := os.Stat(filepath.Join(dir, "rsync", "current", "ca", "a.roa"))
	if err != nil || !info.ModTime().Equal(obj("", "", 2).Time) {
		t.Fatalf("mtime %v, want %v (%v)", info.ModTime(), obj("", "", 2).Time, err)
	}
}

func TestCorruptSnapshotStartsNewSession(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	r1 := mustPublish(t, p, obj("a.roa", "1", 1))
	n := readNotification(t, dir)
	snapPath := filepath.Join(dir, "rrdp", filepath.FromSlash(strings.TrimPrefix(n.Snapshot.URI, testRRDP)))
	if err := os.WriteFile(snapPath, []byte("<snapshot/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(dir, c)
	opts.Rand = &seqRand{n: 1000}
	q := openTest(t, opts)
	if s, serial := q.State(); s != "" || serial != 0 {
		t.Fatalf("state %s/%d from a corrupt snapshot", s, serial)
	}
	r := mustPublish(t, q, obj("a.roa", "1", 1))
	if r.Serial != 1 || r.Session == r1.Session || !r.Changed {
		t.Fatalf("after corruption: %+v (old session %s)", r, r1.Session)
	}
	if n := readNotification(t, dir); n.Session != r.Session || n.Serial != 1 {
		t.Fatalf("notification %s/%d", n.Session, n.Serial)
	}
}

func TestUnreadableNotificationStartsNewSession(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":   "not xml",
		"doctype":   `<!DOCTYPE x [<!ENTITY a "b">]><notification/>`,
		"truncated": `<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1"`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := newClock()
			mustPublish(t, openTest(t, testOptions(dir, c)), obj("a.roa", "1", 1))
			os.WriteFile(filepath.Join(dir, "rrdp", notificationName), []byte(content), 0o644)
			q := openTest(t, testOptions(dir, c))
			if s, serial := q.State(); s != "" || serial != 0 {
				t.Fatalf("state %s/%d", s, serial)
			}
		})
	}
}

func TestMissingDeltaShortensChain(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	big := obj("big.cer", strings.Repeat("b", 5000), 0)
	for i := range 4 {
		mustPublish(t, p, big, obj("a.roa", string(rune('0'+i)), i))
	}
	n := readNotification(t, dir)
	if deltaSerials(n) != "4,3,2" {
		t.Fatalf("deltas %s", deltaSerials(n))
	}
	os.Remove(filepath.Join(dir, "rrdp", filepath.FromSlash(strings.TrimPrefix(n.Deltas[1].URI, testRRDP))))
	q := openTest(t, testOptions(dir, c))
	if _, serial := q.State(); serial != 4 {
		t.Fatalf("serial %d", serial)
	}
	if got := deltaSerials(readNotification(t, dir)); got != "4" {
		t.Fatalf("rewritten notification lists %s, want 4", got)
	}
}

func TestLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	mustPublish(t, openTest(t, testOptions(dir, c)), obj("a.roa", "1", 1))
	junk := []string{
		filepath.Join(dir, "rsync", ".staging-abc", "a.roa"),
		filepath.Join(dir, "rsync", ".old-abc", "a.roa"),
		filepath.Join(dir, "rrdp", ".tmp-notification.xml-1"),
	}
	for _, j := range junk {
		os.MkdirAll(filepath.Dir(j), 0o755)
		os.WriteFile(j, []byte("x"), 0o644)
	}
	openTest(t, testOptions(dir, c))
	for _, j := range junk {
		if _, err := os.Stat(j); !os.IsNotExist(err) {
			t.Errorf("%s survived Open", j)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "rsync", ".staging-abc")); !os.IsNotExist(err) {
		t.Error("staging dir survived")
	}
}

// TestChangedRRDPBaseStartsNewSession: the snapshot URL no longer lies
// under RRDPBase, so the old files cannot be served as this session.
func TestChangedRRDPBaseStartsNewSession(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	r1 := mustPublish(t, openTest(t, testOptions(dir, c)), obj("a.roa", "1", 1))
	opts := testOptions(dir, c)
	opts.RRDPBase = "https://rrdp.example/rrdp/"
	opts.Rand = &seqRand{n: 99}
	q := openTest(t, opts)
	if s, _ := q.State(); s != "" {
		t.Fatalf("kept session %s under a new base", s)
	}
	r := mustPublish(t, q, obj("a.roa", "1", 1))
	n := readNotification(t, dir)
	if r.Session == r1.Session || r.Serial != 1 || !strings.HasPrefix(n.Snapshot.URI, "https://rrdp.example/rrdp/") {
		t.Fatalf("result %+v, snapshot %s", r, n.Snapshot.URI)
	}
}

// TestFloorForcesNewSession: files restored from an older backup of the same
// session must not be continued (the serial would go backwards for RPs that
// saw the newer one); the next publication starts a new session at serial 1.
func TestFloorForcesNewSession(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	r1 := mustPublish(t, p, obj("ca/a.roa", "1", 1))
	backup := t.TempDir()
	if err := os.CopyFS(backup, os.DirFS(filepath.Join(dir, "rrdp"))); err != nil {
		t.Fatal(err)
	}
	r2 := mustPublish(t, p, obj("ca/a.roa", "2", 2))
	if r2.Session != r1.Session || r2.Serial != 2 {
		t.Fatalf("second publication %+v", r2)
	}
	// The same files with the recorded floor: the session continues.
	opts := testOptions(dir, c)
	opts.Floor = State{Session: r2.Session, Serial: 2}
	if q := openTest(t, opts); func() bool { s, n := q.State(); return s != r2.Session || n != 2 }() {
		t.Fatalf("reopen at the floor changed the state: %v", func() any { s, n := q.State(); return []any{s, n} }())
	}
	// Restore the serial-1 backup over the live files.
	if err := os.RemoveAll(filepath.Join(dir, "rrdp")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "rrdp"), os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	opts.Rand = &seqRand{n: 1 << 32} // another stream than the first session's
	q := openTest(t, opts)
	if s, n := q.State(); s != "" || n != 0 {
		t.Fatalf("behind the floor: state %s/%d, want a new session pending", s, n)
	}
	r3 := mustPublish(t, q, obj("ca/a.roa", "2", 2))
	if r3.Session == r1.Session || r3.Serial != 1 || !r3.Changed {
		t.Fatalf("after the restore: %+v, want a new session at serial 1", r3)
	}
	n := readNotification(t, dir)
	if n.Session != r3.Session || n.Serial != 1 || len(n.Deltas) != 0 {
		t.Fatalf("notification %s/%d with %d deltas", n.Session, n.Serial, len(n.Deltas))
	}
}
