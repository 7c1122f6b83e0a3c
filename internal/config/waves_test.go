package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

const wavesFile = `
[rtr]
wave_health_command = "check-routers --quick"
wave_max_invalid = 3

[[rtr.waves]]
name = "canary"
hold = "30m"
sources = ["192.0.2.0/24", "2001:db8::/32"]
certs = ["rtr1.example.net"]

[[rtr.waves]]
name = "rest"
hold = 3600
`

func TestWavesFromFileAndFlags(t *testing.T) {
	c, err := Parse([]string{"--config", writeFile(t, wavesFile)}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := RTRWaves{Waves: []RTRWave{
		{Name: "canary", Hold: 30 * time.Minute, Sources: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")},
			CertNames: []string{"rtr1.example.net"}},
		{Name: "rest", Hold: time.Hour},
	}, HealthCommand: "check-routers --quick", MaxInvalid: 3, HealthTimeout: 30 * time.Second, CheckInterval: 10 * time.Second}
	if !reflect.DeepEqual(c.RTRWaves, want) {
		t.Fatalf("got %+v\nwant %+v", c.RTRWaves, want)
	}
	c, err = Parse([]string{"--rtr-wave", "name=a,hold=1m,source=127.0.0.1/32", "--rtr-wave", "name=b,hold=0s",
		"--rtr-wave-health-url", "http://127.0.0.1:9/ok"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RTRWaves.Waves[0].String() + " " + c.RTRWaves.Waves[1].String(); got != "name=a,hold=1m0s,source=127.0.0.1/32 name=b,hold=0s" {
		t.Fatalf("flags: %s", got)
	}
	r, err := ParseRTRCache([]string{"--vrps", "v.json", "--wave", "name=a,cert=r1", "--wave", "name=b", "--wave-state", "s.json",
		"--wave-health-command", "true"})
	if err != nil || len(r.Waves.Waves) != 2 || r.Waves.Waves[0].CertNames[0] != "r1" || r.Waves.StateFile != "s.json" {
		t.Fatalf("road rtr: %+v %v", r, err)
	}
}

func TestWavesRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rtr-wave", "hold=1m"}, "needs a name"},
		{[]string{"--rtr-wave", "name=a", "--rtr-wave", "name=a"}, "wave a is named twice"},
		{[]string{"--rtr-wave", "name=a,source=300.0.0.0/8"}, "300.0.0.0/8"},
		{[]string{"--rtr-wave", "name=a,colour=red"}, `unknown wave key "colour"`},
		{[]string{"--rtr-wave-health-command", "true"}, "no wave is configured"},
		{[]string{"--rtr-wave", "name=a", "--rtr-wave-health-url", "ftp://x"}, "not an http(s) URL"},
	} {
		_, err := Parse(tc.args, env(nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := ParseRTRCache([]string{"--vrps", "v.json", "--wave", "name=a"}); err == nil || !strings.Contains(err.Error(), "--wave-state") {
		t.Errorf("road rtr --wave without --wave-state: %v", err)
	}
}
