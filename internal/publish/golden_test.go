package publish

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

// goldenSteps publishes two fixed serials with a pinned clock and random
// stream, so every byte of every file is reproducible.
func goldenSteps(t *testing.T, dir string) {
	c := newClock()
	// A large unchanged object keeps the delta smaller than the snapshot, so
	// the size rule (RFC 8182 §3.3.2) lets the notification list it.
	big := obj("ca/big.cer", strings.Repeat("0123456789", 60), 0)
	p := openTest(t, testOptions(dir, c))
	r := mustPublish(t, p, big, obj("ca/a.cer", "certificate A", 1), obj("ca/b.roa", "roa B v1", 2), obj("ca/c.mft", "manifest v1", 3))
	if want := (Result{Session: r.Session, Serial: 1, Changed: true, Added: 4}); r != want {
		t.Fatalf("serial 1 result %+v, want %+v", r, want)
	}
	golden(t, "notification-1.xml", readFile(t, filepath.Join(dir, "rrdp", notificationName)))
	n := readNotification(t, dir)
	golden(t, "snapshot-1.xml", fetch(t, dir, n.Snapshot))
	c.Add(90e9)
	r = mustPublish(t, p, big, obj("ca/a.cer", "certificate A", 1), obj("ca/b.roa", "roa B v2 <&>", 4), obj("ca/sub/d.roa", "roa D", 5))
	if want := (Result{Session: r.Session, Serial: 2, Changed: true, Added: 1, Replaced: 1, Withdrawn: 1}); r != want {
		t.Fatalf("serial 2 result %+v, want %+v", r, want)
	}
	golden(t, "notification-2.xml", readFile(t, filepath.Join(dir, "rrdp", notificationName)))
	n = readNotification(t, dir)
	golden(t, "snapshot-2.xml", fetch(t, dir, n.Snapshot))
	golden(t, "delta-2.xml", fetch(t, dir, n.Deltas[0].fileRef))
}

func TestGoldenRRDPFiles(t *testing.T) {
	goldenSteps(t, t.TempDir())
}

func TestRelaxNGSchema(t *testing.T) {
	xmllint := lookTool(t, "xmllint")
	dir := t.TempDir()
	goldenSteps(t, dir)
	for _, f := range []string{"notification-1.xml", "snapshot-1.xml", "notification-2.xml", "snapshot-2.xml", "delta-2.xml"} {
		out, err := runTool(xmllint, "--noout", "--relaxng", filepath.Join("testdata", "rrdp.rng"), filepath.Join("testdata", f))
		if err != nil {
			t.Errorf("%s does not validate: %v\n%s", f, err, out)
		}
	}
	// The schema must be able to fail: a delta without elements is invalid.
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte(`<delta xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="0-a" serial="2"></delta>`), 0o644)
	if out, err := runTool(xmllint, "--noout", "--relaxng", filepath.Join("testdata", "rrdp.rng"), bad); err == nil {
		t.Errorf("empty delta validated:\n%s", out)
	}
}
