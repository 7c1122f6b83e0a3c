package main

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/vrp"
	"github.com/roadrpki/road/internal/waves"
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

// TestRTRWavesAgainstRealServer drives roactl rtr against the real API
// handlers and a real wave controller on a real RTR server.
func TestRTRWavesAgainstRealServer(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	srv := rtr.NewServer(rtr.Config{NotifyInterval: -1, Waves: []rtr.WaveGroup{{Name: "canary"}, {Name: "rest"}}})
	ctl, err := waves.New(waves.Config{Server: srv, Groups: []waves.Group{{Name: "canary", Hold: time.Hour}, {Name: "rest", Hold: time.Hour}},
		Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := vrp.ParseSet("192.0.2.0/24 => AS64496")
	b, _ := vrp.ParseSet("192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS64497")
	ctl.Update(a, nil)
	ctl.Update(b, nil)
	r := chi.NewRouter()
	api.NewServer(api.Parts{Waves: ctl}, realTokens(t, "tok", nil), nil).Routes(r)
	hs := httptest.NewServer(r)
	defer hs.Close()
	env := func(k string) string { return map[string]string{"ROAD_SERVER": hs.URL, "ROAD_TOKEN": "tok"}[k] }

	expect(t, runCLI(env, "rtr", "waves"), 0, ""+
		"WAVE    SERIAL  SET                        STATE    SINCE                 HOLD    HOLD-UNTIL\n"+
		"canary  1       1a9e933e239dbf39 (2 VRPs)  holding  2026-12-03T12:00:00Z  1h0m0s  2026-12-03T13:00:00Z\n"+
		"rest    0       9d6465235adf39f9 (1 VRPs)  stable   2026-12-03T12:00:00Z  1h0m0s  -\n"+
		"base 9d6465235adf39f9 (1 VRPs); newest 1a9e933e239dbf39 (2 VRPs)\n")
	expect(t, runCLI(env, "rtr", "promote"), 0, ""+
		"WAVE    SERIAL  SET                        STATE    SINCE                 HOLD    HOLD-UNTIL\n"+
		"canary  1       1a9e933e239dbf39 (2 VRPs)  holding  2026-12-03T12:00:00Z  1h0m0s  2026-12-03T13:00:00Z\n"+
		"rest    1       1a9e933e239dbf39 (2 VRPs)  holding  2026-12-03T12:00:00Z  1h0m0s  2026-12-03T13:00:00Z\n"+
		"base 9d6465235adf39f9 (1 VRPs); newest 1a9e933e239dbf39 (2 VRPs)\n"+
		"last health check 2026-12-03T12:00:00Z: ok, 0 routes turn Invalid\n")
	expect(t, runCLI(env, "rtr", "rollback"), 0, ""+
		"WAVE    SERIAL  SET                        STATE   SINCE                 HOLD    HOLD-UNTIL\n"+
		"canary  2       9d6465235adf39f9 (1 VRPs)  stable  2026-12-03T12:00:00Z  1h0m0s  -\n"+
		"rest    2       9d6465235adf39f9 (1 VRPs)  stable  2026-12-03T12:00:00Z  1h0m0s  -\n"+
		"base 9d6465235adf39f9 (1 VRPs); newest 1a9e933e239dbf39 (2 VRPs), held after a rollback (roactl rtr promote starts it again)\n"+
		"last health check 2026-12-03T12:00:00Z: ok, 0 routes turn Invalid\n")
	res := runCLI(env, "rtr", "rollback")
	if res.code != 2 || res.stderr != "roactl: server refused (409 conflict): nothing to roll back: every wave serves the same set\n" {
		t.Fatalf("rollback again: %+v", res)
	}
	expect(t, runCLI(env, "-o", "json", "rtr", "waves"), 0, `{
  "enabled": true,
  "rolling": false,
  "base": {
    "id": "9d6465235adf39f9",
    "vrps": 1,
    "aspas": 0
  },
  "newest": {
    "id": "1a9e933e239dbf39",
    "vrps": 2,
    "aspas": 0
  },
  "held": true,
  "waves": [
    {
      "name": "canary",
      "hold": "1h0m0s",
      "serial": 2,
      "set": {
        "id": "9d6465235adf39f9",
        "vrps": 1,
        "aspas": 0
      },
      "since": "2026-12-03T12:00:00Z",
      "state": "stable"
    },
    {
      "name": "rest",
      "hold": "1h0m0s",
      "serial": 2,
      "set": {
        "id": "9d6465235adf39f9",
        "vrps": 1,
        "aspas": 0
      },
      "since": "2026-12-03T12:00:00Z",
      "state": "stable"
    }
  ],
  "last_health": {
    "at": "2026-12-03T12:00:00Z",
    "ok": true,
    "harmed_routes": 0
  }
}
`)
}
