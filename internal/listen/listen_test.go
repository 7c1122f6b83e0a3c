package listen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/tlsca"
)

// serve binds s and serves it until the test ends.
func serve(t *testing.T, s *Set) {
	t.Helper()
	if err := s.Bind(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func hello(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") }

// TestBindBeforeServe: after Bind every listener accepts connections,
// before anything serves; a failing bind closes the others again.
func TestBindBeforeServe(t *testing.T) {
	s := New(nil)
	s.HTTP("http", "127.0.0.1:0", http.HandlerFunc(hello), nil, HTTPLimits{}, Access{})
	accepted := make(chan net.Conn, 1)
	s.Stream("rtr", "127.0.0.1:0", nil, func(ctx context.Context, ln net.Listener) error {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		<-ctx.Done()
		return nil
	})
	if s.IsBound() || s.Addr("http") != nil {
		t.Fatal("bound before Bind")
	}
	if err := s.Bind(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Bound():
	default:
		t.Fatal("Bound not closed after Bind")
	}
	var early []net.Conn
	for _, name := range []string{"http", "rtr"} {
		c, err := net.Dial("tcp", s.Addr(name).String())
		if err != nil {
			t.Fatalf("%s before Serve: %v", name, err)
		}
		early = append(early, c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	(<-accepted).Close() // the connection made before Serve is served
	resp, err := http.Get("http://" + s.Addr("http").String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello\n" {
		t.Fatalf("got %q", b)
	}
	for _, c := range early {
		c.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}

	// The second address is taken: Bind fails naming it, the first is free again.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free := freeAddr(t)
	s2 := New(nil)
	s2.HTTP("http", free, http.HandlerFunc(hello), nil, HTTPLimits{}, Access{})
	s2.HTTP("https", taken.Addr().String(), http.HandlerFunc(hello), nil, HTTPLimits{}, Access{})
	err = s2.Bind()
	if err == nil || !strings.HasPrefix(err.Error(), "https listen "+taken.Addr().String()+": ") || s2.IsBound() {
		t.Fatalf("Bind: %v", err)
	}
	ln, err := net.Listen("tcp", free)
	if err != nil {
		t.Fatalf("the first listener was not closed: %v", err)
	}
	ln.Close()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// testTLS is a server TLS config from the testbed CA and a client pool for it.
func testTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	cert, key, ca, err := tlsca.Ensure(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := serverTLS(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return tc, pool
}

// closedAfter waits until the server closes c and returns when, measured
// from start; it fails when c is still open at start+limit.
func closedAfter(t *testing.T, c net.Conn, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	_ = c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open %s after it went idle", limit)
	}
	return time.Since(start)
}

// TestIdleTLSConnectionsClosed: idle keep-alive TLS connections end after
// IdleTimeout, connections that never finish the TLS handshake or a request
// header after ReadHeaderTimeout.
func TestIdleTLSConnectionsClosed(t *testing.T) {
	const idle, header = 700 * time.Millisecond, 500 * time.Millisecond
	const n = 40
	tc, pool := testTLS(t)
	s := New(nil)
	s.HTTP("https", "127.0.0.1:0", http.HandlerFunc(hello), tc, HTTPLimits{IdleTimeout: idle, ReadHeaderTimeout: header}, Access{})
	serve(t, s)
	addr := s.Addr("https").String()

	type opened struct {
		c     net.Conn
		at    time.Time
		limit time.Duration
	}
	var conns []opened
	for i := range n {
		switch i % 3 {
		case 0: // one request, then an idle keep-alive connection
			c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || string(b) != "hello\n" || resp.Close {
				t.Fatalf("keep-alive request: %d %q close=%v", resp.StatusCode, b, resp.Close)
			}
			conns = append(conns, opened{c, time.Now(), idle})
		case 1: // TCP only: no ClientHello
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, opened{c, time.Now(), header})
		case 2: // handshake done, half a request header
			c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost:")
			conns = append(conns, opened{c, time.Now(), header})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i, o := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer o.c.Close()
			_ = o.c.SetReadDeadline(o.at.Add(o.limit + 3*time.Second))
			_, err := io.Copy(io.Discard, o.c)
			took := time.Since(o.at)
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				errs <- fmt.Sprintf("connection %d still open after %s", i, o.limit+3*time.Second)
			case took < o.limit-50*time.Millisecond: // the server's clock starts before Dial returns here
				errs <- fmt.Sprintf("connection %d closed after %s, before %s", i, took, o.limit)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestHTTPLimits: the limits reach the server (zero values the defaults),
// and a header beyond MaxHeaderBytes is refused.
func TestHTTPLimits(t *testing.T) {
	s := New(nil)
	s.HTTP("a", "127.0.0.1:0", http.HandlerFunc(hello), nil, HTTPLimits{}, Access{})
	s.HTTP("b", "127.0.0.1:0", http.HandlerFunc(hello), nil, HTTPLimits{1, 2, 3, 4, 5000}, Access{})
	a, b := s.items[0].http, s.items[1].http
	d := DefaultHTTPLimits()
	if a.ReadHeaderTimeout != d.ReadHeaderTimeout || a.ReadTimeout != d.ReadTimeout || a.WriteTimeout != d.WriteTimeout ||
		a.IdleTimeout != d.IdleTimeout || a.MaxHeaderBytes != d.MaxHeaderBytes || d != (HTTPLimits{10 * time.Second, 5 * time.Minute, 5 * time.Minute, time.Minute, 65536}) {
		t.Fatalf("defaults %+v on %+v", d, a)
	}
	if b.ReadHeaderTimeout != 1 || b.ReadTimeout != 2 || b.WriteTimeout != 3 || b.IdleTimeout != 4 || b.MaxHeaderBytes != 5000 {
		t.Fatalf("limits not applied: %+v", b)
	}
	serve(t, s)
	req, _ := http.NewRequest("GET", "http://"+s.Addr("a").String()+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 80<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("80 KiB header: %d, want 431", resp.StatusCode)
	}
}

// TestAccessLog: one line per request with method, path, status, bytes,
// duration and remote address, never the Authorization header or query.
func TestAccessLog(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	s := New(log)
	s.HTTP("http", "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.Copy(w, strings.NewReader("0123456789")) // through ReadFrom
	}), nil, HTTPLimits{}, Access{Log: log, Level: slog.LevelInfo})
	s.HTTP("quiet", "127.0.0.1:0", http.HandlerFunc(hello), nil, HTTPLimits{}, Access{Log: log, Level: slog.LevelDebug})
	serve(t, s)
	base := "http://" + s.Addr("http").String()
	// The probes (/healthz, /readyz, /metrics answered) log at debug, below this log's level.
	for _, path := range []string{"/api/v1/roas?secret=q", "/healthz", "/missing", "/readyz", "/metrics"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer s3cr3t-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	resp, err := http.Get("http://" + s.Addr("quiet").String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || strings.Contains(buf.String(), "s3cr3t") || strings.Contains(buf.String(), "secret") {
		t.Fatalf("log:\n%s", buf.String())
	}
	for i, want := range []struct {
		path          string
		status, bytes float64
	}{{"/api/v1/roas", 200, 10}, {"/missing", 404, 19}} {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatal(err)
		}
		remote, _ := m["remote"].(string)
		if m["msg"] != "http request" || m["level"] != "INFO" || m["listener"] != "http" || m["method"] != "GET" ||
			m["path"] != want.path || m["status"] != want.status || m["bytes"] != want.bytes ||
			!strings.HasPrefix(remote, "127.0.0.1:") || m["duration"] == nil || len(m) != 10 {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestForRoad: the testbed TLS material exists once ForRoad returns, before
// anything is bound, and names the --http host; --http-tls testbed serves the
// API over TLS with it.
func TestForRoad(t *testing.T) {
	c := config.Default()
	c.DataDir = t.TempDir()
	c.HTTP, c.HTTPS, c.RTR = "127.0.0.1:0", "127.0.0.1:0", ""
	c.HTTPServer.TLS = config.HTTPTLSTestbed
	s, err := ForRoad(Road{Config: c, API: http.HandlerFunc(hello), Public: http.HandlerFunc(hello)})
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(filepath.Join(c.DataDir, "tls", tlsca.CAFile))
	if err != nil {
		t.Fatalf("testbed CA not ready before Bind: %v", err)
	}
	if len(s.items) != 2 || s.items[0].tls == nil || s.items[1].tls == nil {
		t.Fatalf("listeners %+v", s.items)
	}
	serve(t, s)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, name := range []string{"http", "https"} {
		resp, err := cl.Get("https://" + s.Addr(name).String() + "/")
		if err != nil {
			t.Fatalf("%s over TLS: %v", name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "hello\n" {
			t.Fatalf("%s: %q", name, b)
		}
	}
	// Plain HTTP to the TLS API is not served.
	resp, err := http.Get("http://" + s.Addr("http").String() + "/")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the TLS listener: %d", resp.StatusCode)
		}
	}

	// File mode with a missing certificate fails before binding.
	c.HTTPServer.TLS, c.HTTPServer.TLSCert, c.HTTPServer.TLSKey = config.HTTPTLSFile, "/nonexistent.pem", "/nonexistent.key"
	if _, err := ForRoad(Road{Config: c}); err == nil || !strings.HasPrefix(err.Error(), "http tls: ") {
		t.Fatalf("missing certificate: %v", err)
	}
}
