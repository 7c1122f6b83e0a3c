package daemon

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/testshared"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// testDaemon opens a daemon on a temp dir (no Run: the REST handler is
// served by httptest) holding the documentation ranges.
func testDaemon(t testing.TB) (*Daemon, *httptest.Server) {
	t.Helper()
	return testDaemonIn(t, t.TempDir(), nil)
}

// testConfig is the embedded default on dir with every listener and audit
// schedule off.
func testConfig(dir string) *config.Config {
	c := config.Default()
	c.DataDir, c.HTTP, c.HTTPS, c.RTR = dir, "", "", ""
	c.Schedule = config.Schedule{}
	return c
}

// testDaemonIn opens a daemon on dir; opts, when set, adjusts the
// configuration and the runtime.
func testDaemonIn(t testing.TB, dir string, opts func(*config.Config, *Runtime)) (*Daemon, *httptest.Server) {
	t.Helper()
	c := testConfig(dir)
	c.HTTP = "127.0.0.1:0"
	rt := Runtime{KeyPoolSize: 4, Clock: func() time.Time { return testNow }}
	if opts != nil {
		opts(c, &rt)
	}
	d, err := Open(context.Background(), c, rt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	srv := httptest.NewServer(d.httpHandler())
	t.Cleanup(srv.Close)
	return d, srv
}

// do sends one request and returns the status and the body.
func do(t *testing.T, d *Daemon, srv *httptest.Server, method, path string, body io.Reader, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/api/v1"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.Token())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func expectHTTP(t *testing.T, d *Daemon, srv *httptest.Server, method, path, body string, wantCode int, want string, header ...string) {
	t.Helper()
	code, got := do(t, d, srv, method, path, strings.NewReader(body), header...)
	if code != wantCode || got != want {
		t.Errorf("%s %s: %d\n%s\nwant %d\n%s", method, path, code, got, wantCode, want)
	}
}

// compactJSON re-encodes an answer on one line for exact comparisons.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return b.String()
}

func expectJSON(t *testing.T, d *Daemon, srv *httptest.Server, method, path, body string, wantCode int, want string, header ...string) {
	t.Helper()
	code, got := do(t, d, srv, method, path, strings.NewReader(body), header...)
	if code != wantCode || compactJSON(t, got) != want {
		t.Errorf("%s %s: %d\n%s\nwant %d\n%s", method, path, code, compactJSON(t, got), wantCode, want)
	}
}

const importText = "# routes the holder sees\n198.51.100.0/24 64497\n198.51.100.0/25 64497\n203.0.113.0/24 AS64499\n2001:db8:1::/48 64498\n10.0.0.0/8 64500\n"

func TestBGPImportAndRoutes(t *testing.T) {
	d, srv := testDaemon(t)
	expectJSON(t, d, srv, "POST", "/bgp/import", importText, 200,
		`{"name":"rib.txt","format":"text","compression":"","records":5,"routes":5,"withdrawals":0,"unique":5,"prefixes":5,"skipped":{},"table_routes":5}`,
		"X-Import-Name", "rib.txt")
	expectJSON(t, d, srv, "GET", "/bgp/routes?prefix=198.51.100.0/24", "", 200,
		`{"routes":[{"prefix":"198.51.100.0/24","origin":64497,"peers":["import:rib.txt"],"last_seen":"2026-03-04T05:06:07Z"},`+
			`{"prefix":"198.51.100.0/25","origin":64497,"peers":["import:rib.txt"],"last_seen":"2026-03-04T05:06:07Z"}],"total":2}`)
	expectJSON(t, d, srv, "GET", "/bgp/routes?limit=2", "", 200,
		`{"routes":[{"prefix":"10.0.0.0/8","origin":64500,"peers":["import:rib.txt"],"last_seen":"2026-03-04T05:06:07Z"},`+
			`{"prefix":"198.51.100.0/24","origin":64497,"peers":["import:rib.txt"],"last_seen":"2026-03-04T05:06:07Z"}],"total":5,"truncated":true}`)

	// gzip of the same routes under another name: both sources listed.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("2001:db8:1::/48 64498\n"))
	zw.Close()
	expectJSON(t, d, srv, "POST", "/bgp/import?name=v6", gz.String(), 200,
		`{"name":"v6","format":"text","compression":"gzip","records":1,"routes":1,"withdrawals":0,"unique":1,"prefixes":1,"skipped":{},"table_routes":5}`)
	expectJSON(t, d, srv, "GET", "/bgp/routes?prefix=2001:db8::/32", "", 200,
		`{"routes":[{"prefix":"2001:db8:1::/48","origin":64498,"peers":["import:rib.txt","import:v6"],"last_seen":"2026-03-04T05:06:07Z"}],"total":1}`)

	// Re-importing a name replaces its routes; unimport forgets them.
	expectJSON(t, d, srv, "POST", "/bgp/import", "203.0.113.0/24 64499\n", 200,
		`{"name":"rib.txt","format":"text","compression":"","records":1,"routes":1,"withdrawals":0,"unique":1,"prefixes":1,"skipped":{},"table_routes":2}`,
		"X-Import-Name", "rib.txt")
	expectJSON(t, d, srv, "DELETE", "/bgp/imports/v6", "", 200, `{"removed":"v6"}`)
	expectJSON(t, d, srv, "GET", "/bgp/routes", "", 200,
		`{"routes":[{"prefix":"203.0.113.0/24","origin":64499,"peers":["import:rib.txt"],"last_seen":"2026-03-04T05:06:07Z"}],"total":1}`)
	expectJSON(t, d, srv, "DELETE", "/bgp/imports/v6", "", 404, `{"error":{"code":"not-found","message":"no import named \"v6\""}}`)
	expectJSON(t, d, srv, "GET", "/bgp/peers", "", 200, `{"peers":[]}`)

	var hist api.HistoryList
	_, body := do(t, d, srv, "GET", "/history", nil)
	if err := json.Unmarshal([]byte(body), &hist); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist.Entries {
		got = append(got, e.Action+": "+e.Summary)
	}
	want := []string{"bgp-import-remove: removed the routes of import:v6", "bgp-import: imported 1 routes (1 prefixes) as import:rib.txt",
		"bgp-import: imported 1 routes (1 prefixes) as import:v6", "bgp-import: imported 5 routes (5 prefixes) as import:rib.txt"}
	if len(got) < 4 || strings.Join(got[:4], "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s", strings.Join(got, "\n"))
	}
}

// TestBGPBadInput: every mistake of the caller is a 4xx with the error JSON.
func TestBGPBadInput(t *testing.T) {
	d, srv := testDaemon(t)
	cases := []struct {
		method, path, body string
		header             []string
		code               int
		want               string
	}{
		{"GET", "/bgp/routes?prefix=banana", "", nil, 400, `{"error":{"code":"bad-request","message":"prefix: bad-syntax: prefix \"banana\": netip.ParsePrefix(\"banana\"): no '/'"}}`},
		{"GET", "/bgp/routes?prefix=192.0.2.1/24", "", nil, 400, `{"error":{"code":"bad-request","message":"prefix: bad-syntax: prefix \"192.0.2.1/24\" has host bits set (did you mean 192.0.2.0/24?)"}}`},
		{"GET", "/bgp/routes?limit=0", "", nil, 400, `{"error":{"code":"bad-request","message":"limit \"0\": want a positive number"}}`},
		{"GET", "/bgp/routes?limit=x", "", nil, 400, `{"error":{"code":"bad-request","message":"limit \"x\": want a positive number"}}`},
		{"GET", "/bgp/routes?limit=1000000", "", nil, 400, `{"error":{"code":"bad-request","message":"limit 1000000: want 1..200000"}}`},
		{"POST", "/bgp/import", "\x1f\x8bnot really gzip", nil, 400, `{"error":{"code":"bad-request","message":"import upload: bgp: import-format: gzip: invalid header"}}`},
		{"POST", "/bgp/import", "BZh9 not bzip2 either", nil, 400, `{"error":{"code":"bad-request","message":"import upload: bgp: import-format: bzip2 data invalid: bad magic value found"}}`},
		{"POST", "/bgp/import", "\x00\x00\x00\x00\x00\x0d\x00\x01\x00\x00\x00\x02\xff\xff", nil, 400,
			`{"error":{"code":"bad-request","message":"import upload: no routes found in 1 mrt record(s); nothing changed","details":{"skipped":{"truncated":1}}}}`},
		{"POST", "/bgp/import", "hello world\n", nil, 400,
			`{"error":{"code":"bad-request","message":"import upload: no routes found in 1 text record(s); nothing changed","details":{"skipped":{"bad-prefix":1}}}}`},
		{"POST", "/bgp/import", "", []string{"X-Import-Name", "a b"}, 400, `{"error":{"code":"bad-request","message":"import name \"a b\": want 1..64 of A-Z a-z 0-9 . _ - (not starting with .)"}}`},
		{"POST", "/bgp/import", "", []string{"X-Import-Name", strings.Repeat("n", 65)}, 400,
			`{"error":{"code":"bad-request","message":"import name \"` + strings.Repeat("n", 65) + `\": want 1..64 of A-Z a-z 0-9 . _ - (not starting with .)"}}`},
		{"POST", "/bgp/import?name=../etc", "", nil, 400, `{"error":{"code":"bad-request","message":"import name \"../etc\": want 1..64 of A-Z a-z 0-9 . _ - (not starting with .)"}}`},
		{"POST", "/bgp/import?name=.tmp-x", "", nil, 400, `{"error":{"code":"bad-request","message":"import name \".tmp-x\": want 1..64 of A-Z a-z 0-9 . _ - (not starting with .)"}}`},
		{"DELETE", "/bgp/imports/..", "", nil, 404, `{"error":{"code":"not-found","message":"no import named \"..\""}}`},
		{"DELETE", "/bgp/imports/nothing", "", nil, 404, `{"error":{"code":"not-found","message":"no import named \"nothing\""}}`},
		{"POST", "/intents", `{"prefix":"10.0.0.0/8","origin":64496}`, nil, 400,
			`{"error":{"code":"bad-request","message":"intent 10.0.0.0/8 is outside the CA's IP resources","details":{"held":["192.0.2.0/24","198.51.100.0/24","203.0.113.0/24","2001:db8::/32"]}}}`},
		{"POST", "/intents", `{"prefix":"192.0.2.0/24","origin":0}`, nil, 400,
			`{"error":{"code":"bad-request","message":"intent 192.0.2.0/24: origin AS0 cannot announce anything (RFC 7607)"}}`},
		{"POST", "/roas/proposals", `{"add":[{"prefix":"192.0.2.0/24","asn":64496,"exception":"a\nb"}]}`, nil, 400,
			`{"error":{"code":"bad-request","message":"add[0] \"192.0.2.0/24\": exception reason must be one line of at most 500 bytes"}}`},
	}
	for _, c := range cases {
		expectJSON(t, d, srv, c.method, c.path, c.body, c.code, c.want, c.header...)
	}
}

// TestProposalAgainstImportedRoutes runs the checks over imported routes and
// intents through REST: 409 with every finding, force, exceptions, analysis
// and suggestions.
func TestProposalAgainstImportedRoutes(t *testing.T) {
	d, srv := testDaemon(t)
	if code, body := do(t, d, srv, "POST", "/bgp/import", strings.NewReader(importText), "X-Import-Name", "rib"); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	expectJSON(t, d, srv, "POST", "/intents", `{"prefix":"192.0.2.0/24","origin":64496,"note":"core"}`, 201,
		`{"prefix":"192.0.2.0/24","origin":64496,"note":"core","created_at":"2026-03-04T05:06:07Z"}`)
	expectJSON(t, d, srv, "POST", "/roas/proposals", `{"add":[{"prefix":"198.51.100.0/24","asn":64497}]}`, 409, `{"applied":false,"dry_run":false,"blocked":true,"findings":[{"kind":"invalidates-route","severity":"block","overridable":true,"roa":{"prefix":"198.51.100.0/24","max_length":24,"asn":64497},"route":{"prefix":"198.51.100.0/25","origin":64497},"message":"route 198.51.100.0/25 from AS64497 is not-found now and would be invalid (invalid-length) after adding 198.51.100.0/24 => AS64497"}],"impact":{"harmed_routes":1,"unprotected_routes":0,"helped_routes":1,"changed_routes":2,"transitions":[{"from":"not-found","to":"invalid","count":1,"routes":[{"prefix":"198.51.100.0/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-length","peers":["import:rib"]}]},{"from":"not-found","to":"valid","count":1,"routes":[{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}],"harmed":{"routes":1,"own_routes":1,"ipv4_slash24":0.5,"ipv6_slash48":0,"own_ipv4_share":0.25,"own_ipv6_share":0,"origins":[64497],"origin_count":1,"peers":["import:rib"],"largest":[{"prefix":"198.51.100.0/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-length","peers":["import:rib"]}]},"helped":{"routes":1,"own_routes":1,"ipv4_slash24":1,"ipv6_slash48":0,"own_ipv4_share":0.5,"own_ipv6_share":0,"origins":[64497],"origin_count":1,"peers":["import:rib"],"largest":[{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}}}`)
	expectJSON(t, d, srv, "POST", "/roas/proposals", `{"add":[{"prefix":"198.51.100.0/24","asn":64497}],"force":true,"reason":"customer /25 moves next week"}`, 200, `{"applied":true,"dry_run":false,"blocked":false,"overridden":true,"findings":[{"kind":"invalidates-route","severity":"block","overridable":true,"roa":{"prefix":"198.51.100.0/24","max_length":24,"asn":64497},"route":{"prefix":"198.51.100.0/25","origin":64497},"message":"route 198.51.100.0/25 from AS64497 is not-found now and would be invalid (invalid-length) after adding 198.51.100.0/24 => AS64497"}],"added":[{"prefix":"198.51.100.0/24","max_length":24,"asn":64497}],"serial":2,"impact":{"harmed_routes":1,"unprotected_routes":0,"helped_routes":1,"changed_routes":2,"transitions":[{"from":"not-found","to":"invalid","count":1,"routes":[{"prefix":"198.51.100.0/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-length","peers":["import:rib"]}]},{"from":"not-found","to":"valid","count":1,"routes":[{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}],"harmed":{"routes":1,"own_routes":1,"ipv4_slash24":0.5,"ipv6_slash48":0,"own_ipv4_share":0.25,"own_ipv6_share":0,"origins":[64497],"origin_count":1,"peers":["import:rib"],"largest":[{"prefix":"198.51.100.0/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-length","peers":["import:rib"]}]},"helped":{"routes":1,"own_routes":1,"ipv4_slash24":1,"ipv6_slash48":0,"own_ipv4_share":0.5,"own_ipv6_share":0,"origins":[64497],"origin_count":1,"peers":["import:rib"],"largest":[{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}},"change_id":1}`)
	expectJSON(t, d, srv, "POST", "/roas/proposals", `{"add":[{"prefix":"203.0.113.0/24","max_length":26,"asn":64499,"exception":"DDoS scrubbing"}],"dry_run":true}`, 200, `{"applied":false,"dry_run":true,"blocked":false,"findings":[{"kind":"loose-maxlength-excepted","severity":"info","overridable":false,"roa":{"prefix":"203.0.113.0/24","max_length":26,"asn":64499},"message":"203.0.113.0/24-26 => AS64499 authorizes unannounced 203.0.113.0/25; accepted as a recorded exception (DDoS scrubbing)"}],"added":[{"prefix":"203.0.113.0/24","max_length":26,"asn":64499,"exception":"DDoS scrubbing"}],"impact":{"harmed_routes":0,"unprotected_routes":0,"helped_routes":1,"changed_routes":1,"transitions":[{"from":"not-found","to":"valid","count":1,"routes":[{"prefix":"203.0.113.0/24","origin":64499,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}],"harmed":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]},"helped":{"routes":1,"own_routes":1,"ipv4_slash24":1,"ipv6_slash48":0,"own_ipv4_share":0.5,"own_ipv6_share":0,"origins":[64499],"origin_count":1,"peers":["import:rib"],"largest":[{"prefix":"203.0.113.0/24","origin":64499,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}}}`)
	expectJSON(t, d, srv, "GET", "/bgp/analysis", "", 200, `{"roas":[{"roa":{"prefix":"198.51.100.0/24","max_length":24,"asn":64497},"state":"seen","authorizes":[{"prefix":"198.51.100.0/24","origin":64497}],"disallows":[{"prefix":"198.51.100.0/25","origin":64497}],"tightest_max_length":24}],"routes":[{"route":{"prefix":"198.51.100.0/24","origin":64497},"state":"valid","covering":[{"prefix":"198.51.100.0/24","max_length":24,"asn":64497}],"allowed_by":[{"prefix":"198.51.100.0/24","max_length":24,"asn":64497}]},{"route":{"prefix":"198.51.100.0/25","origin":64497},"state":"invalid-length","covering":[{"prefix":"198.51.100.0/24","max_length":24,"asn":64497}],"allowed_by":[]},{"route":{"prefix":"203.0.113.0/24","origin":64499},"state":"not-found","covering":[],"allowed_by":[]},{"route":{"prefix":"2001:db8:1::/48","origin":64498},"state":"not-found","covering":[],"allowed_by":[]}],"roa_states":{"seen":1},"route_states":{"invalid-length":1,"not-found":2,"valid":1}}`)
	expectJSON(t, d, srv, "GET", "/bgp/suggestions", "", 200, `{"add":[{"roa":{"prefix":"192.0.2.0/24","max_length":24,"asn":64496},"reason":"intent","authorizes":[],"intents":[{"prefix":"192.0.2.0/24","origin":64496,"note":"core"}]},{"roa":{"prefix":"203.0.113.0/24","max_length":24,"asn":64499},"reason":"not-found","authorizes":[{"prefix":"203.0.113.0/24","origin":64499}],"intents":[]},{"roa":{"prefix":"2001:db8:1::/48","max_length":48,"asn":64498},"reason":"not-found","authorizes":[{"prefix":"2001:db8:1::/48","origin":64498}],"intents":[]}],"remove":[],"keep":[{"prefix":"198.51.100.0/24","max_length":24,"asn":64497}],"unresolved":[{"reason":"invalid","route":{"prefix":"198.51.100.0/25","origin":64497},"state":"invalid-length"}],"resulting":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496},{"prefix":"198.51.100.0/24","max_length":24,"asn":64497},{"prefix":"203.0.113.0/24","max_length":24,"asn":64499},{"prefix":"2001:db8:1::/48","max_length":48,"asn":64498}]}`)
}

// TestImportCorpusMRT imports an MRT RIB dump of the corpus through REST and
// gets the counts bgp.Import reports for the same file.
func TestImportCorpusMRT(t *testing.T) {
	data, err := os.ReadFile(testshared.Corpus(t, "bgpdump/test_data/bview.20020722.2337.gz"))
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := bgp.Import(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	d, srv := testDaemon(t)
	code, body := do(t, d, srv, "POST", "/bgp/import", bytes.NewReader(data), "X-Import-Name", "bview")
	var res api.BGPImportResult
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil {
		t.Fatalf("%d %v %s", code, err, body)
	}
	if res.Format != "mrt" || res.Compression != "gzip" || res.Unique != st.Unique || res.Prefixes != st.Prefixes ||
		res.Records != st.Records || res.TableRoutes != st.Unique || d.routes.Table().Len() != st.Unique {
		t.Errorf("REST import %+v\nbgp.Import %+v", res, st)
	}
	t.Logf("bview.20020722.2337: %d records, %d unique routes, %d prefixes", res.Records, res.Unique, res.Prefixes)
}

// TestCheckSeesEveryCommit: the cached check inputs are dropped by every
// committed proposal and intent change.
func TestCheckSeesEveryCommit(t *testing.T) {
	d, srv := testDaemon(t)
	add := `{"add":[{"prefix":"192.0.2.0/24","asn":64496}]}`
	expectJSON(t, d, srv, "POST", "/roas/proposals", `{"add":[{"prefix":"192.0.2.0/24","asn":64496}],"dry_run":true}`, 200,
		`{"applied":false,"dry_run":true,"blocked":false,"findings":[{"kind":"unseen","severity":"info","overridable":false,"roa":{"prefix":"192.0.2.0/24","max_length":24,"asn":64496},"message":"192.0.2.0/24 => AS64496 authorizes no route seen in BGP and no intent"}],"added":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"impact":{"harmed_routes":0,"unprotected_routes":0,"helped_routes":0,"changed_routes":0,"transitions":[],"harmed":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]},"helped":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]}}}`)
	if code, body := do(t, d, srv, "POST", "/roas/proposals", strings.NewReader(add)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	expectJSON(t, d, srv, "POST", "/roas/proposals", `{"add":[{"prefix":"192.0.2.0/24","asn":64496}],"dry_run":true}`, 200,
		`{"applied":false,"dry_run":true,"blocked":false,"findings":[{"kind":"duplicate","severity":"info","overridable":false,"roa":{"prefix":"192.0.2.0/24","max_length":24,"asn":64496},"message":"192.0.2.0/24 => AS64496 is already configured"}],"added":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"impact":{"harmed_routes":0,"unprotected_routes":0,"helped_routes":0,"changed_routes":0,"transitions":[],"harmed":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]},"helped":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]}}}`)
	expectJSON(t, d, srv, "POST", "/intents", `{"prefix":"192.0.2.0/24","origin":64496}`, 201, `{"prefix":"192.0.2.0/24","origin":64496,"created_at":"2026-03-04T05:06:07Z"}`)
	remove := `{"remove":[{"prefix":"192.0.2.0/24","asn":64496}],"dry_run":true}`
	expectJSON(t, d, srv, "POST", "/roas/proposals", remove, 409,
		`{"applied":false,"dry_run":true,"blocked":true,"findings":[{"kind":"invalidates-intent","severity":"block","overridable":true,"roa":{"prefix":"192.0.2.0/24","max_length":24,"asn":64496},"intent":{"prefix":"192.0.2.0/24","origin":64496},"message":"intended announcement 192.0.2.0/24 from AS64496 would be not-found (not-found) after removing 192.0.2.0/24 => AS64496"}],"impact":{"harmed_routes":0,"unprotected_routes":0,"helped_routes":0,"changed_routes":0,"transitions":[],"harmed":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]},"helped":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]}}}`)
	expectJSON(t, d, srv, "DELETE", "/intents", `{"prefix":"192.0.2.0/24","origin":64496}`, 200, `{"prefix":"192.0.2.0/24","origin":64496}`)
	expectJSON(t, d, srv, "POST", "/roas/proposals", remove, 200,
		`{"applied":false,"dry_run":true,"blocked":false,"findings":[],"removed":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"impact":{"harmed_routes":0,"unprotected_routes":0,"helped_routes":0,"changed_routes":0,"transitions":[],"harmed":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]},"helped":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]}}}`)
}

// TestImportsSurviveRestart: kept imports are back before any check runs;
// unimported ones stay gone; a failed upload keeps nothing.
func TestImportsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	d, srv := testDaemonIn(t, dir, nil)
	if code, body := do(t, d, srv, "POST", "/bgp/import?name=rib", strings.NewReader(importText)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := do(t, d, srv, "POST", "/bgp/import?name=v6", strings.NewReader("2001:db8:1::/48 64498\n")); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := do(t, d, srv, "POST", "/bgp/import?name=bad", strings.NewReader("\x1f\x8bjunk")); code != 400 {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := do(t, d, srv, "DELETE", "/bgp/imports/v6", nil); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	srv.Close()
	d.Close()
	ents, _ := os.ReadDir(filepath.Join(dir, liveroutes.ImportsDir))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "rib" {
		t.Fatalf("kept files %q", names)
	}
	d2, srv2 := testDaemonIn(t, dir, nil)
	// The check sees the reloaded /25 at once.
	expectJSON(t, d2, srv2, "POST", "/roas/proposals", `{"add":[{"prefix":"198.51.100.0/24","asn":64497}],"dry_run":true}`, 409,
		`{"applied":false,"dry_run":true,"blocked":true,"findings":[{"kind":"invalidates-route","severity":"block","overridable":true,"roa":{"prefix":"198.51.100.0/24","max_length":24,"asn":64497},"route":{"prefix":"198.51.100.0/25","origin":64497},"message":"route 198.51.100.0/25 from AS64497 is not-found now and would be invalid (invalid-length) after adding 198.51.100.0/24 => AS64497"}],"impact":{"harmed_routes":1,"unprotected_routes":0,"helped_routes":1,"changed_routes":2,"transitions":[{"from":"not-found","to":"invalid","count":1,"routes":[{"prefix":"198.51.100.0/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-length","peers":["import:rib"]}]},{"from":"not-found","to":"valid","count":1,"routes":[{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}],"harmed":{"routes":1,"own_routes":1,"ipv4_slash24":0.5,"ipv6_slash48":0,"own_ipv4_share":0.25,"own_ipv6_share":0,"origins":[64497],"origin_count":1,"peers":["import:rib"],"largest":[{"prefix":"198.51.100.0/25","origin":64497,"from":"not-found","to":"invalid","reason":"invalid-length","peers":["import:rib"]}]},"helped":{"routes":1,"own_routes":1,"ipv4_slash24":1,"ipv6_slash48":0,"own_ipv4_share":0.5,"own_ipv6_share":0,"origins":[64497],"origin_count":1,"peers":["import:rib"],"largest":[{"prefix":"198.51.100.0/24","origin":64497,"from":"not-found","to":"valid","reason":"valid","peers":["import:rib"]}]}}}`)
	code, body := do(t, d2, srv2, "GET", "/bgp/routes", nil)
	var l api.BGPRouteList
	if err := json.Unmarshal([]byte(body), &l); code != 200 || err != nil || l.Total != 5 || l.Routes[0].Peers[0] != "import:rib" {
		t.Fatalf("routes after restart: %d %s", code, body)
	}
}

// TestRoutesIncomplete: with BGP configured and a peer whose routes the
// table lacks, every proposal carries an overridable block.
func TestRoutesIncomplete(t *testing.T) {
	d, srv := testDaemonIn(t, t.TempDir(), func(c *config.Config, _ *Runtime) {
		c.BGP = config.BGP{Listen: "127.0.0.1:1", ASN: 64500, RouterID: netip.MustParseAddr("192.0.2.1"),
			Peers: []config.BGPPeer{{ASN: 64501, Address: netip.MustParseAddr("127.0.0.1")}}}
	})
	prop := `{"add":[{"prefix":"192.0.2.0/24","asn":64496}],"dry_run":true}`
	expectJSON(t, d, srv, "POST", "/roas/proposals", prop, 409,
		`{"applied":false,"dry_run":true,"blocked":true,"findings":[{"kind":"routes-incomplete","severity":"block","overridable":true,"message":"routes missing from BGP peer(s) 64501@127.0.0.1 (session not established): the checks cannot see what they announce"},{"kind":"unseen","severity":"info","overridable":false,"roa":{"prefix":"192.0.2.0/24","max_length":24,"asn":64496},"message":"192.0.2.0/24 => AS64496 authorizes no route seen in BGP and no intent"}],"impact":{"harmed_routes":0,"unprotected_routes":0,"helped_routes":0,"changed_routes":0,"transitions":[],"harmed":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]},"helped":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]}}}`)
	// A session that dropped leaves its routes under a held name: visible.
	id, _ := d.routes.Table().Peer("bgp:127.0.0.1#down1")
	d.routes.Table().Add(id, route.Route{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Origin: 64496}, testNow)
	expectJSON(t, d, srv, "POST", "/roas/proposals", prop, 200,
		`{"applied":false,"dry_run":true,"blocked":false,"findings":[],"added":[{"prefix":"192.0.2.0/24","max_length":24,"asn":64496}],"impact":{"harmed_routes":0,"unprotected_routes":0,"helped_routes":1,"changed_routes":1,"transitions":[{"from":"not-found","to":"valid","count":1,"routes":[{"prefix":"192.0.2.0/24","origin":64496,"from":"not-found","to":"valid","reason":"valid","peers":["bgp:127.0.0.1#down1"]}]}],"harmed":{"routes":0,"own_routes":0,"ipv4_slash24":0,"ipv6_slash48":0,"own_ipv4_share":0,"own_ipv6_share":0,"origins":[],"origin_count":0,"peers":[],"largest":[]},"helped":{"routes":1,"own_routes":1,"ipv4_slash24":1,"ipv6_slash48":0,"own_ipv4_share":1,"own_ipv6_share":0,"origins":[64496],"origin_count":1,"peers":["bgp:127.0.0.1#down1"],"largest":[{"prefix":"192.0.2.0/24","origin":64496,"from":"not-found","to":"valid","reason":"valid","peers":["bgp:127.0.0.1#down1"]}]}}}`)
}
