package api

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/updownsrv"
)

// TestProtocolEndpointsArePublic: the RFC 6492 and RFC 8181 endpoints
// answer without a token (the CMS authenticates), only to POST, and their
// handlers never read more than the bound plus one byte.
func TestProtocolEndpointsArePublic(t *testing.T) {
	f := newAuthFixture(t)
	var got []string
	echo := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			got = append(got, name+" "+chi.URLParam(r, "child")+chi.URLParam(r, "publisher")+" "+strings.Repeat("x", min(len(b), 3)))
			if err != nil {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
			}
		})
	}
	MountProtocols(f.router, echo("updown"), echo("publication"))
	for _, c := range []struct {
		method, path string
		body         []byte
		status       int
	}{
		{"POST", "/rfc6492/B", []byte("xxxx"), 200},
		{"POST", "/rfc8181/B", []byte("xx"), 200},
		{"GET", "/rfc6492/B", nil, 405},
		{"POST", "/rfc6492/B", bytes.Repeat([]byte("x"), updownsrv.MaxBody+2), 413},
		{"POST", "/api/v1/children", []byte("{}"), 401},
	} {
		req, _ := http.NewRequest(c.method, f.srv.URL+c.path, bytes.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
	}
	if strings.Join(got, ";") != "updown B xxx;publication B xx;updown B xxx" {
		t.Fatalf("handlers saw %q", got)
	}
}
