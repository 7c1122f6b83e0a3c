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

// TestOptionsRP: [rp] and its flags reach the daemon; no TAL by default.
func TestOptionsRP(t *testing.T) {
	noEnv := func(string) string { return "" }
	cfg, err := config.Parse(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if o := options(cfg, nil); o.RPTALs != nil || o.RPGlobalInterval != 10*time.Minute || o.RPMaxLoss != 0.1 {
		t.Fatalf("defaults: tals %q interval %s max loss %v", o.RPTALs, o.RPGlobalInterval, o.RPMaxLoss)
	}
	tal := filepath.Join(t.TempDir(), "ripe.tal")
	os.WriteFile(tal, []byte("x"), 0o644)
	if cfg, err = config.Parse([]string{"--rp-tal", tal, "--rp-interval", "15m", "--rp-max-loss", "0"}, noEnv); err != nil {
		t.Fatal(err)
	}
	o := options(cfg, nil)
	if len(o.RPTALs) != 1 || o.RPTALs[0] != tal || o.RPGlobalInterval != 15*time.Minute || o.RPMaxLoss != 1e-12 {
		t.Fatalf("flags: tals %q interval %s max loss %v", o.RPTALs, o.RPGlobalInterval, o.RPMaxLoss)
	}
}
