package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/testpeers"
)

// TestExternalVRPsStage: with [approval] external_vrps_url, the running
// daemon polls the JSON and an applied change it shows gets the "external"
// stage, once.
func TestExternalVRPsStage(t *testing.T) {
	var gets atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		gets.Add(1)
		fmt.Fprint(w, `{"roas":[{"prefix":"192.0.2.0/24","maxLength":24,"asn":"AS64496"}]}`)
	}))
	defer srv.Close()
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t))
	c := testConfig(t.TempDir())
	c.HTTP = httpAddr
	c.Approval.ExternalVRPs, c.Approval.ExternalInterval = srv.URL+"/vrps.json", 20*time.Millisecond
	d, err := Open(context.Background(), c, Runtime{KeyPoolSize: 4, RPInterval: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
	addROAs(t, d, "192.0.2.0/24 => AS64496")
	count := func() (n int) {
		ch, err := d.props.Change(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ch.Timeline {
			if e.Stage == proposal.StageExternal {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); count() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the external stage was never recorded")
		}
	}
	// Later polls (the server answers 200 every time) record nothing more:
	// wait for three more GETs of the JSON, then count again.
	for g, deadline := gets.Load(), time.Now().Add(30*time.Second); gets.Load() < g+3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the JSON is no longer polled")
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d external stages, want 1", n)
	}
}
