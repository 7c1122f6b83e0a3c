package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/daemon"
)

// TestOptionsScheduleAlerts: [schedule] and [alerts] reach the daemon.
func TestOptionsScheduleAlerts(t *testing.T) {
	f := filepath.Join(t.TempDir(), "road.toml")
	os.WriteFile(f, []byte("[schedule]\nexpiry_audit = \"@every 15s\"\n[alerts]\nexpiry_warning = \"48h\"\nwebhook = \"http://127.0.0.1:9/hook\"\n"), 0o644)
	cfg, err := config.Parse([]string{"--config", f}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	o := options(cfg, nil)
	if want := (daemon.ScheduleOptions{Expiry: "@every 15s", Consistency: "@every 10m", BGP: "@every 1h"}); o.Schedule != want {
		t.Fatalf("schedule %+v, want %+v", o.Schedule, want)
	}
	if o.Alerts.ExpiryWarning != 48*time.Hour || o.Alerts.Webhook != "http://127.0.0.1:9/hook" {
		t.Fatalf("alerts %+v", o.Alerts)
	}
}
