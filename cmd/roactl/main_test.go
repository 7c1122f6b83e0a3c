package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// request is what the fake API saw.
type request struct {
	method, path, query, body, auth, contentType, importName string
}

// answer is the fake API's canned response for "METHOD /path".
type answer struct {
	status int
	body   string
}

type fakeAPI struct {
	srv     *httptest.Server
	answers map[string]answer
	got     []request
}

func newFakeAPI(t *testing.T, answers map[string]answer) *fakeAPI {
	t.Helper()
	f := &fakeAPI{answers: answers}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.got = append(f.got, request{r.Method, r.URL.Path, r.URL.RawQuery, string(b),
			r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("X-Import-Name")})
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":"unauthorized","message":"missing or wrong bearer token"}}`)
			return
		}
		a, ok := f.answers[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"not-found","message":"no such endpoint"}}`)
			return
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// env returns an environment with the fake server and token, plus extra.
func (f *fakeAPI) env(extra ...string) func(string) string {
	m := map[string]string{"ROAD_SERVER": f.srv.URL, "ROAD_TOKEN": "tok"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return func(k string) string { return m[k] }
}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(env func(string) string, args ...string) result {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, env)
	return result{code, out.String(), errb.String()}
}

func expect(t *testing.T, r result, code int, stdout string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	if r.stdout != stdout {
		t.Fatalf("stdout:\n%s\nwant:\n%s", r.stdout, stdout)
	}
}

const appliedAnswer = `{"applied":true,"dry_run":false,"blocked":false,"findings":[` +
	`{"kind":"unseen","severity":"info","overridable":false,"message":"192.0.2.0/24 => AS64496 authorizes no route seen in BGP"}],` +
	`"added":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"serial":7}`

const blockedAnswer = `{"applied":false,"dry_run":false,"blocked":true,"findings":[` +
	`{"kind":"invalidates-route","severity":"block","overridable":true,"route":{"prefix":"192.0.2.128/25","origin":64500},"message":"route 192.0.2.128/25 AS64500 would become Invalid"},` +
	`{"kind":"loose-maxlength","severity":"block","overridable":true,"message":"192.0.2.0/24-25 => AS64496: maxLength 25 but 192.0.2.0/25 is not announced by AS64496"},` +
	`{"kind":"unprotects-route","severity":"warn","overridable":false,"message":"route 198.51.100.0/24 AS64497 would become NotFound"}]}`

func TestROAAddApplied(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{"POST /api/v1/roas/proposals": {200, appliedAnswer}})
	r := runCLI(f.env(), "roa", "add", "192.0.2.0/24 => AS64496")
	expect(t, r, 0, ""+
		"SEVERITY  KIND    MESSAGE\n"+
		"info      unseen  192.0.2.0/24 => AS64496 authorizes no route seen in BGP\n"+
		"result: applied, added 1 and removed 0 ROA(s), RRDP serial 7\n")
	want := request{method: "POST", path: "/api/v1/roas/proposals", auth: "Bearer tok", contentType: "application/json",
		body: `{"add":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"remove":[],"dry_run":false,"force":false,"reason":""}`}
	if len(f.got) != 1 || f.got[0] != want {
		t.Fatalf("requests %+v", f.got)
	}
}

func TestProposeBlocked(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{"POST /api/v1/roas/proposals": {409, blockedAnswer}})
	r := runCLI(f.env(), "roa", "propose", "--add", "192.0.2.0/24-25 => AS64496", "--remove", "198.51.100.0/24 => 64497", "--dry-run")
	expect(t, r, 3, ""+
		"SEVERITY  KIND               MESSAGE\n"+
		"block     invalidates-route  route 192.0.2.128/25 AS64500 would become Invalid\n"+
		"block     loose-maxlength    192.0.2.0/24-25 => AS64496: maxLength 25 but 192.0.2.0/25 is not announced by AS64496\n"+
		"warn      unprotects-route   route 198.51.100.0/24 AS64497 would become NotFound\n"+
		"result: blocked by 2 finding(s); nothing changed (override with --force --reason T)\n")
	if r.stderr != "roactl: blocked by a safety check; nothing changed\n" {
		t.Fatalf("stderr %q", r.stderr)
	}
	want := `{"add":[{"prefix":"192.0.2.0/24","max_length":25,"asn":64496}],"remove":[{"prefix":"198.51.100.0/24","max_length":24,"asn":64497}],"dry_run":true,"force":false,"reason":""}`
	if len(f.got) != 1 || f.got[0].body != want {
		t.Fatalf("requests %+v", f.got)
	}
	// Forced: flags after the positional ROA, reason carried to the server.
	f.answers["POST /api/v1/roas/proposals"] = answer{200, `{"applied":true,"dry_run":false,"blocked":false,"overridden":true,"findings":[],"added":[{"prefix":"192.0.2.0/24","asn":64496}],"serial":8}`}
	r = runCLI(f.env(), "roa", "add", "192.0.2.0/24 => AS64496", "--force", "--reason", "customer moved")
	expect(t, r, 0, "no findings\nresult: applied, added 1 and removed 0 ROA(s), RRDP serial 8 (safety checks overridden)\n")
	if !strings.Contains(f.got[1].body, `"force":true,"reason":"customer moved"`) {
		t.Fatalf("forced body %s", f.got[1].body)
	}
}

// A maxLength outside prefix length..32/128 is not a usage error: the server
// answers it with a blocking bad-maxlength finding and roactl exits 3.
func TestBadMaxLengthIsAFinding(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{})
	f.answers["POST /api/v1/roas/proposals"] = answer{409, `{"applied":false,"dry_run":false,"blocked":true,"findings":[{"kind":"bad-maxlength","severity":"block","overridable":false,"roa":{"prefix":"192.0.2.0/24","max_length":20,"asn":64496},"message":"add[0] \"192.0.2.0/24\": maxLength 20 is outside 24..32 for 192.0.2.0/24"}]}`}
	r := runCLI(f.env(), "roa", "add", "192.0.2.0/24-20 => AS64496")
	if r.code != 3 || !strings.Contains(r.stdout, "bad-maxlength") {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	want := `{"add":[{"prefix":"192.0.2.0/24","max_length":20,"asn":64496}],"remove":[],"dry_run":false,"force":false,"reason":""}`
	if len(f.got) != 1 || f.got[0].body != want {
		t.Fatalf("requests %+v", f.got)
	}
}

func TestMalformedROA(t *testing.T) {
	f := newFakeAPI(t, nil)
	for _, args := range [][]string{
		{"roa", "add", "192.0.2.0/24 => AS64496", "192.0.2.1/24 => AS64496"},
		{"roa", "remove", "192.0.2.0/24-0 => AS64496"},
		{"roa", "propose", "--add", "192.0.2.0/24 AS64496"},
		{"roa", "propose", "--add", "192.0.2.0/24 => AS64496", "--remove", "2001:db8::/32 => ASX"},
	} {
		bad := args[len(args)-1]
		r := runCLI(f.env(), args...)
		if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, "roactl: bad ROA \""+bad+"\": bad-") {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if len(f.got) != 0 {
		t.Fatalf("bad input reached the server: %+v", f.got)
	}
	// Other local checks, also without a request.
	for _, args := range [][]string{
		{"roa", "add", "192.0.2.0/24 => AS64496", "--force"},
		{"roa", "propose"},
		{"intent", "add", "192.0.2.0/24", "ASx"},
		{"intent", "add", "192.0.2.0/33", "AS1"},
		{"bgp", "routes", "banana"},
		{"expiry", "--within", "soon"},
		{"audit", "run", "everything"},
		{"bgp", "import", filepath.Join(t.TempDir(), "missing.mrt")},
	} {
		if r := runCLI(f.env(), args...); r.code != 2 || !strings.HasPrefix(r.stderr, "roactl: ") {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	if len(f.got) != 0 {
		t.Fatalf("bad input reached the server: %+v", f.got)
	}
}

func TestUsage(t *testing.T) {
	r := runCLI(nil)
	if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, "usage: roactl") {
		t.Fatalf("no args: %+v", r)
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"roa", "add", "--help"}, {"status", "-h"}, {"intent", "--help"}, {"expiry", "--help"}} {
		r := runCLI(nil, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: roactl") || r.stderr != "" {
			t.Errorf("%v: %+v", args, r)
		}
	}
	for _, args := range [][]string{{"frobnicate"}, {"roa", "frob"}, {"roa"}, {"status", "--bogus"}, {"--bogus", "status"}, {"status", "extra"}, {"-o", "yaml", "status"}, {"intent", "add", "192.0.2.0/24"}} {
		r := runCLI(nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "roactl: ") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestToken(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{"GET /api/v1/intents": {200, `{"intents":[]}`}})
	empty := t.TempDir()
	noToken := func(k string) string {
		return map[string]string{"ROAD_SERVER": f.srv.URL, "ROAD_DATA_DIR": empty}[k]
	}
	r := runCLI(noToken, "intent", "list")
	if r.code != 2 || !strings.Contains(r.stderr, "no admin token") || len(f.got) != 0 {
		t.Fatalf("missing token: %+v, requests %d", r, len(f.got))
	}
	if err := os.WriteFile(filepath.Join(empty, "admin.token"), []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	expect(t, runCLI(noToken, "intent", "list"), 0, "no intents\n")
	// --token beats the file and the environment; a wrong one is a 401: exit 2.
	r = runCLI(f.env(), "--token", "wrong", "intent", "list")
	if r.code != 2 || r.stderr != "roactl: server refused (401 unauthorized): missing or wrong bearer token\n" {
		t.Fatalf("wrong token: %+v", r)
	}
}

func TestServerErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r := runCLI(func(k string) string { return map[string]string{"ROAD_TOKEN": "tok"}[k] }, "--server", url, "status")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "roactl: cannot talk to the server: ") || !strings.Contains(r.stderr, "refused") {
		t.Fatalf("unreachable: %+v", r)
	}
	r = runCLI(nil, "--server", "ftp://x", "--token", "t", "status")
	if r.code != 2 || !strings.Contains(r.stderr, `--server "ftp://x"`) {
		t.Fatalf("bad server URL: %+v", r)
	}
	f := newFakeAPI(t, map[string]answer{
		"GET /api/v1/status":   {500, `{"error":{"code":"internal","message":"database is locked"}}`},
		"POST /api/v1/intents": {400, `{"error":{"code":"bad-request","message":"prefix 10.0.0.0/8 is not held","details":{"held":["192.0.2.0/24"]}}}`},
		"GET /api/v1/history":  {502, `<html>Bad Gateway</html>`},
	})
	r = runCLI(f.env(), "status")
	if r.code != 1 || r.stderr != "roactl: server refused (500 internal): database is locked\n" {
		t.Fatalf("500: %+v", r)
	}
	r = runCLI(f.env(), "intent", "add", "10.0.0.0/8", "AS1")
	if r.code != 2 || r.stderr != `roactl: server refused (400 bad-request): prefix 10.0.0.0/8 is not held (details: {"held":["192.0.2.0/24"]})`+"\n" {
		t.Fatalf("400: %+v", r)
	}
	if r = runCLI(f.env(), "history"); r.code != 1 || !strings.Contains(r.stderr, "502") {
		t.Fatalf("502: %+v", r)
	}
}

func TestJSONOutput(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{
		"GET /api/v1/roas":            {200, `{"roas":[{"prefix":"192.0.2.0/24","asn":64496,"state":"published","future_field":1}]}`},
		"POST /api/v1/roas/proposals": {409, blockedAnswer},
	})
	want := "{\n  \"roas\": [\n    {\n      \"prefix\": \"192.0.2.0/24\",\n      \"asn\": 64496,\n      \"state\": \"published\",\n      \"future_field\": 1\n    }\n  ]\n}\n"
	expect(t, runCLI(f.env(), "-o", "json", "roa", "list"), 0, want)
	expect(t, runCLI(f.env(), "roa", "list", "-o", "json"), 0, want)
	expect(t, runCLI(f.env(), "roa", "-o=json", "list"), 0, want)
	r := runCLI(f.env(), "roa", "add", "192.0.2.0/24-25 => AS64496", "-o", "json")
	if r.code != 3 || !strings.HasPrefix(r.stdout, "{\n  \"applied\": false,\n") || !strings.Contains(r.stdout, `"kind": "invalidates-route"`) {
		t.Fatalf("blocked json: %+v", r)
	}
}

func TestTables(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{
		"GET /api/v1/roas": {200, `{"roas":[` +
			`{"prefix":"192.0.2.0/24","max_length":24,"asn":64496,"object":"rsync://127.0.0.1:8873/repo/ta/a.roa","not_after":"2027-01-01T00:00:00Z","state":"published"},` +
			`{"prefix":"2001:db8::/32","max_length":48,"asn":64497,"state":"pending","comment":"ddos","exception":"RFC 9319 §5.1"}]}`},
		"GET /api/v1/intents":  {200, `{"intents":[{"prefix":"192.0.2.0/24","origin":64496,"note":"core","created_at":"2026-01-02T03:04:05Z"}]}`},
		"POST /api/v1/intents": {201, `{"prefix":"192.0.2.0/24","origin":64496,"note":"core"}`},
		"GET /api/v1/rp/vrps": {200, `{"metadata":{"buildtime":"2026-01-02T00:00:00Z","vrps":2},"roas":[` +
			`{"prefix":"192.0.2.0/24","maxLength":24,"asn":"AS64496","ta":"road","expires":1798761600},` +
			`{"prefix":"2001:db8::/32","maxLength":48,"asn":"AS64497","ta":"road","expires":1798761600}]}`},
		"GET /api/v1/expiry":      {200, `{"items":[]}`},
		"POST /api/v1/bgp/import": {200, `{"name":"rib.txt","routes":2,"skipped":0}`},
		"GET /api/v1/status": {200, `{"version":"0.1.0","started_at":"2026-01-02T00:00:00Z","now":"2026-01-02T01:00:00Z",` +
			`"ca":{"mode":"testbed","name":"road-ta","resources":["192.0.2.0/24","AS64496-AS64511"],"cert_not_after":"2027-01-02T00:00:00Z","roas":3,"manifest_next_update":"2026-01-03T00:00:00Z","tal":"road-data/road.tal"},` +
			`"publication":{"session":"5f0c","serial":12,"notification":"https://127.0.0.1:8443/rrdp/notification.xml","rsync_base":"rsync://127.0.0.1:8873/repo/","objects":6},` +
			`"rp":{"last_run":"2026-01-02T00:59:00Z","vrps":3,"rejected":0,"ok":true},"rtr":{"listen":"127.0.0.1:8282","serial":4,"has_data":true,"clients":[]}}`},
	})
	expect(t, runCLI(f.env(), "roa", "list"), 0, ""+
		"ROA                          STATE      NOT AFTER             OBJECT                                COMMENT\n"+
		"192.0.2.0/24 => AS64496      published  2027-01-01T00:00:00Z  rsync://127.0.0.1:8873/repo/ta/a.roa  -\n"+
		"2001:db8::/32-48 => AS64497  pending    -                     -                                     ddos [exception: RFC 9319 §5.1]\n")
	expect(t, runCLI(f.env(), "intent", "list"), 0, ""+
		"PREFIX        ORIGIN   NOTE  CREATED\n"+
		"192.0.2.0/24  AS64496  core  2026-01-02T03:04:05Z\n")
	expect(t, runCLI(f.env(), "intent", "add", "192.0.2.0/24", "64496", "--note", "core"), 0, "added intent 192.0.2.0/24 AS64496 (note: core)\n")
	if b := f.got[len(f.got)-1].body; b != `{"prefix":"192.0.2.0/24","origin":64496,"note":"core"}` {
		t.Fatalf("intent body %s", b)
	}
	expect(t, runCLI(f.env(), "rp", "vrps"), 0, ""+
		"metadata.buildtime  2026-01-02T00:00:00Z\n"+
		"metadata.vrps       2\n"+
		"\n"+
		"roas:\n"+
		"PREFIX         MAXLENGTH  ASN      TA    EXPIRES\n"+
		"192.0.2.0/24   24         AS64496  road  1798761600\n"+
		"2001:db8::/32  48         AS64497  road  1798761600\n")
	expect(t, runCLI(f.env(), "expiry", "--within", "30d"), 0, "no items\n")
	if q := f.got[len(f.got)-1].query; q != "within=720h" {
		t.Fatalf("expiry query %q", q)
	}
	file := filepath.Join(t.TempDir(), "rib.txt")
	os.WriteFile(file, []byte("192.0.2.0/24 64496\n2001:db8::/32 64497\n"), 0o644)
	expect(t, runCLI(f.env(), "bgp", "import", file), 0, "name     rib.txt\nroutes   2\nskipped  0\n")
	last := f.got[len(f.got)-1]
	if last.importName != "rib.txt" || last.body != "192.0.2.0/24 64496\n2001:db8::/32 64497\n" || last.contentType != "application/octet-stream" {
		t.Fatalf("import request %+v", last)
	}
	expect(t, runCLI(f.env(), "status"), 0, ""+
		"version               0.1.0\n"+
		"started               2026-01-02T00:00:00Z\n"+
		"CA                    testbed road-ta, 3 ROAs, certificate not after 2027-01-02T00:00:00Z\n"+
		"resources             192.0.2.0/24, AS64496-AS64511\n"+
		"manifest next update  2026-01-03T00:00:00Z\n"+
		"TAL                   road-data/road.tal\n"+
		"publication           serial 12, session 5f0c, 6 objects, last change -\n"+
		"RRDP notification     https://127.0.0.1:8443/rrdp/notification.xml\n"+
		"rsync base            rsync://127.0.0.1:8873/repo/\n"+
		"RP                    ok, 3 VRPs, 0 rejected, last run 2026-01-02T00:59:00Z\n"+
		"RTR                   127.0.0.1:8282, serial 4, has data, 0 clients\n")
}
