package config

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "road.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	defaultRTRWaves   = RTRWaves{HealthTimeout: 30 * time.Second, CheckInterval: 10 * time.Second}
	defaultRTRLimits  = RTRLimits{HandshakeTimeout: 30 * time.Second, PDUTimeout: 10 * time.Second, MaxConnections: 1024, MaxPerSource: 32}
	defaultHTTPServer = HTTPServer{TLS: "off", ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 65536, AccessLog: "info"}
)

func TestDefaults(t *testing.T) {
	c, err := Parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		DataDir: "./road-data", HTTP: "127.0.0.1:8080", HTTPS: "127.0.0.1:8443", RTR: "127.0.0.1:8282",
		RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://127.0.0.1:8443/rrdp/", LogLevel: "info", LogFormat: "text",
		Resources: []netip.Prefix{
			netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
			netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
		},
		ASNs:     []ASRange{{64496, 64511}},
		Timing:   Timing{8736 * time.Hour, 672 * time.Hour, 24 * time.Hour, 8 * time.Hour},
		Schedule: Schedule{"@every 1h", "@every 10m", "@every 1h"},
		Alerts:   Alerts{ExpiryWarning: 72 * time.Hour},
		Approval: Approval{Expiry: 24 * time.Hour, ExternalInterval: time.Minute}, PropagationAlarm: 15 * time.Minute,
		RP:         RP{Interval: 10 * time.Minute, MaxVRPLoss: 0.1},
		Publish:    Publish{Gate: true, GateTimeout: 30 * time.Second, MaxShrink: 0.5},
		RTRTimers:  RTRTimers{3600, 600, 7200, 60 * time.Second},
		RTRLimits:  defaultRTRLimits,
		RTRWaves:   defaultRTRWaves,
		HTTPServer: defaultHTTPServer,
		Delegation: Delegation{Handle: "road", Poll: 10 * time.Minute, PollJitter: 0.1, BackoffMax: 6 * time.Hour},
		KeyRoll:    KeyRoll{Staging: 24 * time.Hour},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults\n got %+v\nwant %+v", c, want)
	}
	if c.BGP.Enabled() {
		t.Error("BGP enabled by default")
	}
}

const fullFile = `
data_dir = "/var/lib/road"
http = "127.0.0.1:9080"
https = "[::1]:9443"
tls_cert = "/etc/road/cert.pem"
tls_key = "/etc/road/key.pem"
rsync_base = "rsync://rpki.example.net/repo/"
rrdp_base = "https://rpki.example.net/rrdp/"
log_level = "debug"
log_format = "json"
slurm = "/etc/road/local.slurm"
resources = ["10.0.0.0/8", "2001:db8:1::/48"]
asns = ["AS65000-AS65010", 65100]

[rtr]
listen = "127.0.0.1:3323"
refresh = 900
retry = 300
expire = 3600
notify_interval = "5s"

[bgp]
listen = "127.0.0.1:1790"
asn = "AS64500"
router_id = "192.0.2.1"
peers = ["64501@127.0.0.1", "AS64502@::1"]
hold_after_down = "5m"
sync_timeout = "30s"

[timing]
roa_validity = "720h"
roa_reissue_before = "240h"
manifest_validity = "1h"
manifest_reissue_before = "20m"

[schedule]
expiry_audit = "@every 10s"
consistency_audit = "*/5 * * * *"
bgp_audit = "@hourly"

[alerts]
expiry_warning = "48h"
webhook = "https://hooks.example.net/road"
`

func TestFile(t *testing.T) {
	p := writeFile(t, fullFile)
	c, err := Parse([]string{"--config", p}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		ConfigFile: p,
		DataDir:    "/var/lib/road", HTTP: "127.0.0.1:9080", HTTPS: "[::1]:9443",
		TLSCert: "/etc/road/cert.pem", TLSKey: "/etc/road/key.pem", RTR: "127.0.0.1:3323",
		RsyncBase: "rsync://rpki.example.net/repo/", RRDPBase: "https://rpki.example.net/rrdp/", LogLevel: "debug", LogFormat: "json",
		SLURMFile: "/etc/road/local.slurm",
		Resources: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48")},
		ASNs:      []ASRange{{65000, 65010}, {65100, 65100}},
		BGP: BGP{Listen: "127.0.0.1:1790", ASN: 64500, RouterID: netip.MustParseAddr("192.0.2.1"),
			Peers:         []BGPPeer{{64501, netip.MustParseAddr("127.0.0.1")}, {64502, netip.MustParseAddr("::1")}},
			HoldAfterDown: 5 * time.Minute, SyncTimeout: 30 * time.Second},
		Timing:   Timing{720 * time.Hour, 240 * time.Hour, time.Hour, 20 * time.Minute},
		Schedule: Schedule{"@every 10s", "*/5 * * * *", "@hourly"},
		Alerts:   Alerts{48 * time.Hour, "https://hooks.example.net/road"},
		Approval: Approval{Expiry: 24 * time.Hour, ExternalInterval: time.Minute}, PropagationAlarm: 15 * time.Minute,
		RP:         RP{Interval: 10 * time.Minute, MaxVRPLoss: 0.1},
		Publish:    Publish{Gate: true, GateTimeout: 30 * time.Second, MaxShrink: 0.5},
		RTRTimers:  RTRTimers{900, 300, 3600, 5 * time.Second},
		RTRLimits:  defaultRTRLimits,
		RTRWaves:   defaultRTRWaves,
		HTTPServer: defaultHTTPServer,
		Delegation: Delegation{Handle: "road", Poll: 10 * time.Minute, PollJitter: 0.1, BackoffMax: 6 * time.Hour},
		KeyRoll:    KeyRoll{Staging: 24 * time.Hour},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("file\n got %+v\nwant %+v", c, want)
	}
	if c.SlogLevel().String() != "DEBUG" {
		t.Errorf("slog level %v", c.SlogLevel())
	}
}

func TestPrecedence(t *testing.T) {
	p := writeFile(t, "data_dir = \"/from/file\"\nhttp = \"127.0.0.1:1111\"\nrtr = \"127.0.0.1:2222\"\n[bgp]\nlisten = \"127.0.0.1:1790\"\nasn = 64500\nrouter_id = \"10.0.0.1\"\npeers = [\"64501@127.0.0.1\"]\n")
	e := env(map[string]string{"ROAD_DATA_DIR": "/from/env"})

	// env beats the file.
	c, err := Parse([]string{"--config", p}, e)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from/env" || c.HTTP != "127.0.0.1:1111" || c.RTR != "127.0.0.1:2222" {
		t.Fatalf("file+env: %q %q %q", c.DataDir, c.HTTP, c.RTR)
	}
	// flags beat both; a repeated --bgp-peer replaces the file's list.
	c, err = Parse([]string{"--config", p, "--data-dir", "/from/flag", "--http=127.0.0.1:3333",
		"--bgp-peer", "64510@127.0.0.2", "--bgp-peer", "64511@::1", "--resources", "192.0.2.0/24,AS64496"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from/flag" || c.HTTP != "127.0.0.1:3333" || c.RTR != "127.0.0.1:2222" {
		t.Fatalf("flags: %q %q %q", c.DataDir, c.HTTP, c.RTR)
	}
	wantPeers := []BGPPeer{{64510, netip.MustParseAddr("127.0.0.2")}, {64511, netip.MustParseAddr("::1")}}
	if !reflect.DeepEqual(c.BGP.Peers, wantPeers) || c.BGP.ASN != 64500 {
		t.Fatalf("peers %v asn %d", c.BGP.Peers, c.BGP.ASN)
	}
	if !reflect.DeepEqual(c.Resources, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}) ||
		!reflect.DeepEqual(c.ASNs, []ASRange{{64496, 64496}}) {
		t.Fatalf("resources %v asns %v", c.Resources, c.ASNs)
	}
	// Env alone applies without a file.
	c, err = Parse(nil, e)
	if err != nil || c.DataDir != "/from/env" {
		t.Fatalf("env only: %v %v", c, err)
	}
	// BGP from flags only.
	c, err = Parse([]string{"--bgp-listen", "127.0.0.1:1179", "--bgp-asn", "AS64500", "--bgp-router-id", "192.0.2.9", "--bgp-peer", "64501@127.0.0.1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.BGP.Enabled() || c.BGP.ASN != 64500 || c.BGP.RouterID != netip.MustParseAddr("192.0.2.9") || c.BGP.Peers[0].String() != "64501@127.0.0.1" {
		t.Fatalf("bgp %+v", c.BGP)
	}
}

func TestUnknownKeys(t *testing.T) {
	for body, key := range map[string]string{
		"data_dri = \"x\"\n":                            "data_dri",
		"[timing]\nroa_validty = \"1h\"\n":              "timing.roa_validty",
		"[bgp]\nlisten = \"127.0.0.1:1\"\nasm = 1\n":    "bgp.asm",
		"[rtr]\nlisten = \"127.0.0.1:1\"\nrefesh = 1\n": "rtr.refesh",
		"[nonsense]\na = 1\n":                           "nonsense",
	} {
		_, err := Parse([]string{"--config", writeFile(t, body)}, nil)
		if err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "unknown key") || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: err %v, want unknown key %s", body, err, key)
		}
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name string
		args []string
		file string
		want string // substring that names the bad key/flag
	}{
		{"unknown flag", []string{"--nope"}, "", "nope"},
		{"positional", []string{"extra"}, "", `unexpected argument "extra"`},
		{"missing file", []string{"--config", "/nonexistent/road.toml"}, "", "--config"},
		{"toml syntax", nil, "http = \n", "road.toml"},
		{"toml type", nil, "http = 8080\n", "http"},
		{"rrdp http", []string{"--rrdp-base", "http://127.0.0.1:8080/rrdp/"}, "", "rrdp_base (--rrdp-base)"},
		{"rrdp slash", []string{"--rrdp-base", "https://127.0.0.1:8443/rrdp"}, "", "must end with '/'"},
		{"rsync scheme", []string{"--rsync-base", "https://127.0.0.1/repo/"}, "", "rsync_base (--rsync-base)"},
		{"rsync slash", []string{"--rsync-base", "rsync://127.0.0.1:8873/repo"}, "", "rsync_base"},
		{"rsync module", []string{"--rsync-base", "rsync://127.0.0.1:8873/"}, "", "module"},
		{"rsync file", nil, "rsync_base = \"rsync://h/repo\"\n", "rsync_base"},
		{"http addr", []string{"--http", "127.0.0.1"}, "", "http (--http)"},
		{"http port", []string{"--http", "127.0.0.1:99999"}, "", "http (--http)"},
		{"rtr addr", []string{"--rtr", "localhost"}, "", "rtr (--rtr)"},
		{"tls half", []string{"--tls-cert", "c.pem"}, "", "--tls-key"},
		{"prefix host bits", []string{"--resources", "192.0.2.1/24"}, "", "--resources"},
		{"prefix junk", nil, "resources = [\"banana\"]\n", "resources"},
		{"asn reversed", []string{"--asns", "AS65010-AS65000"}, "", "--asns"},
		{"asn junk", nil, "asns = [\"ASX\"]\n", "asns"},
		{"log level", []string{"--log-level", "loud"}, "", "log_level"},
		{"log format", []string{"--log-format", "xml"}, "", "log_format (--log-format)"},
		{"log format file", nil, "log_format = \"JSON\"\n", "log_format"},
		{"bgp peer syntax", []string{"--bgp-peer", "127.0.0.1"}, "", "--bgp-peer"},
		{"bgp peer addr", nil, "[bgp]\npeers = [\"64501@nowhere\"]\n", "bgp.peers"},
		{"bgp needs listen", []string{"--bgp-asn", "64500"}, "", "bgp.listen (--bgp-listen)"},
		{"bgp needs asn", []string{"--bgp-listen", "127.0.0.1:179", "--bgp-router-id", "1.2.3.4"}, "", "bgp.asn"},
		{"bgp router id v6", []string{"--bgp-router-id", "::1"}, "", "--bgp-router-id"},
		{"bgp needs router id", []string{"--bgp-listen", "127.0.0.1:179", "--bgp-asn", "1"}, "", "bgp.router_id"},
		{"duration", nil, "[timing]\nroa_validity = \"52 weeks\"\n", "timing.roa_validity"},
		{"reissue >= validity", nil, "[timing]\nroa_validity = \"24h\"\nroa_reissue_before = \"24h\"\n", "timing.roa_reissue_before"},
		{"manifest reissue", nil, "[timing]\nmanifest_reissue_before = \"25h\"\n", "timing.manifest_reissue_before"},
		{"negative validity", nil, "[timing]\nmanifest_validity = \"-1h\"\n", "timing.manifest_validity"},
		{"cron", nil, "[schedule]\nbgp_audit = \"every hour\"\n", "schedule.bgp_audit"},
		{"alert duration", nil, "[alerts]\nexpiry_warning = \"soon\"\n", "alerts.expiry_warning"},
		{"webhook", nil, "[alerts]\nwebhook = \"ftp://x/\"\n", "alerts.webhook"},
		{"external vrps", nil, "[approval]\nexternal_vrps_url = \"rsync://x/\"\n", "approval.external_vrps_url"},
		{"rtr refresh", []string{"--rtr-refresh", "0"}, "", "rtr.refresh (--rtr-refresh)"},
		{"rtr expire", nil, "[rtr]\nexpire = 100\n", "rtr.expire"},
		{"rtr expire order", []string{"--rtr-refresh", "5000", "--rtr-expire", "4000"}, "", "rtr.expire"},
		{"rtr notify", []string{"--rtr-notify-interval", "1 minute"}, "", "--rtr-notify-interval"},
		{"rtr type", nil, "rtr = 5\n", "rtr must be"},
		{"rtr timer type", nil, "[rtr]\nrefresh = true\n", "rtr.refresh"},
		{"rtr timer fraction", []string{"--rtr-refresh", "1.5s"}, "", "--rtr-refresh: 1.5s is not a whole number of seconds (RFC 8210 §6)"},
		{"rtr timer range", nil, "[rtr]\nretry = \"3h\"\n", "rtr.retry (--rtr-retry): 10800s outside 1s..7200s"},
		{"empty data dir", []string{"--data-dir", ""}, "", "data_dir (--data-dir)"},
	}
	for _, tc := range cases {
		args := tc.args
		if tc.file != "" {
			args = append([]string{"--config", writeFile(t, tc.file)}, args...)
		}
		_, err := Parse(args, nil)
		if err == nil {
			t.Errorf("%s: accepted %v", tc.name, args)
			continue
		}
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%s: %v does not wrap ErrUsage", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q does not name %q", tc.name, err, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	_, err := Parse([]string{"--help"}, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	var b strings.Builder
	Usage(&b)
	for _, f := range []string{"-data-dir", "-rrdp-base", "-bgp-peer", "-config", "-tls-cert"} {
		if !strings.Contains(b.String(), f) {
			t.Errorf("usage lacks %s", f)
		}
	}
}

func TestSLURMAndBGPTimerFlags(t *testing.T) {
	c, err := Parse([]string{"--slurm", "/tmp/x.slurm", "--bgp-hold", "90s", "--bgp-sync-timeout", "2m"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SLURMFile != "/tmp/x.slurm" || c.BGP.HoldAfterDown != 90*time.Second || c.BGP.SyncTimeout != 2*time.Minute {
		t.Fatalf("got slurm %q hold %v sync %v", c.SLURMFile, c.BGP.HoldAfterDown, c.BGP.SyncTimeout)
	}
	if _, err := Parse([]string{"--bgp-hold", "soon"}, env(nil)); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--bgp-hold") {
		t.Fatalf("bad --bgp-hold: %v", err)
	}
}

func TestRTRTLS(t *testing.T) {
	c, err := Parse([]string{"--rtr-tls-cert", "c.pem", "--rtr-tls-key", "k.pem", "--rtr-tls-client-ca", "ca.pem"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.RTRTLSCert != "c.pem" || c.RTRTLSKey != "k.pem" || c.RTRTLSClientCA != "ca.pem" {
		t.Fatalf("flags: %q %q %q", c.RTRTLSCert, c.RTRTLSKey, c.RTRTLSClientCA)
	}
	p := writeFile(t, "[rtr]\nlisten = \"127.0.0.1:3324\"\ntls_cert = \"/etc/road/rtr.pem\"\ntls_key = \"/etc/road/rtr.key\"\n")
	if c, err = Parse([]string{"--config", p}, env(nil)); err != nil {
		t.Fatal(err)
	}
	if c.RTR != "127.0.0.1:3324" || c.RTRTLSCert != "/etc/road/rtr.pem" || c.RTRTLSKey != "/etc/road/rtr.key" || c.RTRTLSClientCA != "" {
		t.Fatalf("file: %+v", c)
	}
	for _, args := range [][]string{{"--rtr-tls-cert", "c.pem"}, {"--rtr-tls-client-ca", "ca.pem"}} {
		if _, err := Parse(args, env(nil)); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--rtr-tls") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// TestRPSettings: [rp] tals, interval and max_vrp_loss, and the flags over them.
func TestRPSettings(t *testing.T) {
	dir := t.TempDir()
	ripe, arin := filepath.Join(dir, "ripe.tal"), filepath.Join(dir, "arin.tal")
	for _, p := range []string{ripe, arin} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := writeFile(t, "[rp]\ntals = [\""+ripe+"\"]\ninterval = \"20m\"\nmax_vrp_loss = 0\n")
	c, err := Parse([]string{"--config", file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := (RP{TALs: []string{ripe}, Interval: 20 * time.Minute}); !reflect.DeepEqual(c.RP, want) {
		t.Fatalf("file: %+v, want %+v", c.RP, want)
	}
	c, err = Parse([]string{"--config", file, "--rp-tal", ripe, "--rp-tal", arin, "--rp-max-loss", "0.25"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := (RP{TALs: []string{ripe, arin}, Interval: 20 * time.Minute, MaxVRPLoss: 0.25}); !reflect.DeepEqual(c.RP, want) {
		t.Fatalf("flags: %+v, want %+v", c.RP, want)
	}
	for _, args := range [][]string{
		{"--rp-tal", filepath.Join(dir, "missing.tal")},
		{"--rp-max-loss", "1.5"},
		{"--rp-interval", "30s"},
	} {
		if _, err := Parse(args, env(nil)); !errors.Is(err, ErrUsage) {
			t.Fatalf("%q: %v, want a usage error", args, err)
		}
	}
}
