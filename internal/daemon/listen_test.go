package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/testpeers"
)

// TestListenersAndRTRMetrics: once /healthz answers, the HTTPS and RTR
// listeners are up and the testbed TLS CA exists (bind before serve), and
// /metrics carries the RTR server's metrics.
func TestListenersAndRTRMetrics(t *testing.T) {
	addr := func() string { return fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t)) }
	httpAddr, httpsAddr, rtrAddr := addr(), addr(), addr()
	dir := t.TempDir()
	d, _ := testDaemonIn(t, dir, func(c *config.Config, rt *Runtime) {
		c.HTTP, c.HTTPS, c.RTR = httpAddr, httpsAddr, rtrAddr
		c.RRDPBase = "https://127.0.0.1:1/rrdp/" // the bundled RP fails fast; RTR has no data
		rt.RPInterval = time.Hour
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "tls", "ca.pem")); err != nil {
		t.Fatalf("/healthz answers before the testbed TLS CA exists: %v", err)
	}
	for _, a := range []string{httpsAddr, rtrAddr} {
		c, err := net.Dial("tcp", a)
		if err != nil {
			t.Fatalf("/healthz answers before %s is bound: %v", a, err)
		}
		c.Close()
	}

	c, err := net.Dial("tcp", rtrAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(rtr.AppendResetQuery(nil, 1))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := rtr.ReadRaw(c, nil, rtr.MaxPDULen)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := rtr.Parse(raw); err != nil || p.Type != rtr.TypeErrorReport || p.Field != rtr.ErrNoData {
		t.Fatalf("reset query before data: %+v %v", p.Header, err)
	}
	// The probe connection above closes asynchronously on the server side:
	// poll /metrics until the gauges have settled on this one client.
	wants := []string{"\nroad_rtr_clients 1\n", "\nroad_rtr_clients_pending 0\n",
		"\nroad_rtr_queries_total{kind=\"reset\",version=\"1\"} 1\n", "\nroad_rtr_clients_by_version{version=\"1\"} 1\n"}
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + httpAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(string(b), want) {
				missing = append(missing, strings.TrimSpace(want))
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, m := range missing {
		t.Errorf("/metrics lacks %q", m)
	}
}
