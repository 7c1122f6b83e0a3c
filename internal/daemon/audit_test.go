package daemon

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// fixedRP is a relying party state the audits read.
type fixedRP audit.RPSnapshot

func (f fixedRP) Snapshot() audit.RPSnapshot { return audit.RPSnapshot(f) }

// setRP makes the audits read s as the relying party's state.
func setRP(d *Daemon, s audit.RPSnapshot) { d.audits = audit.New(d.auditConfig(fixedRP(s))) }

// movableClock is testNow plus an offset the test changes.
type movableClock struct{ off atomic.Int64 }

func (c *movableClock) now() time.Time      { return testNow.Add(time.Duration(c.off.Load())) }
func (c *movableClock) set(d time.Duration) { c.off.Store(int64(d)) }
func auditCodes(r *audit.Result) []string   { return codesOf(r.Findings) }

func codesOf(fs []audit.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Code+" "+f.Subject)
	}
	return out
}

// publishedObjects returns "kind uri" of the stored objects of the given kinds, sorted.
func publishedObjects(t *testing.T, d *Daemon, kinds ...string) ([]string, []store.Object) {
	t.Helper()
	var objs []store.Object
	if err := d.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		objs, err = tx.Objects("")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		if slices.Contains(kinds, o.Kind) {
			out = append(out, o.Kind+" "+o.URI)
		}
	}
	return out, objs
}

func TestExpiryAudit(t *testing.T) {
	clk := &movableClock{}
	d, _ := testDaemonIn(t, t.TempDir(), func(c *config.Config, rt *Runtime) {
		rt.Clock = clk.now
		c.Alerts.ExpiryWarning = time.Hour
	})
	ctx := context.Background()
	res, err := d.audits.RunAudit(ctx, api.AuditExpiry)
	if err != nil {
		t.Fatal(err)
	}
	_, objs := publishedObjects(t, d)
	if !res.OK || res.FindingCount != 0 || res.ID != 1 || res.Kind != "expiry" ||
		res.Summary != fmt.Sprintf("%d objects, 0 VRPs: 0 expired, 0 stale, 0 expiring within 1h0m0s", len(objs)) {
		t.Fatalf("fresh publication: %+v", res)
	}
	// 25 hours on, the 24 h manifest and CRL (plus at most 5 min jitter) are stale.
	clk.set(25 * time.Hour)
	res, err = d.audits.RunAudit(ctx, api.AuditExpiry)
	if err != nil {
		t.Fatal(err)
	}
	// Two publication points (TA and CA), each a manifest and a CRL, in
	// expiry order (the jitter differs), then kind, then URI.
	var stale []store.Object
	for _, o := range objs {
		if o.Kind == "crl" || o.Kind == "mft" {
			stale = append(stale, o)
		}
	}
	slices.SortFunc(stale, func(a, b store.Object) int {
		return cmp.Or(a.NotAfter.Compare(b.NotAfter), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.URI, b.URI))
	})
	var want []string
	for _, o := range stale {
		want = append(want, "stale "+o.Kind+" "+o.URI)
	}
	if got := auditCodes(res); res.OK || res.ID != 2 || res.FindingCount != 4 || len(want) != 4 || !slices.Equal(got, want) {
		t.Fatalf("after 25h: ok %v id %d count %d findings %q, want %q", res.OK, res.ID, res.FindingCount, got, want)
	}
	if res.Counts["stale"] != 4 || res.Counts["objects"] != len(objs) || res.Counts["vrps"] != 0 {
		t.Fatalf("counts %v", res.Counts)
	}
	// The VRPs of the bundled RP's last run count with their effective expiry.
	v, _ := vrp.Parse("192.0.2.0/24 => AS64496")
	setRP(d, audit.RPSnapshot{Last: &rp.Result{Time: clk.now(), VRPs: []rp.VRP{{VRP: v, TA: "road", Expires: clk.now().Add(30 * time.Minute)}}}})
	res, err = d.audits.RunAudit(ctx, api.AuditExpiry)
	if err != nil {
		t.Fatal(err)
	}
	if got := auditCodes(res); !slices.Equal(got, append(want, "expiring vrp 192.0.2.0/24 => AS64496")) ||
		res.Findings[4].Message != "vrp 192.0.2.0/24 => AS64496 expires at 2026-03-05T06:36:07Z, in 30m0s (warning window 1h0m0s)" {
		t.Fatalf("with a VRP: %q %+v", got, res.Findings)
	}
	list, err := d.audits.Audits(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range list {
		ids = append(ids, fmt.Sprintf("%d %s %v %d", a.ID, a.Kind, a.OK, a.FindingCount))
		if a.Findings != nil {
			t.Fatalf("the listing carries findings: %+v", a)
		}
	}
	if want := []string{"3 expiry false 5", "2 expiry false 4", "1 expiry true 0"}; !slices.Equal(ids, want) {
		t.Fatalf("audits %q, want %q", ids, want)
	}
}

func TestConsistencyAudit(t *testing.T) {
	clk := &movableClock{}
	d, _ := testDaemonIn(t, t.TempDir(), func(_ *config.Config, rt *Runtime) { rt.Clock = clk.now })
	ctx := context.Background()
	res, err := d.audits.RunAudit(ctx, api.AuditConsistency)
	if err != nil {
		t.Fatal(err)
	}
	if got := auditCodes(res); !slices.Equal(got, []string{"rp-not-run "}) || res.OK ||
		res.Summary != "last RP run never: 0 VRPs validated, 0 configured ROAs missing, 0 extra, 0 objects rejected" {
		t.Fatalf("before the first RP run: %q %q", got, res.Summary)
	}
	miss, _ := vrp.Parse("192.0.2.0/24 => AS64496")
	extra, _ := vrp.Parse("198.51.100.0/24-25 => AS64497")
	seen := audit.RPSnapshot{Last: &rp.Result{Time: clk.now(), VRPs: []rp.VRP{{VRP: extra}}}, LastRun: clk.now(),
		Missing: []vrp.VRP{miss}, Extra: []vrp.VRP{extra}}
	setRP(d, seen)
	if res, err = d.audits.RunAudit(ctx, api.AuditConsistency); err != nil {
		t.Fatal(err)
	}
	want := []string{"missing 192.0.2.0/24 => AS64496", "extra 198.51.100.0/24-25 => AS64497"}
	if got := auditCodes(res); !slices.Equal(got, want) || res.Summary !=
		"last RP run 2026-03-04T05:06:07Z: 1 VRPs validated, 1 configured ROAs missing, 1 extra, 0 objects rejected" {
		t.Fatalf("diff: %q %q", got, res.Summary)
	}
	// A run older than two periods and a minute is stale; an agreeing run is ok.
	seen.Missing, seen.Extra = nil, nil
	setRP(d, seen)
	clk.set(2*DefaultRPInterval + time.Minute)
	if res, err = d.audits.RunAudit(ctx, api.AuditConsistency); err != nil || !res.OK {
		t.Fatalf("at the staleness bound: %v %+v", err, res)
	}
	clk.set(2*DefaultRPInterval + time.Minute + time.Second)
	if res, err = d.audits.RunAudit(ctx, api.AuditConsistency); err != nil {
		t.Fatal(err)
	}
	if got := auditCodes(res); !slices.Equal(got, []string{"rp-stale "}) ||
		res.Findings[0].Message != "the bundled relying party last ran 11m1s ago (at 2026-03-04T05:06:07Z), more than 11m0s" {
		t.Fatalf("stale: %q %+v", got, res.Findings)
	}
}

func TestBGPAudit(t *testing.T) {
	d, srv := testDaemon(t)
	expectJSON(t, d, srv, "POST", "/bgp/import", "198.51.100.0/24 64497\n203.0.113.0/24 64499\n", 200,
		`{"name":"upload","format":"text","compression":"","records":2,"routes":2,"withdrawals":0,"unique":2,"prefixes":2,"skipped":{},"table_routes":2}`)
	code, body := do(t, d, srv, "POST", "/roas/proposals",
		strings.NewReader(`{"add":[{"prefix":"198.51.100.0/24","max_length":26,"asn":64497}],"force":true,"reason":"test"}`))
	if code != 200 {
		t.Fatalf("proposal %d %s", code, body)
	}
	res, err := d.audits.RunAudit(context.Background(), api.AuditBGP)
	if err != nil {
		t.Fatal(err)
	}
	// The forced loose maxLength is a recorded exception: not a finding.
	if res.OK != true || res.Counts["roa:too-permissive-excepted"] != 1 || res.Counts["route:valid"] != 1 ||
		res.Counts["route:not-found"] != 1 || res.Summary != "1 ROAs, 2 routes: 0 too-permissive, 0 disallowing, 0 not held, 0 invalid routes, 2 of 2 own routes without a fallback" {
		t.Fatalf("bgp audit %+v", res)
	}
	code, body = do(t, d, srv, "POST", "/roas/proposals",
		strings.NewReader(`{"add":[{"prefix":"203.0.113.0/24","asn":64500}],"force":true,"reason":"test"}`))
	if code != 200 {
		t.Fatalf("proposal %d %s", code, body)
	}
	if res, err = d.audits.RunAudit(context.Background(), api.AuditBGP); err != nil {
		t.Fatal(err)
	}
	want := []string{"disallowing 203.0.113.0/24 => AS64500", "invalid-route 203.0.113.0/24 AS64499"}
	if got := auditCodes(res); !slices.Equal(got, want) {
		t.Fatalf("bgp findings %q, want %q", got, want)
	}
}

func TestAuditWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []api.AuditResult
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res api.AuditResult
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &res) != nil {
			t.Errorf("webhook got %s %s %s", r.Method, r.Header.Get("Content-Type"), b)
		}
		mu.Lock()
		got = append(got, res)
		mu.Unlock()
	}))
	defer hook.Close()
	if !netip.MustParseAddrPort(strings.TrimPrefix(hook.URL, "http://")).Addr().IsLoopback() {
		t.Fatalf("webhook not on loopback: %s", hook.URL)
	}
	clk := &movableClock{}
	d, _ := testDaemonIn(t, t.TempDir(), func(c *config.Config, rt *Runtime) {
		rt.Clock = clk.now
		c.Alerts = config.Alerts{ExpiryWarning: time.Hour, Webhook: hook.URL}
		rt.WebhookTimeout = 5 * time.Second
	})
	ctx := context.Background()
	if _, err := d.audits.RunAudit(ctx, api.AuditExpiry); err != nil { // no findings: nothing sent
		t.Fatal(err)
	}
	clk.set(25 * time.Hour)
	if _, err := d.audits.RunAudit(ctx, api.AuditExpiry); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Kind != "expiry" || got[0].ID != 2 || got[0].FindingCount != 4 || len(got[0].Findings) != 4 ||
		got[0].Findings[0].Code != "stale" {
		t.Fatalf("webhook received %+v", got)
	}
}

func TestAuditWebhookFailureKeepsResult(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	}))
	defer hook.Close()
	clk := &movableClock{}
	clk.set(25 * time.Hour)
	d, _ := testDaemonIn(t, t.TempDir(), func(c *config.Config, _ *Runtime) { c.Alerts.Webhook = hook.URL })
	d.clock = clk.now
	res, err := d.audits.RunAudit(context.Background(), api.AuditExpiry)
	if err != nil || res.OK || res.ID != 1 {
		t.Fatalf("a failing webhook must not fail the audit: %v %+v", err, res)
	}
}

func TestAuditREST(t *testing.T) {
	d, srv := testDaemon(t)
	for _, c := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/expiry?within=soon", 400, `{"error":{"code":"bad-request","message":"within: \"soon\" is not a positive duration such as 30d or 72h"}}`},
		{"GET", "/expiry?within=-1h", 400, `{"error":{"code":"bad-request","message":"within: \"-1h\" is not a positive duration such as 30d or 72h"}}`},
		{"GET", "/expiry?within=0d", 400, `{"error":{"code":"bad-request","message":"within: \"0d\" is not a positive duration such as 30d or 72h"}}`},
		{"POST", "/audits/everything", 400, `{"error":{"code":"bad-request","message":"audit kind \"everything\": want one of consistency, expiry, bgp"}}`},
		{"GET", "/audits?kind=x", 400, `{"error":{"code":"bad-request","message":"kind \"x\": want one of consistency, expiry, bgp"}}`},
		{"GET", "/audits?limit=0", 400, `{"error":{"code":"bad-request","message":"limit \"0\": want 1..1000"}}`},
		{"GET", "/audits?limit=1001", 400, `{"error":{"code":"bad-request","message":"limit \"1001\": want 1..1000"}}`},
		{"GET", "/audits", 200, `{"audits":[]}`},
	} {
		expectJSON(t, d, srv, c.method, c.path, "", c.code, c.want)
	}
	// 30 days: the 24 h manifests and CRLs (TA and CA), not the year-long certificates.
	code, body := do(t, d, srv, "GET", "/expiry?within=30d", nil)
	var l api.ExpiryList
	if code != 200 || json.Unmarshal([]byte(body), &l) != nil {
		t.Fatalf("expiry: %d %s", code, body)
	}
	var kinds []string
	for _, it := range l.Items {
		kinds = append(kinds, it.Kind)
	}
	if l.Within != "720h" || !l.Now.Equal(testNow) || !slices.Equal(kinds, []string{"crl", "mft", "crl", "mft"}) {
		t.Fatalf("expiry within 30d: %s", body)
	}
	if !strings.HasPrefix(l.Items[0].In, "24h") {
		t.Fatalf("in %q", l.Items[0].In)
	}
	code, body = do(t, d, srv, "GET", "/expiry", nil)
	var all api.ExpiryList
	if code != 200 || json.Unmarshal([]byte(body), &all) != nil || len(all.Items) != 6 || all.Within != "" || all.Items[5].Kind != "cer" {
		t.Fatalf("expiry: %d %s", code, body)
	}
	for _, k := range []string{"expiry", "consistency", "bgp"} {
		code, body := do(t, d, srv, "POST", "/audits/"+k, nil)
		var r api.AuditResult
		if code != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Kind != k {
			t.Fatalf("POST /audits/%s: %d %s", k, code, body)
		}
	}
	code, body = do(t, d, srv, "GET", "/audits?kind=expiry&limit=5", nil)
	var al api.AuditList
	if code != 200 || json.Unmarshal([]byte(body), &al) != nil || len(al.Audits) != 1 || al.Audits[0].Kind != "expiry" || al.Audits[0].ID != 1 {
		t.Fatalf("audits of kind expiry: %d %s", code, body)
	}
	code, body = do(t, d, srv, "GET", "/audits", nil)
	if code != 200 || json.Unmarshal([]byte(body), &al) != nil || len(al.Audits) != 3 || al.Audits[0].Kind != "bgp" {
		t.Fatalf("audits: %d %s", code, body)
	}
}

// TestScheduledAudits: Run starts the cron scheduler; "@every 1s" records an
// expiry audit every second.
func TestScheduledAudits(t *testing.T) {
	d, _ := testDaemonIn(t, t.TempDir(), func(c *config.Config, rt *Runtime) {
		c.HTTP = ""
		c.RRDPBase = "https://127.0.0.1:1/rrdp/" // the bundled RP fails fast on loopback
		rt.RPInterval = time.Hour
		c.Schedule = config.Schedule{ExpiryAudit: "@every 1s"}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	var n int
	for time.Now().Before(deadline) {
		l, err := d.audits.Audits(context.Background(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		n = len(l)
		for _, a := range l {
			if a.Kind != "expiry" {
				t.Fatalf("unscheduled audit ran: %+v", a)
			}
		}
		if n >= 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("%d scheduled expiry audits in 10 s, want 3", n)
	}
}

func TestBadScheduleStopsRun(t *testing.T) {
	d, _ := testDaemonIn(t, t.TempDir(), func(c *config.Config, rt *Runtime) {
		c.HTTP = ""
		c.RRDPBase = "https://127.0.0.1:1/rrdp/"
		c.Schedule = config.Schedule{ConsistencyAudit: "every so often"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := d.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), `schedule of the consistency audit "every so often"`) {
		t.Fatalf("Run: %v", err)
	}
}
