package daemon

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/config"
)

func parseConfig(t *testing.T, args ...string) *config.Config {
	t.Helper()
	c, err := config.Parse(args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConfigScheduleAlerts: [schedule] and [alerts] reach the audits.
func TestConfigScheduleAlerts(t *testing.T) {
	f := filepath.Join(t.TempDir(), "road.toml")
	os.WriteFile(f, []byte("[schedule]\nexpiry_audit = \"@every 15s\"\n[alerts]\nexpiry_warning = \"48h\"\nwebhook = \"http://127.0.0.1:9/hook\"\n"), 0o644)
	c := parseConfig(t, "--config", f)
	s, a := auditOptions(c, Runtime{})
	if want := (audit.ScheduleOptions{Expiry: "@every 15s", Consistency: "@every 10m", BGP: "@every 1h"}); s != want {
		t.Fatalf("schedule %+v, want %+v", s, want)
	}
	if a.ExpiryWarning != 48*time.Hour || a.Webhook != "http://127.0.0.1:9/hook" {
		t.Fatalf("alerts %+v", a)
	}
}

// TestConfigRP: [rp] and its flags reach the RP runner; no TAL by default.
func TestConfigRP(t *testing.T) {
	c := parseConfig(t)
	if c.RP.TALs != nil || c.RP.Interval != 10*time.Minute || rpMaxLoss(c) != 0.1 {
		t.Fatalf("defaults: tals %q interval %s max loss %v", c.RP.TALs, c.RP.Interval, rpMaxLoss(c))
	}
	tal := filepath.Join(t.TempDir(), "ripe.tal")
	os.WriteFile(tal, []byte("x"), 0o644)
	c = parseConfig(t, "--rp-tal", tal, "--rp-interval", "15m", "--rp-max-loss", "0")
	if len(c.RP.TALs) != 1 || c.RP.TALs[0] != tal || c.RP.Interval != 15*time.Minute || rpMaxLoss(c) != 1e-12 {
		t.Fatalf("flags: tals %q interval %s max loss %v", c.RP.TALs, c.RP.Interval, rpMaxLoss(c))
	}
}

// TestConfigParts: the settings reach the CA, RTR and the BGP speaker.
func TestConfigParts(t *testing.T) {
	c := parseConfig(t, "--bgp-listen", "127.0.0.1:1179", "--bgp-asn", "64500", "--bgp-router-id", "192.0.2.9",
		"--bgp-peer", "64501@127.0.0.1", "--rtr-refresh", "900", "--asns", "AS65000-AS65010")
	if b := bgpOptions(c); b.Listen != "127.0.0.1:1179" || b.ASN != 64500 || b.RouterID != "192.0.2.9" ||
		len(b.Peers) != 1 || b.Peers[0] != (bgp.Peer{ASN: 64501, Address: "127.0.0.1"}) {
		t.Fatalf("bgp %+v", b)
	}
	if r := rtrConfig(c); r.Refresh != 900*time.Second || r.Retry != 600*time.Second || r.NotifyInterval != time.Minute {
		t.Fatalf("rtr %+v", r)
	}
	if as := asRanges(c); len(as) != 1 || as[0].Min != 65000 || as[0].Max != 65010 {
		t.Fatalf("as %+v", as)
	}
	if tm := caTiming(c); tm.ROAValidity != 8736*time.Hour || tm.ManifestReissueBefore != 8*time.Hour {
		t.Fatalf("timing %+v", tm)
	}
	if b := bgpOptions(parseConfig(t)); b.Listen != "" || b.RouterID != "" || b.Peers != nil {
		t.Fatalf("bgp off by default: %+v", b)
	}
}
