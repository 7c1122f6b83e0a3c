package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
)

func TestPrintWaves(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	a, b := &api.RTRWavesSet{ID: "aaaa", VRPs: 2}, &api.RTRWavesSet{ID: "bbbb", VRPs: 3}
	var out bytes.Buffer
	printWaves(&out, &api.RTRWaves{Enabled: true, Rolling: true, Base: a, Newest: b, Waves: []api.RTRWavesWave{
		{Name: "canary", Hold: "1h0m0s", Serial: 7, Set: b, Since: t0, State: "holding", HoldUntil: t0.Add(time.Hour)},
		{Name: "rest", Hold: "2h0m0s", Serial: 5, Set: a, Since: t0.Add(-time.Hour), State: "stable"},
	}, Health: &api.RTRWavesCheck{At: t0.Add(time.Minute), Failed: "command", Reason: "health command: exit status 1: down"}})
	want := "" +
		"WAVE    SERIAL  SET            STATE    SINCE                 HOLD    HOLD-UNTIL\n" +
		"canary  7       bbbb (3 VRPs)  holding  2026-12-03T12:00:00Z  1h0m0s  2026-12-03T13:00:00Z\n" +
		"rest    5       aaaa (2 VRPs)  stable   2026-12-03T11:00:00Z  2h0m0s  -\n" +
		"base aaaa (2 VRPs); newest bbbb (3 VRPs)\n" +
		"last health check 2026-12-03T12:01:00Z: FAILED (command): health command: exit status 1: down\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	printWaves(&out, &api.RTRWaves{})
	if out.String() != "no RTR waves configured: every router gets every set at once\n" {
		t.Fatalf("without waves: %q", out.String())
	}
}
