package proposal

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/roadrpki/road/internal/vrp"
)

// TestPropagationFollowAndAlarm: a change reaches "validated" and "rtr"
// only once the views show all of it; one that the RTR server does not
// serve within the alarm time raises the alarm once.
func TestPropagationFollowAndAlarm(t *testing.T) {
	s, _ := newService(t)
	now := svcT0
	s.clock = func() time.Time { return now }
	var alarms []any
	s.prop.alarm = func(_ context.Context, v any) { alarms = append(alarms, v) }
	ctx := context.Background()
	for _, r := range []*Request{
		{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}},
		{Add: []ROA{{Prefix: "2001:db8::/32", ASN: 64497}}, Remove: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}},
	} {
		if res, err := s.Propose(ctx, "alice", r); err != nil || !res.Applied {
			t.Fatalf("%v %+v", err, res)
		}
	}
	first, err := vrp.ParseSet("192.0.2.0/24 => AS64496")
	if err != nil {
		t.Fatal(err)
	}
	both, err := vrp.ParseSet("2001:db8::/32 => AS64497")
	if err != nil {
		t.Fatal(err)
	}
	now = svcT0.Add(3 * time.Second)
	s.Follow(ctx, first, first, 7, 2) // the views show change 1, not change 2 yet
	now = svcT0.Add(20 * time.Minute)
	s.CheckLate(ctx)
	s.CheckLate(ctx) // once per change
	c1, _ := s.Change(ctx, 1)
	c2, _ := s.Change(ctx, 2)
	if got := stages(c1.Timeline); !reflect.DeepEqual(got, []string{StageProposed, StageSigned, StagePublished, StageValidated, StageRTR}) {
		t.Fatalf("change 1 timeline %v", got)
	}
	if e := c1.Timeline[4]; e.Serial != 7 || e.Routers != 2 || !e.At.Equal(svcT0.Add(3*time.Second)) {
		t.Fatalf("change 1 rtr stage %+v", e)
	}
	if got := stages(c2.Timeline); !reflect.DeepEqual(got, []string{StageProposed, StageSigned, StagePublished, StageLate}) {
		t.Fatalf("change 2 timeline %v", got)
	}
	if n := c2.Timeline[3].Note; n != "not validated, not rtr within 15m0s" {
		t.Fatalf("late note %q", n)
	}
	want := []any{map[string]any{"alarm": "change-propagation-late", "change": int64(2), "since": svcT0,
		"missing": []string{StageValidated, StageRTR}, "after": "15m0s"}}
	if !reflect.DeepEqual(alarms, want) {
		t.Fatalf("alarms %v, want %v", alarms, want)
	}
	var m dto.Metric
	if s.prop.late.Write(&m); m.GetCounter().GetValue() != 1 {
		t.Fatalf("late counter %v", m.GetCounter().GetValue())
	}
	s.Follow(ctx, both, both, 8, 1)
	if c2, _ = s.Change(ctx, 2); len(c2.Timeline) != 6 || c2.Timeline[5].Stage != StageRTR || c2.Timeline[5].Serial != 8 {
		t.Fatalf("change 2 after it arrived: %+v", c2.Timeline)
	}
	// Change 1 reached RTR 3s after it was signed, change 2 20 minutes after.
	if s.prop.toRTR.(interface{ Write(*dto.Metric) error }).Write(&m); m.GetHistogram().GetSampleCount() != 2 ||
		m.GetHistogram().GetSampleSum() != 3+20*60 {
		t.Fatalf("approval-to-RTR histogram %v", m.GetHistogram())
	}
}

// TestPublishedWhenSeen: a change whose publication failed at first (the
// gate refused it, a later publication carried it) counts as published once
// the relying party sees it, and no alarm fires for it once served.
func TestPublishedWhenSeen(t *testing.T) {
	s, _ := newService(t)
	now := svcT0
	s.clock = func() time.Time { return now }
	s.publish = func(context.Context) error { return errors.New("publication refused") }
	ctx := context.Background()
	if res, err := s.Propose(ctx, "alice", &Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}}); err != nil || !res.Applied {
		t.Fatalf("%v %+v", err, res)
	}
	view, err := vrp.ParseSet("192.0.2.0/24 => AS64496")
	if err != nil {
		t.Fatal(err)
	}
	now = svcT0.Add(time.Minute)
	s.Follow(ctx, view, view, 3, 0)
	now = svcT0.Add(time.Hour)
	s.CheckLate(ctx)
	c, _ := s.Change(ctx, 1)
	if got := stages(c.Timeline); !reflect.DeepEqual(got, []string{StageProposed, StageSigned, StagePublished, StageValidated, StageRTR}) {
		t.Fatalf("timeline %v", got)
	}
	if e := c.Timeline[2]; e.Note != "seen by the relying party" || !e.At.Equal(svcT0.Add(time.Minute)) {
		t.Fatalf("published stage %+v", e)
	}
}
