package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
)

// TestPrintTimelineExternal: `roactl change show` prints the optional
// "external" stage (an external relying party's VRP JSON showed the change)
// with its note, after the RTR stage with its serial and routers.
func TestPrintTimelineExternal(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	two := 2
	var b bytes.Buffer
	printTimeline(&b, []api.ChangeEvent{
		{Stage: "signed", At: t0},
		{Stage: "rtr", At: t0.Add(5 * time.Second), Serial: 7, Routers: &two},
		{Stage: "external", At: t0.Add(90 * time.Second), Note: "in the external VRP JSON built then"},
	})
	want := "STAGE     AT                    ACTOR  DETAIL\n" +
		"signed    2026-01-02T00:00:00Z  -      -\n" +
		"rtr       2026-01-02T00:00:05Z  -      serial 7; 2 router(s) connected\n" +
		"external  2026-01-02T00:01:30Z  -      in the external VRP JSON built then\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}
