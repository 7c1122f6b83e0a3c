package publish

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func serve(h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerNotificationHeadersAnd304(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	mustPublish(t, p, obj("a.cer", "A", 1))
	h := p.Handler()
	w := serve(h, "GET", "/rrdp/notification.xml", nil)
	body := readFile(t, filepath.Join(dir, "rrdp", notificationName))
	if w.Code != 200 || w.Body.String() != string(body) {
		t.Fatalf("GET: %d %q", w.Code, w.Body.String())
	}
	wantHdr := map[string]string{
		"Content-Type":   "application/xml",
		"Cache-Control":  "max-age=60",
		"Last-Modified":  "Sun, 22 Nov 2026 10:00:00 GMT",
		"Content-Length": strconv.Itoa(len(body)),
	}
	for k, v := range wantHdr {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	etag := w.Header().Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 5 {
		t.Fatalf("ETag %q", etag)
	}
	if w := serve(h, "GET", "/rrdp/notification.xml", map[string]string{"If-Modified-Since": "Sun, 22 Nov 2026 10:00:00 GMT"}); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-Modified-Since: %d", w.Code)
	}
	if w := serve(h, "GET", "/rrdp/notification.xml", map[string]string{"If-None-Match": etag}); w.Code != 304 {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	if w := serve(h, "HEAD", "/rrdp/notification.xml", nil); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("HEAD: %d body %d len %s", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}

	// A second publication within the same second still moves
	// Last-Modified forward, so the If-Modified-Since poll sees it.
	c.Add(300 * time.Millisecond)
	mustPublish(t, p, obj("a.cer", "A2", 1))
	w = serve(h, "GET", "/rrdp/notification.xml", map[string]string{"If-Modified-Since": "Sun, 22 Nov 2026 10:00:00 GMT"})
	if w.Code != 200 || w.Header().Get("Last-Modified") != "Sun, 22 Nov 2026 10:00:01 GMT" {
		t.Fatalf("after second publish: %d Last-Modified %q", w.Code, w.Header().Get("Last-Modified"))
	}
	if w.Header().Get("ETag") == etag {
		t.Fatal("ETag unchanged after a new notification")
	}
	// It survives a restart: the reopened publisher continues from the file's mtime.
	q := openTest(t, testOptions(dir, c))
	mustPublish(t, q, obj("a.cer", "A3", 1))
	if w := serve(h, "GET", "/rrdp/notification.xml", nil); w.Header().Get("Last-Modified") != "Sun, 22 Nov 2026 10:00:02 GMT" {
		t.Fatalf("after reopen: Last-Modified %q", w.Header().Get("Last-Modified"))
	}
}

func TestHandlerSnapshotAndDelta(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	p := openTest(t, testOptions(dir, c))
	big := obj("big.cer", strings.Repeat("b", 2000), 0)
	mustPublish(t, p, big, obj("a.cer", "A", 1))
	c.Add(time.Minute)
	mustPublish(t, p, big, obj("a.cer", "B", 1))
	n := readNotification(t, dir)
	for _, ref := range []fileRef{n.Snapshot, n.Deltas[0].fileRef} {
		path := "/rrdp/" + strings.TrimPrefix(ref.URI, testRRDP)
		w := serve(p.Handler(), "GET", path, nil)
		if w.Code != 200 || sha256Hex(w.Body.Bytes()) != ref.Hash {
			t.Fatalf("%s: %d, hash mismatch", path, w.Code)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=86400, immutable" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
		if lm := w.Header().Get("Last-Modified"); lm != "Sun, 22 Nov 2026 10:01:00 GMT" {
			t.Errorf("%s: Last-Modified %q", path, lm)
		}
	}
}

func TestHandlerRefuses(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, testOptions(dir, newClock()))
	r := mustPublish(t, p, obj("a.cer", "A", 1))
	os.Symlink("/etc/passwd", filepath.Join(dir, "rrdp", "passwd.xml"))
	os.WriteFile(filepath.Join(dir, "secret.xml"), []byte("secret"), 0o644)
	os.WriteFile(filepath.Join(dir, "rrdp", ".tmp-x"), []byte("tmp"), 0o644)
	cases := []struct {
		method, path string
		code         int
	}{
		{"GET", "/rrdp/../secret.xml", 400},
		{"GET", "/rrdp/a/../../secret.xml", 400},
		{"GET", "/rrdp/%2e%2e/secret.xml", 400},
		{"GET", "/rrdp/..%2fsecret.xml", 400},
		{"GET", "/rrdp/.tmp-x", 400},
		{"GET", "/rrdp//notification.xml", 400},
		{"GET", "/rrdp/", 400},
		{"GET", "/rrdp/passwd.xml", 404}, // symlink out of Dir/rrdp
		{"GET", "/rrdp/" + r.Session, 404},
		{"GET", "/rrdp/missing.xml", 404},
		{"GET", "/other/notification.xml", 404},
		{"POST", "/rrdp/notification.xml", 405},
		{"PUT", "/rrdp/notification.xml", 405},
	}
	for _, tc := range cases {
		w := serve(p.Handler(), tc.method, tc.path, nil)
		if w.Code != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.code)
		}
		if strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "root:") {
			t.Errorf("%s %s leaked %q", tc.method, tc.path, w.Body.String())
		}
	}
}
