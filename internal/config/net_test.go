package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestHTTPAndRTRLimits: the [http] table (with its listen key, the flags
// over it) and the RTR connection bounds.
func TestHTTPAndRTRLimits(t *testing.T) {
	p := writeFile(t, `[http]
listen = "[::1]:9080"
tls = "file"
tls_cert = "/etc/road/api.pem"
tls_key = "/etc/road/api.key"
read_header_timeout = "2s"
read_timeout = "1m"
write_timeout = "10m"
idle_timeout = "30s"
max_header_bytes = 8192
access_log = "debug"

[rtr]
handshake_timeout = "5s"
pdu_timeout = "3s"
session_timeout = "3h"
max_connections = 100
max_per_source = 4
`)
	c, err := Parse([]string{"--config", p}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	wantHTTP := HTTPServer{TLS: "file", TLSCert: "/etc/road/api.pem", TLSKey: "/etc/road/api.key",
		ReadHeaderTimeout: 2 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 10 * time.Minute,
		IdleTimeout: 30 * time.Second, MaxHeaderBytes: 8192, AccessLog: "debug"}
	wantRTR := RTRLimits{5 * time.Second, 3 * time.Second, 3 * time.Hour, 100, 4}
	if c.HTTP != "[::1]:9080" || !reflect.DeepEqual(c.HTTPServer, wantHTTP) || c.RTRLimits != wantRTR {
		t.Fatalf("file: %q %+v %+v", c.HTTP, c.HTTPServer, c.RTRLimits)
	}
	c, err = Parse([]string{"--http", "0.0.0.0:8080", "--http-allow-plain", "--http-idle-timeout", "5s", "--http-access-log", "off",
		"--rtr-max-connections", "10", "--rtr-max-per-source", "10", "--rtr-pdu-timeout", "1s"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.HTTPServer.AllowPlain || c.HTTPServer.IdleTimeout != 5*time.Second || c.HTTPServer.AccessLog != "off" ||
		c.RTRLimits.MaxConnections != 10 || c.RTRLimits.PDUTimeout != time.Second {
		t.Fatalf("flags: %+v %+v", c.HTTPServer, c.RTRLimits)
	}
	if c, err = Parse([]string{"--config", writeFile(t, "[http]\nallow_plain = true\nlisten = \":8080\"\n")}, env(nil)); err != nil || !c.HTTPServer.AllowPlain {
		t.Fatalf("allow_plain in the file: %v", err)
	}
	if c, err = Parse([]string{"--http", "192.0.2.1:443", "--http-tls", "testbed"}, env(nil)); err != nil || c.HTTPServer.TLS != "testbed" {
		t.Fatalf("testbed TLS off loopback: %v", err)
	}
}

func TestHTTPValidation(t *testing.T) {
	for _, tc := range []struct {
		args []string
		file string
		want string
	}{
		{[]string{"--http", "0.0.0.0:8080"}, "", "http.listen (--http) 0.0.0.0:8080 is not a loopback address: the REST API would send the admin token in cleartext; serve it over TLS with --http-tls testbed|file, or allow plain HTTP with --http-allow-plain"},
		{[]string{"--http", ":8080"}, "", "--http-allow-plain"},
		{[]string{"--http", "road.example.net:8080"}, "", "--http-allow-plain"},
		{nil, "http = \"[2001:db8::1]:8080\"\n", "--http-allow-plain"},
		{[]string{"--http-tls", "on"}, "", `http.tls (--http-tls): "on" is not off, testbed or file`},
		{[]string{"--http-tls", "file"}, "", "http.tls (--http-tls) file goes with"},
		{[]string{"--http-tls-cert", "c.pem", "--http-tls-key", "k.pem"}, "", "http.tls (--http-tls) file goes with"},
		{[]string{"--http-tls", "file", "--http-tls-cert", "c.pem"}, "", "--http-tls-key"},
		{[]string{"--http-idle-timeout", "0s"}, "", "http.idle_timeout (--http-idle-timeout): must be positive"},
		{[]string{"--http-max-header-bytes", "100"}, "", "http.max_header_bytes"},
		{nil, "[http]\nmax_header_bytes = 1.5\n", "http.max_header_bytes"},
		{nil, "[http]\nallow_plain = \"yes\"\n", "http.allow_plain: must be true or false"},
		{[]string{"--http-access-log", "loud"}, "", "http.access_log"},
		{[]string{"--rtr-max-per-source", "40", "--rtr-max-connections", "20"}, "", "rtr.max_per_source (--rtr-max-per-source) 40 is above"},
		{[]string{"--rtr-max-connections", "0"}, "", "rtr.max_connections"},
		{[]string{"--rtr-handshake-timeout", "0s"}, "", "rtr.handshake_timeout"},
		{[]string{"--rtr-session-timeout", "-1s"}, "", "rtr.session_timeout"},
	} {
		args := tc.args
		if tc.file != "" {
			args = append([]string{"--config", writeFile(t, tc.file)}, args...)
		}
		_, err := Parse(args, nil)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %q: %v, want a usage error with %q", tc.args, tc.file, err, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.3.4.5:1": true, "[::1]:8080": true, "localhost:8080": true, "LOCALHOST:1": true,
		"0.0.0.0:8080": false, ":8080": false, "[::]:8080": false, "192.0.2.1:80": false, "example.net:80": false,
		"127.0.0.1": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}
