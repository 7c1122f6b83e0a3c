package gate

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/config"
)

// TestSetupPostsAlarmsToTheWebhook: with [alerts] webhook, a refusal's
// alarm is POSTed there as JSON, as the audits' results are.
func TestSetupPostsAlarmsToTheWebhook(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + r.Header.Get("Content-Type") + " " + string(b)
	}))
	defer srv.Close()
	c := config.Default()
	c.Alerts.Webhook = srv.URL
	gc := Setup(c, GuardConfig{})
	if gc.Gate == nil || gc.MaxShrink != 0.5 || gc.Alert == nil {
		t.Fatalf("setup %+v", gc)
	}
	a := Alarm{Kind: "publication", At: testStart, Summary: "publication refused by the gate: x", FindingCount: 1,
		Findings: []AlarmFinding{{Code: CodeVRPMissing, Severity: "error", Subject: "192.0.2.0/24 => AS64496", Message: "m"}}}
	if err := gc.Alert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	want := `POST application/json {"kind":"publication","finished_at":"2026-11-22T12:00:00Z","ok":false,"summary":"publication refused by the gate: x","finding_count":1,"findings":[{"code":"gate-vrp-missing","severity":"error","subject":"192.0.2.0/24 =\u003e AS64496","message":"m"}]}`
	select {
	case b := <-got:
		if b != want {
			t.Errorf("webhook got\n%s\nwant\n%s", b, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing posted")
	}
}
