package audit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWebhookRetries: a 5xx is tried again with backoff until it succeeds;
// a 4xx is not (resending the same alert would not help).
func TestWebhookRetries(t *testing.T) {
	var calls atomic.Int32
	var got Result
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != "road/test" {
			t.Errorf("headers %v", r.Header)
		}
		json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Client: srv.Client(), Attempts: 3, Backoff: time.Millisecond, UserAgent: "road/test"}
	if err := w.Send(context.Background(), &Result{ID: 9, Kind: Expiry}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || got.ID != 9 || got.Kind != Expiry {
		t.Fatalf("%d calls, received %+v", calls.Load(), got)
	}

	calls.Store(0)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer bad.Close()
	w.URL = bad.URL
	if err := w.Send(context.Background(), &Result{}); err == nil || !strings.Contains(err.Error(), "403") || calls.Load() != 1 {
		t.Fatalf("4xx: %v after %d calls", err, calls.Load())
	}

	calls.Store(0)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	w.URL = down.URL
	if err := w.Send(context.Background(), &Result{}); err == nil || !strings.Contains(err.Error(), "after 3 attempts") || calls.Load() != 3 {
		t.Fatalf("5xx: %v after %d calls", err, calls.Load())
	}
}
