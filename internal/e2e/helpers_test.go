package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/daemon"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// road is a daemon running in-process on loopback ports.
type road struct {
	dir       string
	http      string
	https     string
	rsyncPort int
	rtr       string
	token     string
	cancel    context.CancelFunc
	done      chan error
}

// testConfig is road's embedded default (the documentation resources) on
// dir with every listener and audit schedule off.
func testConfig(dir string) *config.Config {
	c := config.Default()
	c.DataDir, c.HTTP, c.HTTPS, c.RTR = dir, "", "", ""
	c.Schedule = config.Schedule{}
	return c
}

// worldReadableDir makes a directory rpki-client (which drops privileges to
// _rpki-client when run as root) can traverse.
func worldReadableDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "road-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o755)
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// startRoad runs road; each opt may adjust its configuration.
func startRoad(t *testing.T, opts ...func(*config.Config)) *road {
	t.Helper()
	r := &road{dir: filepath.Join(worldReadableDir(t), "road-data")}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The rsync daemon resolves its module path per connection, so it can
	// start before road has written the tree.
	r.rsyncPort = testpeers.StartRsyncd(t, filepath.Join(r.dir, "rsync", "current"), "repo")
	r.http = fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t))
	r.rtr = fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t))
	r.https = fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t))
	logf, _ := os.Create(filepath.Join(r.dir, "road.log"))
	t.Cleanup(func() { logf.Close() })
	c := testConfig(r.dir)
	c.HTTP, c.HTTPS, c.RTR = r.http, r.https, r.rtr
	c.RsyncBase = fmt.Sprintf("rsync://127.0.0.1:%d/repo/", r.rsyncPort)
	c.RRDPBase = fmt.Sprintf("https://%s/rrdp/", r.https)
	for _, f := range opts {
		f(c)
	}
	d, err := daemon.Open(context.Background(), c,
		daemon.Runtime{RenewInterval: time.Second, Logger: slog.New(slog.NewTextHandler(logf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r.token = d.Token()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- d.Run(ctx); d.Close() }()
	t.Cleanup(func() { cancel(); <-r.done })
	waitHTTP(t, "http://"+r.http+"/healthz")
	return r
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer", url)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t))
}

// call does one authenticated JSON request and decodes the answer into out.
func call(t *testing.T, httpAddr, token, method, path string, body, out any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := doCall(ctx, httpAddr, token, method, path, body, out)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func doCall(ctx context.Context, httpAddr, token, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+httpAddr+"/api/v1"+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %v: %s", method, path, resp.StatusCode, err, data)
		}
	}
	return resp.StatusCode, nil
}

func roas(t *testing.T, ss ...string) []api.ROA {
	t.Helper()
	var out []api.ROA
	for _, s := range ss {
		v, err := vrp.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, api.ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN})
	}
	return out
}

func vrpSet(t *testing.T, ss ...string) []vrp.VRP {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameVRPs(a, b []vrp.VRP) bool {
	a, b = vrp.NewSet(append([]vrp.VRP{}, a...)), vrp.NewSet(append([]vrp.VRP{}, b...))
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// crlVerifies reports whether openssl verifies the DER CRL's signature with
// one of the DER certificates.
func crlVerifies(t *testing.T, crl string, certs []string) bool {
	t.Helper()
	dir := t.TempDir()
	for i, c := range certs {
		pem := filepath.Join(dir, fmt.Sprintf("c%d.pem", i))
		if out, err := exec.Command("openssl", "x509", "-inform", "DER", "-in", c, "-out", pem).CombinedOutput(); err != nil {
			t.Fatalf("openssl x509 %s: %v\n%s", c, err, out)
		}
		out, err := exec.Command("openssl", "crl", "-inform", "DER", "-in", crl, "-CAfile", pem, "-noout").CombinedOutput()
		if err == nil && strings.Contains(string(out), "verify OK") {
			return true
		}
	}
	return false
}
