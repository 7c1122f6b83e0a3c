package publish

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Handler serves the files under Dir/rrdp/ for request paths /rrdp/...
//
// The notification may be cached for at most a minute (RFC 8182 §3.5.1.2);
// snapshots and deltas live at URLs that never change content (§3.5.2.2,
// §3.5.3.2), so they are cacheable for a day. Conditional requests
// (If-Modified-Since, If-None-Match), HEAD and ranges are answered by
// http.ServeContent. Paths with "..", hidden names or other characters are
// refused; files are opened through os.Root, which also refuses symlinks
// leading out of Dir/rrdp.
func (p *Publisher) Handler() http.Handler {
	return http.HandlerFunc(p.serveRRDP)
}

func (p *Publisher) serveRRDP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rel, ok := strings.CutPrefix(r.URL.Path, "/rrdp/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !safeRel(rel) {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	root, err := os.OpenRoot(p.rrdpDir)
	if err != nil {
		p.log.Error("rrdp directory unavailable", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Content-Type-Options", "nosniff")
	if rel == notificationName {
		h.Set("Cache-Control", "max-age=60")
	} else {
		h.Set("Cache-Control", "public, max-age=86400, immutable")
	}
	// The notification's mtime strictly increases per write and snapshots
	// and deltas never change, so mtime and size identify the content.
	h.Set("ETag", fmt.Sprintf(`"%x-%x"`, info.ModTime().UnixNano(), info.Size()))
	http.ServeContent(w, r, "", info.ModTime(), f)
}

// ObjectHandler serves the published object at uri (e.g. the TA certificate
// at the HTTPS URI of a TAL, RFC 8630 §2.2) as contentType, 503 until it is
// published.
func (p *Publisher) ObjectHandler(uri, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		data, ok := p.Lookup(uri)
		if !ok {
			http.Error(w, "no TA certificate yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(data)
	})
}
