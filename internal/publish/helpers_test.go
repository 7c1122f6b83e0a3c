package publish

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testRRDP  = "https://127.0.0.1:8443/rrdp/"
	testRsync = "rsync://127.0.0.1:8873/repo/"
)

// seqRand is a deterministic byte stream (SHA-256 of a counter) so session
// ids and URL parts are reproducible in golden files.
type seqRand struct {
	n   uint64
	buf []byte
}

func (r *seqRand) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.buf) == 0 {
			var c [8]byte
			binary.BigEndian.PutUint64(c[:], r.n)
			r.n++
			h := sha256.Sum256(c[:])
			r.buf = h[:]
		}
		p[i] = r.buf[0]
		r.buf = r.buf[1:]
	}
	return len(p), nil
}

// testClock is a settable clock.
type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time      { return c.t }
func (c *testClock) Add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *testClock               { return &testClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)} }
func testOptions(dir string, c *testClock) Options {
	return Options{Dir: dir, RRDPBase: testRRDP, RsyncBase: testRsync, Clock: c.Now, Rand: &seqRand{}}
}

func openTest(t testing.TB, opts Options) *Publisher {
	t.Helper()
	p, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return p
}

func obj(name, data string, sec int) Object {
	return Object{URI: testRsync + name, Data: []byte(data), Time: time.Unix(1795000000+int64(sec), 0).UTC()}
}

func mustPublish(t testing.TB, p *Publisher, objs ...Object) Result {
	t.Helper()
	r, err := p.Publish(context.Background(), objs)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return r
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// notification reads and parses Dir/rrdp/notification.xml.
func readNotification(t testing.TB, dir string) *notificationFile {
	t.Helper()
	n, err := parseNotification(readFile(t, filepath.Join(dir, "rrdp", notificationName)))
	if err != nil {
		t.Fatalf("parse notification: %v", err)
	}
	return n
}

// fetch reads the file behind an RRDP URL and checks its hash.
func fetch(t testing.TB, dir string, ref fileRef) []byte {
	t.Helper()
	rel, ok := strings.CutPrefix(ref.URI, testRRDP)
	if !ok {
		t.Fatalf("uri %s not under %s", ref.URI, testRRDP)
	}
	b := readFile(t, filepath.Join(dir, "rrdp", filepath.FromSlash(rel)))
	if got := sha256Hex(b); got != ref.Hash {
		t.Fatalf("%s: hash %s, notification says %s", ref.URI, got, ref.Hash)
	}
	return b
}

// snapshotState fetches the current snapshot as URI -> data.
func snapshotState(t testing.TB, dir string) (*notificationFile, map[string][]byte) {
	t.Helper()
	n := readNotification(t, dir)
	s, serial, entries, err := parseSnapshot(fetch(t, dir, n.Snapshot))
	if err != nil {
		t.Fatal(err)
	}
	if s != n.Session || serial != n.Serial {
		t.Fatalf("snapshot %s/%d, notification %s/%d", s, serial, n.Session, n.Serial)
	}
	m := map[string][]byte{}
	for _, e := range entries {
		m[e.URI] = e.Data
	}
	return n, m
}

// treeFiles lists the rsync tree as relative path -> content.
func treeFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	root := filepath.Join(dir, "rsync", "current")
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = string(readFile(t, path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}
