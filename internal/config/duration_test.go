package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDurationsOneSyntax: road serve's flags, its TOML file and road rtr's
// flags take the same durations: Go syntax or a bare number of seconds.
func TestDurationsOneSyntax(t *testing.T) {
	for _, in := range []struct {
		flag, file string
	}{
		{"900", "900"},
		{"15m", `"15m"`},
		{"900s", `"900"`},
	} {
		c, err := Parse([]string{"--rtr-refresh", in.flag, "--rtr-retry", in.flag, "--rtr-expire", "1h",
			"--bgp-hold", in.flag, "--rp-interval", in.flag}, nil)
		if err != nil {
			t.Fatalf("flags %s: %v", in.flag, err)
		}
		if c.RTRTimers.Refresh != 900 || c.RTRTimers.Retry != 900 || c.RTRTimers.Expire != 3600 ||
			c.BGP.HoldAfterDown != 15*time.Minute || c.RP.Interval != 15*time.Minute {
			t.Fatalf("flags %s: %+v %v %v", in.flag, c.RTRTimers, c.BGP.HoldAfterDown, c.RP.Interval)
		}
		file := "[rtr]\nrefresh = " + in.file + "\nexpire = 3600\n[timing]\nmanifest_reissue_before = " + in.file +
			"\n[rp]\ninterval = " + in.file + "\n"
		c, err = Parse([]string{"--config", writeFile(t, file)}, nil)
		if err != nil {
			t.Fatalf("file %s: %v", in.file, err)
		}
		if c.RTRTimers.Refresh != 900 || c.RTRTimers.Expire != 3600 || c.Timing.ManifestReissueBefore != 15*time.Minute ||
			c.RP.Interval != 15*time.Minute {
			t.Fatalf("file %s: %+v %v %v", in.file, c.RTRTimers, c.Timing.ManifestReissueBefore, c.RP.Interval)
		}
		r, err := ParseRTRCache([]string{"--vrps", "v.json", "--refresh", in.flag, "--retry", in.flag, "--expire", "3600",
			"--poll", in.flag})
		if err != nil {
			t.Fatalf("road rtr %s: %v", in.flag, err)
		}
		if r.Refresh != 15*time.Minute || r.Retry != 15*time.Minute || r.Expire != time.Hour || r.Poll != 15*time.Minute {
			t.Fatalf("road rtr %s: %+v", in.flag, r)
		}
	}
}

// TestRTRCacheTimerRules: road rtr refuses the End of Data timers road
// serve refuses (RFC 8210 §6), with the same words.
func TestRTRCacheTimerRules(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--refresh", "0"}, "--refresh: 0s outside 1s..86400s (RFC 8210 §6)"},
		{[]string{"--refresh", "25h"}, "--refresh: 90000s outside 1s..86400s (RFC 8210 §6)"},
		{[]string{"--retry", "500ms"}, "--retry: 500ms is not a whole number of seconds (RFC 8210 §6)"},
		{[]string{"--expire", "5m"}, "--expire: 300s outside 600s..172800s (RFC 8210 §6)"},
		{[]string{"--refresh", "2h", "--expire", "1h"}, "--expire 1h0m0s must be larger than --refresh 2h0m0s and --retry 10m0s (RFC 8210 §6)"},
		{[]string{"--refresh", "soon"}, `--refresh: "soon" is not a duration such as "90s", "1h" or a number of seconds`},
	} {
		_, err := ParseRTRCache(append([]string{"--vrps", "v.json"}, tc.args...))
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v\nwant %s", tc.args, err, tc.want)
		}
	}
}

// TestDurationRowsTakeIntegers: every row whose setter reads a duration
// takes tomlDuration, so the file accepts seconds as integers wherever the
// flag does (a new row with toml: tomlString for a duration fails here).
func TestDurationRowsTakeIntegers(t *testing.T) {
	for _, s := range settings() {
		if s.key == "" || s.set == nil {
			continue
		}
		err := s.set(&Config{}, []string{"not-a-duration"})
		isDuration := err != nil && strings.Contains(err.Error(), "is not a duration")
		if isDuration != (s.toml == tomlDuration) {
			t.Errorf("%s: reads a duration %v, toml kind %d (durations take tomlDuration)", s.label(), isDuration, s.toml)
		}
	}
}
