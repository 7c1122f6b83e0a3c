package rp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// synthRepo is an in-memory RRDP server whose files the test writes by
// hand, so every hash can be made consistent around a deliberate fault.
type synthRepo struct {
	mu    sync.Mutex
	files map[string]string // path -> body
	srv   *httptest.Server
}

func newSynthRepo(t *testing.T) *synthRepo {
	r := &synthRepo{files: map[string]string{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		body, ok := r.files[req.URL.Path]
		r.mu.Unlock()
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func hexHash(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

const synthNS = `xmlns="http://www.ripe.net/rpki/rrdp" version="1"`

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// put stores a file and returns its URL and hash.
func (r *synthRepo) put(path, body string) (string, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[path] = body
	return r.srv.URL + path, hexHash(body)
}

// publishState writes the snapshot for objs (uri -> content) and a
// notification listing it and the given deltas (serial -> body).
func (r *synthRepo) publishState(session string, serial int, objs map[string]string, deltas map[int]string) {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<snapshot %s session_id="%s" serial="%d">`, synthNS, session, serial)
	for _, u := range slices.Sorted(func(y func(string) bool) {
		for k := range objs {
			if !y(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&sb, `<publish uri="%s">%s</publish>`, u, b64(objs[u]))
	}
	sb.WriteString(`</snapshot>`)
	su, sh := r.put(fmt.Sprintf("/%s/%d/snapshot.xml", session, serial), sb.String())
	var nb strings.Builder
	fmt.Fprintf(&nb, `<notification %s session_id="%s" serial="%d"><snapshot uri="%s" hash="%s"/>`, synthNS, session, serial, su, sh)
	for s, body := range deltas {
		du, dh := r.put(fmt.Sprintf("/%s/%d/delta.xml", session, s), body)
		fmt.Fprintf(&nb, `<delta serial="%d" uri="%s" hash="%s"/>`, s, du, dh)
	}
	nb.WriteString(`</notification>`)
	r.put("/notification.xml", nb.String())
}

func delta(session string, serial int, elems ...string) string {
	return fmt.Sprintf(`<delta %s session_id="%s" serial="%d">%s</delta>`, synthNS, session, serial, strings.Join(elems, ""))
}

func pubEl(uri, content, replaces string) string {
	if replaces != "" {
		return fmt.Sprintf(`<publish uri="%s" hash="%s">%s</publish>`, uri, hexHash(replaces), b64(content))
	}
	return fmt.Sprintf(`<publish uri="%s">%s</publish>`, uri, b64(content))
}

func wdEl(uri, content string) string {
	return fmt.Sprintf(`<withdraw uri="%s" hash="%s"/>`, uri, hexHash(content))
}

const (
	sessA = "9df4b597-af9e-4dca-bdda-719cce2c4e28"
	sessB = "1ab2c3d4-0000-4000-8000-000000000001"
	uA    = "rsync://h.example/m/a.cer"
	uB    = "rsync://h.example/m/b.roa"
	uC    = "rsync://h.example/m/c.roa"
)

// repoFiles lists the repository tree's files as "uri=content".
func repoFiles(t *testing.T, cache, notify string) []string {
	t.Helper()
	root := repoDir(cache, notify)
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out = append(out, "rsync://"+filepath.ToSlash(rel)+"="+string(b))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestRRDPSemantics(t *testing.T) {
	ctx := context.Background()
	type step struct {
		name    string
		setup   func(r *synthRepo)
		want    SyncResult // Session, Serial, Snapshot, Deltas, Unchanged compared
		wantErr Reason
		files   []string
	}
	base := map[string]string{uA: "A1", uB: "B1"}
	steps := []step{
		{"first contact loads the snapshot", func(r *synthRepo) { r.publishState(sessA, 1, base, nil) },
			SyncResult{Session: sessA, Serial: 1, Snapshot: true}, "", []string{uA + "=A1", uB + "=B1"}},
		{"same serial: unchanged", func(r *synthRepo) {},
			SyncResult{Session: sessA, Serial: 1, Unchanged: true}, "", []string{uA + "=A1", uB + "=B1"}},
		{"two deltas: replace, add, withdraw", func(r *synthRepo) {
			r.publishState(sessA, 3, map[string]string{uA: "A2", uC: "C1"}, map[int]string{
				2: delta(sessA, 2, pubEl(uA, "A2", "A1"), pubEl(uC, "C1", "")),
				3: delta(sessA, 3, wdEl(uB, "B1")),
			})
		}, SyncResult{Session: sessA, Serial: 3, Deltas: 2}, "", []string{uA + "=A2", uC + "=C1"}},
		{"a delta replacing with the wrong hash: snapshot instead", func(r *synthRepo) {
			r.publishState(sessA, 4, map[string]string{uA: "A3", uC: "C1"}, map[int]string{
				4: delta(sessA, 4, pubEl(uA, "A3", "not-A2")),
			})
		}, SyncResult{Session: sessA, Serial: 4, Snapshot: true}, "", []string{uA + "=A3", uC + "=C1"}},
		{"a delta publishing over an existing object without its hash: snapshot", func(r *synthRepo) {
			r.publishState(sessA, 5, map[string]string{uA: "A4", uC: "C1"}, map[int]string{
				5: delta(sessA, 5, pubEl(uA, "A4", "")),
			})
		}, SyncResult{Session: sessA, Serial: 5, Snapshot: true}, "", []string{uA + "=A4", uC + "=C1"}},
		{"a delta withdrawing an unknown object: snapshot", func(r *synthRepo) {
			r.publishState(sessA, 6, map[string]string{uA: "A4", uC: "C1"}, map[int]string{
				6: delta(sessA, 6, wdEl(uB, "B1")),
			})
		}, SyncResult{Session: sessA, Serial: 6, Snapshot: true}, "", []string{uA + "=A4", uC + "=C1"}},
		{"a delta of another session: snapshot", func(r *synthRepo) {
			r.publishState(sessA, 7, map[string]string{uA: "A5", uC: "C1"}, map[int]string{
				7: delta(sessB, 7, pubEl(uA, "A5", "A4")),
			})
		}, SyncResult{Session: sessA, Serial: 7, Snapshot: true}, "", []string{uA + "=A5", uC + "=C1"}},
		{"a gap in the deltas: snapshot", func(r *synthRepo) {
			r.publishState(sessA, 9, map[string]string{uA: "A6"}, map[int]string{
				9: delta(sessA, 9, pubEl(uA, "A6", "A5")),
			})
		}, SyncResult{Session: sessA, Serial: 9, Snapshot: true}, "", []string{uA + "=A6"}},
		{"serial going back in the same session: refused, cache kept", func(r *synthRepo) {
			r.publishState(sessA, 8, map[string]string{uA: "OLD"}, nil)
		}, SyncResult{}, ReasonRRDPSerial, []string{uA + "=A6"}},
		{"a new session: its snapshot replaces everything", func(r *synthRepo) {
			r.publishState(sessB, 1, map[string]string{uB: "B9"}, nil)
		}, SyncResult{Session: sessB, Serial: 1, Snapshot: true}, "", []string{uB + "=B9"}},
		{"snapshot publishing one URI twice: refused, cache kept", func(r *synthRepo) {
			r.publishState(sessB, 2, map[string]string{uB: "B10"}, nil)
			r.mu.Lock()
			p := "/" + sessB + "/2/snapshot.xml"
			body := strings.Replace(r.files[p], "</snapshot>", pubEl(uB, "B11", "")+"</snapshot>", 1)
			r.mu.Unlock()
			su, sh := r.put(p, body)
			r.put("/notification.xml", fmt.Sprintf(`<notification %s session_id="%s" serial="2"><snapshot uri="%s" hash="%s"/></notification>`, synthNS, sessB, su, sh))
		}, SyncResult{}, ReasonRRDPMalformed, []string{uB + "=B9"}},
		{"snapshot URI escaping the cache: refused", func(r *synthRepo) {
			r.publishState(sessB, 3, map[string]string{"rsync://h.example/m/../../x": "X"}, nil)
		}, SyncResult{}, ReasonBadURI, []string{uB + "=B9"}},
	}
	r := newSynthRepo(t)
	cache := t.TempDir()
	c := &RRDPClient{HTTP: r.srv.Client(), Cache: cache}
	notify := r.srv.URL + "/notification.xml"
	for _, s := range steps {
		s.setup(r)
		got, err := c.Sync(ctx, notify)
		if ReasonOf(err) != s.wantErr || (s.wantErr == "" && err != nil) {
			t.Fatalf("%s: err %v, want %q", s.name, err, s.wantErr)
		}
		if err == nil {
			got.Objects = 0
			if got != s.want {
				t.Fatalf("%s: %+v\nwant %+v", s.name, got, s.want)
			}
		}
		if files := repoFiles(t, cache, notify); !slices.Equal(files, s.files) {
			t.Fatalf("%s: files %q\nwant %q", s.name, files, s.files)
		}
	}
}

// TestRRDPRewrittenDeltaAndPollInterval: a delta serial seen before with
// another hash makes the client trust only the snapshot; MinInterval
// skips fetches closer than it (RFC 8182 §3.4.4).
func TestRRDPRewrittenDeltaAndPollInterval(t *testing.T) {
	ctx := context.Background()
	r := newSynthRepo(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &RRDPClient{HTTP: r.srv.Client(), Cache: t.TempDir(), Clock: func() time.Time { return now }}
	notify := r.srv.URL + "/notification.xml"
	r.publishState(sessA, 1, map[string]string{uA: "A1"}, nil)
	if res, err := c.Sync(ctx, notify); err != nil || !res.Snapshot {
		t.Fatalf("%+v %v", res, err)
	}
	d2 := delta(sessA, 2, pubEl(uA, "A2", "A1"))
	r.publishState(sessA, 2, map[string]string{uA: "A2"}, map[int]string{2: d2})
	if res, err := c.Sync(ctx, notify); err != nil || res.Deltas != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	// Serial 3 arrives, but delta 2 is listed with another hash now.
	r.publishState(sessA, 3, map[string]string{uA: "A3"}, map[int]string{
		2: delta(sessA, 2, pubEl(uA, "A2x", "A1")),
		3: delta(sessA, 3, pubEl(uA, "A3", "A2")),
	})
	if res, err := c.Sync(ctx, notify); err != nil || !res.Snapshot || res.Deltas != 0 {
		t.Fatalf("rewritten history: %+v %v", res, err)
	}
	if got := repoFiles(t, c.Cache, notify); !slices.Equal(got, []string{uA + "=A3"}) {
		t.Fatalf("files %q", got)
	}
	// MinInterval: no request within the minute, one after it.
	c.MinInterval = time.Minute
	r.publishState(sessA, 4, map[string]string{uA: "A4"}, map[int]string{4: delta(sessA, 4, pubEl(uA, "A4", "A3"))})
	now = now.Add(30 * time.Second)
	if res, err := c.Sync(ctx, notify); err != nil || !res.Unchanged || res.Serial != 3 {
		t.Fatalf("within the interval: %+v %v", res, err)
	}
	now = now.Add(31 * time.Second)
	if res, err := c.Sync(ctx, notify); err != nil || res.Deltas != 1 || res.Serial != 4 {
		t.Fatalf("after the interval: %+v %v", res, err)
	}
}

// TestRRDPResync: a delta that is consistent RRDP but leaves content the
// snapshot does not have (the state then fails validation), and a file
// damaged on disk, are both repaired by Resync, which loads the snapshot
// whatever the state says; the next Sync finds nothing new.
func TestRRDPResync(t *testing.T) {
	ctx := context.Background()
	r := newSynthRepo(t)
	c := &RRDPClient{HTTP: r.srv.Client(), Cache: t.TempDir()}
	notify := r.srv.URL + "/notification.xml"
	r.publishState(sessA, 1, map[string]string{uA: "A1", uB: "B1"}, nil)
	if _, err := c.Sync(ctx, notify); err != nil {
		t.Fatal(err)
	}
	r.publishState(sessA, 2, map[string]string{uA: "A2", uB: "B1"}, map[int]string{2: delta(sessA, 2, pubEl(uA, "A2-wrong", "A1"))})
	if res, err := c.Sync(ctx, notify); err != nil || res.Deltas != 1 {
		t.Fatalf("delta: %+v %v", res, err)
	}
	p, _ := (&cache{root: repoDir(c.Cache, notify)}).path(uB)
	if err := os.WriteFile(p, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := repoFiles(t, c.Cache, notify); !slices.Equal(got, []string{uA + "=A2-wrong", uB + "=damaged"}) {
		t.Fatalf("before: %q", got)
	}
	res, err := c.Resync(ctx, notify)
	if err != nil || !res.Snapshot || res.Serial != 2 {
		t.Fatalf("resync: %+v %v", res, err)
	}
	if got := repoFiles(t, c.Cache, notify); !slices.Equal(got, []string{uA + "=A2", uB + "=B1"}) {
		t.Fatalf("after: %q", got)
	}
	if res, err := c.Sync(ctx, notify); err != nil || !res.Unchanged {
		t.Fatalf("next sync: %+v %v", res, err)
	}
}
