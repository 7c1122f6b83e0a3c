package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
)

// TestPrintStatusRTRClients: one aligned line per connected router, with
// its negotiated version, serial, times and query counts.
func TestPrintStatusRTRClients(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printStatus(&b, &api.Status{RTR: &api.RTRStatus{Listen: "127.0.0.1:8282", Serial: 4, HasData: true, VRPs: 3, Clients: []api.RTRClient{
		{Remote: "127.0.0.1:40000", Version: 1, Serial: 4, Connected: t0, LastQuery: t0.Add(time.Minute), ResetQueries: 1, SerialQueries: 3},
		{Remote: "[::1]:40001", Version: -1, Connected: t0},
	}}})
	got := b.String()
	got = got[strings.Index(got, "RTR "):]
	want := "" +
		"RTR                   127.0.0.1:8282, serial 4, has data, 2 clients\n" +
		"                        127.0.0.1:40000  v1           serial 4  connected 2026-01-02T00:00:00Z  last query 2026-01-02T00:01:00Z  1 reset, 3 serial queries\n" +
		"                        [::1]:40001      negotiating  serial -  connected 2026-01-02T00:00:00Z  last query -                     0 reset, 0 serial queries\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}
