package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestLostConnection: a server that reads the whole request and then drops
// the connection (killed mid-request) may have committed a change; roactl
// says so for changes and exits 1. A read that is cut, or a server that
// cannot be reached, is only "cannot talk to the server".
func TestLostConnection(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()
	env := func(k string) string { return map[string]string{"ROAD_SERVER": srv.URL, "ROAD_TOKEN": "tok"}[k] }
	maybe := func(method, path string) string {
		return "roactl: lost the connection to the server during the request (" + method + ` "` + srv.URL + "/api/v1" + path +
			`": EOF): the change may have been applied; see ` + "`roactl history`\n"
	}
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"roa", "add", "192.0.2.0/24 => AS64496"}, maybe("Post", "/roas/proposals")},
		{[]string{"intent", "add", "192.0.2.0/24", "AS64496", "--note", "n"}, maybe("Post", "/intents")},
		{[]string{"intent", "remove", "192.0.2.0/24", "AS64496"}, maybe("Delete", "/intents")},
		{[]string{"roa", "list"}, `roactl: cannot talk to the server: Get "` + srv.URL + "/api/v1/roas\": EOF\n"},
	} {
		r := runCLI(env, c.args...)
		if r.code != 1 || r.stdout != "" || r.stderr != c.stderr {
			t.Errorf("%v: exit %d stdout %q stderr %q\nwant %q", c.args, r.code, r.stdout, r.stderr, c.stderr)
		}
	}
	mu.Lock()
	if len(seen) != 4 || seen[0] != `POST /api/v1/roas/proposals {"add":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"remove":[],"dry_run":false,"force":false,"reason":""}` {
		t.Errorf("server saw %q", seen)
	}
	mu.Unlock()

	// Nothing listening: the change cannot have reached a server.
	url := srv.URL
	srv.Close()
	r := runCLI(env, "roa", "add", "192.0.2.0/24 => AS64496")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "roactl: cannot talk to the server: Post \""+url+"/api/v1/roas/proposals\": dial tcp ") ||
		strings.Contains(r.stderr, "may have been applied") {
		t.Fatalf("refused: %+v", r)
	}
}
