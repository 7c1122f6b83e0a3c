package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/health"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
)

// scrape reads /metrics as "name{labels}" -> value (comments skipped).
func scrape(t *testing.T, httpAddr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if resp.StatusCode != 200 || sc.Err() != nil {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, sc.Err())
	}
	return out
}

// getJSON GETs url without a token and decodes the JSON answer into v.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %q: %v", url, b, err)
	}
	return resp.StatusCode
}

// publishedExpiry parses every published object as a relying party gets it
// and returns "type uri" -> its notAfter (certificate, a ROA's EE
// certificate) or nextUpdate (manifest, CRL) in Unix seconds.
func publishedExpiry(t *testing.T, d *Daemon) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for uri, der := range d.pub.Objects() {
		var typ string
		var exp time.Time
		var err error
		switch filepath.Ext(uri) {
		case ".cer":
			var c *rpki.Certificate
			if c, err = rpki.ParseCertificate(der); err == nil {
				typ, exp = "cer", c.NotAfter
			}
			if uri == d.ca.TACertURI() {
				typ = "ta"
			}
		case ".roa":
			var so *rpki.SignedObject
			if so, _, err = rpki.ParseROAObject(der); err == nil {
				typ, exp = "roa", so.EE.NotAfter
			}
		case ".mft":
			var m *rpki.Manifest
			if _, m, err = rpki.ParseManifestObject(der); err == nil {
				typ, exp = "mft", m.NextUpdate
			}
		case ".crl":
			var c *rpki.CRL
			if c, err = rpki.ParseCRL(der); err == nil {
				typ, exp = "crl", c.NextUpdate
			}
		default:
			t.Fatalf("published %s", uri)
		}
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		out[typ+" "+uri] = float64(exp.Unix())
	}
	return out
}

// TestMetricsAndReadiness runs a real daemon (every listener, the bundled
// relying party over HTTPS), adds a ROA, waits until the relying party
// validated it, runs the audits over the REST API, then reads /readyz,
// /healthz and /metrics over HTTP, without a token, and checks the values:
// every published object's expiry as parsed from what is published, the
// earliest VRP expiry, each audit's run, success and findings, the
// consistency verdict and the relying party's last run.
func TestMetricsAndReadiness(t *testing.T) {
	addr := func() string { return fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t)) }
	httpAddr, httpsAddr, rtrAddr := addr(), addr(), addr()
	dir := t.TempDir()
	c := testConfig(dir)
	c.HTTP, c.HTTPS, c.RTR, c.RRDPBase = httpAddr, httpsAddr, rtrAddr, "https://"+httpsAddr+"/rrdp/"
	// Every certificate and ROA is within the warning window; manifests,
	// CRLs and the VRP they bound are renewed routinely (not reported).
	c.Alerts.ExpiryWarning = 100 * 8766 * time.Hour
	logf, err := os.Create(filepath.Join(t.TempDir(), "road.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d, err := Open(context.Background(), c, Runtime{KeyPoolSize: 4, RPInterval: time.Hour, Logger: slog.New(slog.NewTextHandler(logf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx); d.Close() }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitListening(t, httpAddr)
	var alive struct{ Status string }
	if code := getJSON(t, "http://"+httpAddr+"/healthz", &alive); code != 200 || alive.Status != "alive" {
		t.Fatalf("/healthz: %d %+v", code, alive)
	}

	addROAs(t, d, "192.0.2.0/24 => AS64496")
	waitRP(t, d, "ok with the ROA", func(st *api.RPStatus) bool { return st.OK && st.VRPs == 1 })
	var ready health.Report
	if code := getJSON(t, "http://"+httpAddr+"/readyz", &ready); code != 200 || ready.Status != "ready" ||
		partsOf(ready) != "listeners ok, database ok, rp-own ok, publication ok" {
		t.Fatalf("/readyz: %d %+v", code, ready)
	}
	cl := &api.Client{BaseURL: "http://" + httpAddr, Token: d.Token()}
	results := map[string]*api.AuditResult{}
	for _, kind := range []string{"consistency", "expiry"} {
		if results[kind], err = cl.RunAudit(context.Background(), kind); err != nil {
			t.Fatal(err)
		}
	}

	m := scrape(t, httpAddr)
	// Every published object, exactly, with the expiry a relying party reads.
	want := publishedExpiry(t, d)
	got := map[string]float64{}
	for k, v := range m {
		if rest, ok := strings.CutPrefix(k, `road_object_expiry_timestamp_seconds{type="`); ok {
			typ, uri, _ := strings.Cut(strings.TrimSuffix(rest, `"}`), `",uri="`)
			got[typ+" "+uri] = v
		}
	}
	if len(want) != 7 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("object expiry metrics:\n got %v\nwant %v (7 objects: TA cert, manifest, CRL; CA cert, manifest, CRL; ROA)", got, want)
	}
	// The VRP's effective expiry is the soonest on its chain: with one ROA
	// every published object is on it.
	earliest := 0.0
	certsAndROAs := 0
	for k, v := range want {
		if earliest == 0 || v < earliest {
			earliest = v
		}
		if !strings.HasPrefix(k, "mft ") && !strings.HasPrefix(k, "crl ") {
			certsAndROAs++
		}
	}
	own := d.rp.Status().Own
	secs := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
	for name, v := range map[string]float64{
		`road_vrp_earliest_expiry_timestamp_seconds{feed="own"}`:         earliest,
		`road_rp_last_run_timestamp_seconds{feed="own"}`:                 secs(own.LastRun),
		`road_rp_last_run_success_timestamp_seconds{feed="own"}`:         secs(own.LastSuccess),
		`road_rp_run_duration_seconds{feed="own"}`:                       own.Duration.Seconds(),
		`road_rp_degraded{feed="own"}`:                                   0,
		`road_rp_vrps{feed="own"}`:                                       1,
		`road_consistency_ok`:                                            1,
		`road_audit_findings{audit="consistency"}`:                       0,
		`road_audit_findings{audit="expiry"}`:                            float64(certsAndROAs),
		`road_audit_last_run_timestamp_seconds{audit="consistency"}`:     secs(results["consistency"].FinishedAt),
		`road_audit_last_success_timestamp_seconds{audit="consistency"}`: secs(results["consistency"].FinishedAt),
		`road_audit_last_run_timestamp_seconds{audit="expiry"}`:          secs(results["expiry"].FinishedAt),
		`road_audit_last_success_timestamp_seconds{audit="expiry"}`:      secs(results["expiry"].FinishedAt),
		`road_audit_last_run_timestamp_seconds{audit="bgp"}`:             0,
		`road_audit_last_success_timestamp_seconds{audit="bgp"}`:         0,
	} {
		if g, ok := m[name]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", name, g, ok, v)
		}
	}
	if certsAndROAs != 3 || results["expiry"].FindingCount != 3 || !results["consistency"].OK {
		t.Errorf("expiry findings %d (want the 3 certificates and ROAs), consistency %+v", results["expiry"].FindingCount, results["consistency"])
	}
	if _, ok := m["road_audit_findings{audit=\"bgp\"}"]; ok {
		t.Error("road_audit_findings of the bgp audit before it ran")
	}
}
