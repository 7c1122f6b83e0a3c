package waves

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/vrp"
)

// clock is the injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustSet(t *testing.T, ss ...string) vrp.Set {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	setA = []string{"192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS64497"}
	setB = []string{"192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS64497", "203.0.113.0/24 => AS64498"}
	setC = []string{"192.0.2.0/24 => AS64511", "198.51.100.0/24 => AS64497"} // 192.0.2.0/24 from AS64496 turns Invalid
)

func groups() []rtr.WaveGroup {
	return []rtr.WaveGroup{{Name: "canary", Sources: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, {Name: "rest"}}
}

func newPair(t *testing.T, ck *clock, h Health, state string) (*rtr.Server, *Controller) {
	t.Helper()
	srv := rtr.NewServer(rtr.Config{Waves: groups(), NotifyInterval: -1})
	c, err := New(Config{Server: srv, Groups: []Group{{"canary", time.Hour}, {"rest", 2 * time.Hour}}, Health: h,
		StateFile: state, Clock: ck.now})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// views renders what each wave serves: "name:serial:vrps".
func views(srv *rtr.Server) string {
	var out []string
	for _, w := range srv.Status().Waves {
		out = append(out, fmt.Sprintf("%s:%d:%d", w.Name, w.Serial, w.VRPs))
	}
	return strings.Join(out, " ")
}

func step(t *testing.T, c *Controller, want string) {
	t.Helper()
	did, err := c.Step(context.Background())
	if err != nil || did != want {
		t.Fatalf("step: %q, %v; want %q", did, err, want)
	}
}

func expect(t *testing.T, srv *rtr.Server, want string) {
	t.Helper()
	if got := views(srv); got != want {
		t.Fatalf("waves serve %s\nwant %s", got, want)
	}
}

func TestHoldThenPromoteThenComplete(t *testing.T) {
	ck := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	srv, c := newPair(t, ck, Health{}, "")
	c.Update(mustSet(t, setA...), nil)
	expect(t, srv, "canary:0:2 rest:0:2") // the first set goes everywhere: there is nothing before it
	step(t, c, "")
	if s, changed := c.Update(mustSet(t, setB...), nil); s != 1 || !changed {
		t.Fatalf("update B: %d %v", s, changed)
	}
	expect(t, srv, "canary:1:3 rest:0:2")
	if s, changed := c.Update(mustSet(t, setB...), nil); s != 1 || changed {
		t.Fatalf("the same set again: %d %v", s, changed)
	}
	ck.add(59 * time.Minute)
	step(t, c, "")
	expect(t, srv, "canary:1:3 rest:0:2")
	if st := c.Status(); st.Waves[0].State != "holding" || !st.Rolling || st.Waves[1].State != "stable" {
		t.Fatalf("status while holding: %+v", st)
	}
	ck.add(time.Minute)
	if st := c.Status(); st.Waves[0].State != "ready" {
		t.Fatalf("hold passed: %+v", st.Waves[0])
	}
	step(t, c, "promoted")
	expect(t, srv, "canary:1:3 rest:1:3")
	ck.add(2*time.Hour - time.Second)
	step(t, c, "")
	ck.add(time.Second)
	step(t, c, "completed")
	if st := c.Status(); st.Rolling || st.Base.VRPs != 3 || st.Waves[1].State != "stable" {
		t.Fatalf("status after completion: %+v", st)
	}
	step(t, c, "")
}

func TestFailingCommandRollsBackAndHolds(t *testing.T) {
	ck := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	flag := filepath.Join(t.TempDir(), "healthy")
	srv, c := newPair(t, ck, Health{Command: "test -e " + flag}, "")
	c.Update(mustSet(t, setA...), nil)
	c.Update(mustSet(t, setB...), nil)
	expect(t, srv, "canary:1:3 rest:0:2")
	step(t, c, "rolled-back")
	expect(t, srv, "canary:2:2 rest:0:2") // A again, under a new serial
	st := c.Status()
	if !st.Held || st.Rolling || st.Health == nil || st.Health.OK || st.Health.Failed != "command" ||
		!strings.HasPrefix(st.Health.Reason, "health command: exit status 1") {
		t.Fatalf("status after rollback: %+v %+v", st, st.Health)
	}
	// The relying party offers the same set again: it stays held.
	if s, changed := c.Update(mustSet(t, setB...), nil); s != 2 || changed {
		t.Fatalf("held set offered again: %d %v", s, changed)
	}
	expect(t, srv, "canary:2:2 rest:0:2")
	if _, err := c.Rollback(context.Background(), "t"); err == nil {
		t.Fatal("nothing to roll back, want an error")
	}
	// Promoted by hand it starts again in the first wave; health now holds.
	if _, err := c.Promote(context.Background(), "t", false); err != nil {
		t.Fatal(err)
	}
	expect(t, srv, "canary:3:3 rest:0:2")
	if _, err := c.Promote(context.Background(), "t", false); err == nil || !strings.Contains(err.Error(), "health command") {
		t.Fatalf("promote with failing health: %v", err)
	}
	if _, err := c.Promote(context.Background(), "t", true); err != nil {
		t.Fatal(err)
	}
	expect(t, srv, "canary:3:3 rest:3:3")
}

func TestHangingCommandFailsAtTimeout(t *testing.T) {
	ck := &clock{t: time.Now()}
	srv, c := newPair(t, ck, Health{Command: "sleep 600 & sleep 600", Timeout: 300 * time.Millisecond}, "")
	c.Update(mustSet(t, setA...), nil)
	c.Update(mustSet(t, setB...), nil)
	start := time.Now()
	step(t, c, "rolled-back")
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("hung command held the step for %s", took)
	}
	if h := c.Status().Health; h.Reason != "health command did not finish within 300ms" {
		t.Fatalf("reason %q", h.Reason)
	}
	expect(t, srv, "canary:2:2 rest:0:2")
}

func TestImpactOnLiveRoutesRollsBack(t *testing.T) {
	tb := bgp.NewTable()
	peer, _ := tb.Peer("AS64500@192.0.2.1")
	tb.Add(peer, route.Route{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Origin: 64496}, time.Now())
	tb.Add(peer, route.Route{Prefix: netip.MustParsePrefix("198.51.100.0/24"), Origin: 64497}, time.Now())
	ck := &clock{t: time.Now()}
	h := Health{Routes: func() route.Source { return tb.Snapshot() }, MaxInvalid: 0}
	srv, c := newPair(t, ck, h, "")
	c.Update(mustSet(t, setA...), nil)
	c.Update(mustSet(t, setB...), nil) // harms nothing
	step(t, c, "")
	c.Update(mustSet(t, setC...), nil) // 192.0.2.0/24 AS64496 turns Invalid
	expect(t, srv, "canary:2:2 rest:0:2")
	step(t, c, "rolled-back")
	expect(t, srv, "canary:3:2 rest:0:2")
	if h := c.Status().Health; h.Failed != "impact" || h.Harmed != 1 ||
		h.Reason != "1 routes of the live BGP table turn Invalid (at most 0 allowed)" {
		t.Fatalf("health %+v", h)
	}
}

// TestRestartResumesMidWave: a new controller on the state file serves
// each wave what it served, and the hold goes on from where it was.
func TestRestartResumesMidWave(t *testing.T) {
	ck := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	state := filepath.Join(t.TempDir(), "rtr-waves.json")
	_, c := newPair(t, ck, Health{}, state)
	c.Update(mustSet(t, setA...), nil)
	c.Update(mustSet(t, setB...), nil)
	ck.add(30 * time.Minute)

	srv2, c2 := newPair(t, ck, Health{}, state)
	expect(t, srv2, "canary:1:3 rest:0:2")
	if s, changed := c2.Update(mustSet(t, setB...), nil); s != 1 || changed {
		t.Fatalf("the relying party's first set after the restart: %d %v", s, changed)
	}
	ck.add(29 * time.Minute)
	step(t, c2, "")
	ck.add(time.Minute)
	step(t, c2, "promoted")
	expect(t, srv2, "canary:1:3 rest:1:3")
}

func TestWithoutWavesEveryRouterAtOnce(t *testing.T) {
	srv := rtr.NewServer(rtr.Config{NotifyInterval: -1})
	c, err := New(Config{Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	c.Update(mustSet(t, setA...), nil)
	if s, changed := c.Update(mustSet(t, setB...), nil); s != 1 || !changed || srv.Status().VRPs != 3 {
		t.Fatalf("update: %d %v %+v", s, changed, srv.Status())
	}
	if _, err := c.Promote(context.Background(), "t", false); err == nil {
		t.Fatal("promote without waves must fail")
	}
}

// TestMetricsPerWave: the RTR server's and the controller's per-wave series.
func TestMetricsPerWave(t *testing.T) {
	reg := prometheus.NewRegistry()
	ck := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	flag := filepath.Join(t.TempDir(), "healthy")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := rtr.NewServer(rtr.Config{Waves: groups(), NotifyInterval: -1, Registry: reg})
	c, err := New(Config{Server: srv, Groups: []Group{{"canary", 0}, {"rest", time.Hour}}, Health: Health{Command: "test -e " + flag},
		Clock: ck.now, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	c.Update(mustSet(t, setA...), nil)
	c.Update(mustSet(t, setB...), nil)
	step(t, c, "promoted")
	c.Update(mustSet(t, setC...), nil)
	os.Remove(flag)
	step(t, c, "rolled-back")
	want := `road_rtr_wave_clients{wave="canary"} 0
road_rtr_wave_clients{wave="rest"} 0
road_rtr_wave_health_checks_total{result="command"} 1
road_rtr_wave_health_checks_total{result="ok"} 1
road_rtr_wave_pending{wave="canary"} 0
road_rtr_wave_pending{wave="rest"} 0
road_rtr_wave_promotions_total{wave="canary"} 0
road_rtr_wave_promotions_total{wave="rest"} 1
road_rtr_wave_rollbacks_total 1
road_rtr_wave_serial{wave="canary"} 3
road_rtr_wave_serial{wave="rest"} 3
road_rtr_wave_vrps{wave="canary"} 2
road_rtr_wave_vrps{wave="rest"} 2
`
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "road_rtr_wave_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			if len(labels) > 0 {
				fmt.Fprintf(&got, "%s{%s} %g\n", mf.GetName(), strings.Join(labels, ","), v)
			} else {
				fmt.Fprintf(&got, "%s %g\n", mf.GetName(), v)
			}
		}
	}
	if got.String() != want {
		t.Fatalf("metrics:\n%s\nwant:\n%s", got.String(), want)
	}
}
