package updown

import (
	"context"
	"io"
	"net/http"
	"path"
)

// ServeMessage answers one HTTP POST of RFC 6492 (§3) or RFC 8181 (§2),
// both a single CMS message in the body: it reads at most max+1 bytes (so
// that handle sees, and refuses, a body over the bound without road reading
// more) and passes them to handle with the last element of the URL path,
// the peer's name. what names the protocol in the answer to another method.
func ServeMessage(w http.ResponseWriter, r *http.Request, what, contentType string, max int64,
	handle func(ctx context.Context, peer string, body []byte) (int, []byte)) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST an "+what+" message", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		http.Error(w, "reading the request body failed", http.StatusBadRequest)
		return
	}
	status, resp := handle(r.Context(), path.Base(r.URL.Path), body)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(resp)
}
