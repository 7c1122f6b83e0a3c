package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rrdp"
)

// TestDeltasReplayToSnapshot applies every delta in sequence to serial 1's
// snapshot and compares the result with each later snapshot.
func TestDeltasReplayToSnapshot(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	opts := testOptions(dir, c)
	opts.MaxDeltas = 1000
	p := openTest(t, opts)
	rng := rand.New(rand.NewPCG(1, 2))
	state := map[string]Object{}
	for i := range 40 {
		state[fmt.Sprintf("o%02d.roa", i)] = obj(fmt.Sprintf("ca/o%02d.roa", i), strings.Repeat("x", 200)+fmt.Sprint(i), i)
	}
	var replay map[string][]byte
	deltaFiles := map[uint64][]byte{}
	for step := 1; step <= 30; step++ {
		if step > 1 {
			for k := 0; k < 1+rng.IntN(4); k++ {
				name := fmt.Sprintf("o%02d.roa", rng.IntN(50))
				switch rng.IntN(3) {
				case 0:
					delete(state, name)
				default:
					state[name] = obj("ca/"+name, fmt.Sprintf("v%d-%d", step, k), step)
				}
			}
		}
		objs := make([]Object, 0, len(state))
		for _, o := range state {
			objs = append(objs, o)
		}
		c.Add(time.Minute)
		r := mustPublish(t, p, objs...)
		n, snap := snapshotState(t, dir)
		if !r.Changed || r.Serial != n.Serial {
			// A random step may cancel out; then no serial is made.
			if r.Changed {
				t.Fatalf("step %d: result %+v, notification serial %d", step, r, n.Serial)
			}
			continue
		}
		if n.Serial == 1 {
			replay = maps.Clone(snap)
			continue
		}
		for _, d := range n.Deltas {
			if _, ok := deltaFiles[d.Serial]; !ok {
				deltaFiles[d.Serial] = fetch(t, dir, d.fileRef)
			}
		}
		session, serial, entries, err := parseDelta(deltaFiles[n.Serial])
		if err != nil || session != n.Session || serial != n.Serial {
			t.Fatalf("delta %d: %v (%s/%d)", n.Serial, err, session, serial)
		}
		if err := applyDelta(replay, entries); err != nil {
			t.Fatalf("delta %d does not apply: %v", n.Serial, err)
		}
		if !maps.EqualFunc(replay, snap, bytes.Equal) {
			t.Fatalf("serial %d: replayed deltas %v != snapshot %v", n.Serial, sortedKeys(replay), sortedKeys(snap))
		}
		want := map[string][]byte{}
		for _, o := range state {
			want[o.URI] = o.Data
		}
		if !maps.EqualFunc(want, snap, bytes.Equal) || !maps.EqualFunc(want, p.Objects(), bytes.Equal) {
			t.Fatalf("serial %d: snapshot/Objects differ from the published state", n.Serial)
		}
		// Every delta the notification lists is contiguous down from the serial.
		for i, d := range n.Deltas {
			if d.Serial != n.Serial-uint64(i) {
				t.Fatalf("delta list not contiguous: %+v", n.Deltas)
			}
		}
	}
	if _, serial := p.State(); serial < 20 {
		t.Fatalf("only %d serials made", serial)
	}
}

func TestNoEmptyDelta(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	a := obj("ca/a.cer", "A", 1)
	r1 := mustPublish(t, p, a)
	before := readFile(t, filepath.Join(dir, "rrdp", notificationName))
	r2 := mustPublish(t, p, a, a) // duplicates with equal content are one object
	if r2.Changed || r2.Serial != r1.Serial || r2.Session != r1.Session {
		t.Fatalf("unchanged publish gave %+v after %+v", r2, r1)
	}
	if after := readFile(t, filepath.Join(dir, "rrdp", notificationName)); !bytes.Equal(before, after) {
		t.Fatal("notification rewritten without a change")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "rrdp", r1.Session))
	if len(entries) != 1 {
		t.Fatalf("%d serial directories, want 1", len(entries))
	}
}

func TestFirstPublishOfEmptySet(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	r := mustPublish(t, p)
	if !r.Changed || r.Serial != 1 || !rrdp.IsUUID(r.Session) {
		t.Fatalf("result %+v", r)
	}
	n, snap := snapshotState(t, dir)
	if len(snap) != 0 || len(n.Deltas) != 0 {
		t.Fatalf("snapshot %v deltas %v", snap, n.Deltas)
	}
	if r := mustPublish(t, p); r.Changed {
		t.Fatalf("second empty publish changed: %+v", r)
	}
}

func TestRejectsBadObjects(t *testing.T) {
	p := openTest(t, testOptions(t.TempDir(), newClock()))
	for _, uri := range []string{
		"rsync://other.example/repo/a.cer",
		testRsync + "../a.cer",
		testRsync + "ca/../a.cer",
		testRsync + "./a.cer",
		testRsync + ".hidden.cer",
		testRsync + "ca//a.cer",
		testRsync + "a.txt",
		testRsync + "a",
		testRsync + "a.cer.roa",
		testRsync + "ca.d/a.cer",
		testRsync + "a b.cer",
		testRsync + "ca/",
		testRsync,
	} {
		_, err := p.Publish(context.Background(), []Object{{URI: uri, Data: []byte("x")}})
		if !errors.Is(err, ErrBadURI) {
			t.Errorf("%q: err %v, want ErrBadURI", uri, err)
		}
	}
	_, err := p.Publish(context.Background(), []Object{obj("a.cer", "1", 0), obj("a.cer", "2", 0)})
	if !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: err %v", err)
	}
	if s, serial := p.State(); s != "" || serial != 0 {
		t.Fatalf("a refused publish changed state to %s/%d", s, serial)
	}
	for _, ok := range []string{"a.cer", "ca/x_y-Z9.roa", "a/b/c/d.mft", "x.crl", "x.asa"} {
		if _, err := objectPath(testRsync, testRsync+ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{RRDPBase: testRRDP, RsyncBase: testRsync},
		{Dir: "x", RRDPBase: "https://h/rrdp", RsyncBase: testRsync},
		{Dir: "x", RRDPBase: testRRDP, RsyncBase: "https://h/repo/"},
		{Dir: "x", RRDPBase: `https://h/"rrdp/`, RsyncBase: testRsync},
	} {
		if _, err := Open(o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%+v: err %v", o, err)
		}
	}
}

func TestRetentionByCount(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	opts := testOptions(dir, c)
	opts.MaxDeltas = 3
	p := openTest(t, opts)
	big := obj("big.cer", strings.Repeat("b", 5000), 0)
	for i := range 6 {
		c.Add(time.Minute)
		mustPublish(t, p, big, obj("x.roa", fmt.Sprint(i), i))
	}
	n := readNotification(t, dir)
	if got := deltaSerials(n); got != "6,5,4" {
		t.Fatalf("deltas %s, want 6,5,4", got)
	}
}

func TestRetentionByAge(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	opts := testOptions(dir, c)
	opts.MaxDeltaAge = time.Hour
	p := openTest(t, opts)
	big := obj("big.cer", strings.Repeat("b", 5000), 0)
	mustPublish(t, p, big, obj("x.roa", "1", 1))
	mustPublish(t, p, big, obj("x.roa", "2", 2)) // serial 2 at T
	c.Add(40 * time.Minute)
	mustPublish(t, p, big, obj("x.roa", "3", 3)) // serial 3 at T+40m
	c.Add(30 * time.Minute)
	mustPublish(t, p, big, obj("x.roa", "4", 4)) // serial 4 at T+70m: delta 2 is 70m old
	if got := deltaSerials(readNotification(t, dir)); got != "4,3" {
		t.Fatalf("deltas %s, want 4,3", got)
	}
}

func TestRetentionBySize(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	mustPublish(t, p, obj("a.cer", strings.Repeat("a", 2000), 0))
	// Each delta is ~1.6 KB, the snapshot ~4.2 KB: two fit, three do not.
	mustPublish(t, p, obj("a.cer", strings.Repeat("a", 2000), 0), obj("b.roa", strings.Repeat("1", 1000), 0))
	mustPublish(t, p, obj("a.cer", strings.Repeat("a", 2000), 0), obj("b.roa", strings.Repeat("2", 1000), 0))
	mustPublish(t, p, obj("a.cer", strings.Repeat("a", 2000), 0), obj("b.roa", strings.Repeat("3", 1000), 0))
	n := readNotification(t, dir)
	var total int
	for _, d := range n.Deltas {
		total += len(fetch(t, dir, d.fileRef))
	}
	snap := len(fetch(t, dir, n.Snapshot))
	if got := deltaSerials(n); got != "4,3" || total > snap {
		t.Fatalf("deltas %s (%d bytes), snapshot %d bytes; want 4,3 within the snapshot size", got, total, snap)
	}
	// A delta larger than the snapshot is never listed.
	mustPublish(t, p, obj("c.cer", "c", 0))
	if n := readNotification(t, dir); len(n.Deltas) != 0 {
		t.Fatalf("deltas %s listed although larger than the snapshot", deltaSerials(n))
	}
}

func deltaSerials(n *notificationFile) string {
	var s []string
	for _, d := range n.Deltas {
		s = append(s, fmt.Sprint(d.Serial))
	}
	return strings.Join(s, ",")
}

// TestOldFilesKept checks that unreferenced snapshots and deltas stay for
// KeepOldFiles and are then removed (RFC 8182 §3.5.2.2: at least 5 min).
func TestOldFilesKept(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	opts := testOptions(dir, c)
	opts.KeepOldFiles = 5 * time.Minute
	p := openTest(t, opts)
	mustPublish(t, p, obj("a.cer", "1", 0))
	old := readNotification(t, dir).Snapshot
	c.Add(time.Minute)
	mustPublish(t, p, obj("a.cer", "2", 0)) // snapshot 1 unreferenced from now
	c.Add(4 * time.Minute)
	mustPublish(t, p, obj("a.cer", "3", 0))
	fetch(t, dir, old) // 4 minutes: still there
	c.Add(time.Minute + time.Second)
	mustPublish(t, p, obj("a.cer", "4", 0))
	rel := strings.TrimPrefix(old.URI, testRRDP)
	if _, err := os.Stat(filepath.Join(dir, "rrdp", filepath.FromSlash(rel))); !os.IsNotExist(err) {
		t.Fatalf("old snapshot still present after KeepOldFiles: %v", err)
	}
	// Its now-empty directories are gone too; the referenced files remain.
	if _, err := os.Stat(filepath.Dir(filepath.Join(dir, "rrdp", filepath.FromSlash(rel)))); !os.IsNotExist(err) {
		t.Fatalf("empty directory left: %v", err)
	}
	n, snap := snapshotState(t, dir)
	for _, d := range n.Deltas {
		fetch(t, dir, d.fileRef)
	}
	if string(snap[testRsync+"a.cer"]) != "4" {
		t.Fatalf("snapshot %q", snap)
	}
}

func TestStagedCommitAndStale(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	mustPublish(t, p, obj("a.cer", "1", 0))
	ctx := context.Background()
	s1, err := p.Stage(ctx, []Object{obj("a.cer", "2", 0)})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := p.Stage(ctx, []Object{obj("a.cer", "3", 0)})
	if err != nil {
		t.Fatal(err)
	}
	// The staged tree holds the new content while the live one is unchanged.
	if b := readFile(t, filepath.Join(s1.RsyncDir(), "a.cer")); string(b) != "2" {
		t.Fatalf("staged a.cer = %q", b)
	}
	if got := treeFiles(t, dir); got["a.cer"] != "1" {
		t.Fatalf("live tree changed before Commit: %v", got)
	}
	if objs := s1.Objects(); len(objs) != 1 || string(objs[0].Data) != "2" {
		t.Fatalf("staged objects %+v", objs)
	}
	if r := s1.Result(); r.Serial != 2 || r.Replaced != 1 || !r.Changed {
		t.Fatalf("staged result %+v", r)
	}
	if err := s1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Commit(); !errors.Is(err, ErrStale) {
		t.Fatalf("second commit err %v, want ErrStale", err)
	}
	if err := s1.Commit(); err == nil {
		t.Fatal("double commit accepted")
	}
	if got := treeFiles(t, dir); got["a.cer"] != "2" {
		t.Fatalf("tree %v", got)
	}
	// Abort leaves nothing behind.
	s3, err := p.Stage(ctx, []Object{obj("a.cer", "4", 0)})
	if err != nil {
		t.Fatal(err)
	}
	s3.Abort()
	entries, _ := os.ReadDir(filepath.Join(dir, "rsync"))
	if len(entries) != 1 || entries[0].Name() != "current" {
		t.Fatalf("rsync dir holds %v", entries)
	}
	if _, serial := p.State(); serial != 2 {
		t.Fatalf("serial %d after abort", serial)
	}
}

// TestConcurrentPublish: concurrent callers are serialized, every call
// succeeds and serials stay contiguous.
func TestConcurrentPublish(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			_, err := p.Publish(context.Background(), []Object{obj("a.roa", fmt.Sprint(i), i)})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, serial := p.State(); serial < 2 || serial > 8 {
		t.Fatalf("serial %d", serial)
	}
	n, snap := snapshotState(t, dir)
	if len(snap) != 1 || n.Serial != func() uint64 { _, s := p.State(); return s }() {
		t.Fatalf("snapshot %v at %d", snap, n.Serial)
	}
}
