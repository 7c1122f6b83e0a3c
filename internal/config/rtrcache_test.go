package config

import (
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRTRCacheDefaults(t *testing.T) {
	c, err := ParseRTRCache([]string{"--vrps", "vrps.json"})
	if err != nil {
		t.Fatal(err)
	}
	want := RTRCache{Source: "vrps.json", Listen: "127.0.0.1:8282", Poll: time.Minute, MaxAge: 24 * time.Hour,
		Refresh: time.Hour, Retry: 10 * time.Minute, Expire: 2 * time.Hour, Notify: time.Minute, MaxVersion: 2, Window: 100, LogFormat: "text",
		Limits: defaultRTRLimits, Waves: RTRWaves{HealthTimeout: 30 * time.Second, CheckInterval: 10 * time.Second}}
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("got %+v\nwant %+v", *c, want)
	}
	c, err = ParseRTRCache([]string{"--vrps", "https://x/v.json", "--notify-interval=-1s", "-v", "--max-version", "0",
		"--tls-cert", "c.pem", "--tls-key", "k.pem", "--metrics", "127.0.0.1:9847", "--log-format", "json"})
	if err != nil || c.Notify != -time.Second || !c.Verbose || c.MaxVersion != 0 || c.TLSKey != "k.pem" || c.Metrics != "127.0.0.1:9847" || c.LogFormat != "json" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestRTRCacheRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--vrps"},
		{[]string{"--vrps", "x", "extra"}, "unexpected argument"},
		{[]string{"--vrps", "x", "--max-version", "3"}, "--max-version"},
		{[]string{"--vrps", "x", "--tls-cert", "c.pem"}, "--tls-key"},
		{[]string{"--vrps", "x", "--tls-client-ca", "ca.pem"}, "--tls-client-ca"},
		{[]string{"--vrps", "x", "--poll", "soon"}, "--poll"},
		{[]string{"--vrps", "x", "--log-format", "logfmt"}, "--log-format"},
		{[]string{"--vrps", "x", "--max-per-source", "9", "--max-connections", "8"}, "--max-per-source 9 is above --max-connections 8"},
		{[]string{"--vrps", "x", "--pdu-timeout", "0s"}, "--pdu-timeout"},
	} {
		_, err := ParseRTRCache(tc.args)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want usage error naming %s", tc.args, err, tc.want)
		}
	}
	if _, err := ParseRTRCache([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}
