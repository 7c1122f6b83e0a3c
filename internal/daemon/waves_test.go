package daemon

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/vrp"
)

// TestWavesWiring: with [[rtr.waves]] the relying party's sets go through
// the wave controller, whose impact check reads the live BGP table (the
// imported 198.51.100.0/25 would turn Invalid: the canary rolls back); the
// REST routes show and steer it; its state is DATA_DIR/rtr-waves.json.
func TestWavesWiring(t *testing.T) {
	d, srv := testDaemonIn(t, t.TempDir(), func(c *config.Config, _ *Runtime) {
		c.RTRWaves.Waves = []config.RTRWave{{Name: "canary", Hold: time.Hour, Sources: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
			{Name: "rest", Hold: time.Hour}}
	})
	if code, body := do(t, d, srv, "POST", "/bgp/import", strings.NewReader(importText), "X-Import-Name", "text"); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	a, _ := vrp.ParseSet("198.51.100.0/24-25 => AS64497")
	b, _ := vrp.ParseSet("198.51.100.0/24 => AS64497") // 198.51.100.0/25 turns Invalid
	d.waves.Update(a, nil)
	d.waves.Update(b, nil)
	if did, err := d.waves.Step(context.Background()); did != "rolled-back" || err != nil {
		t.Fatalf("step: %q %v", did, err)
	}
	expectJSON(t, d, srv, "GET", "/rtr/waves", "", 200, `{"enabled":true,"rolling":false,"base":{"id":"e7fd374a1113019f","vrps":1,"aspas":0},"newest":{"id":"bbd7b81db3f51a32","vrps":1,"aspas":0},"held":true,"waves":[{"name":"canary","hold":"1h0m0s","serial":2,"set":{"id":"e7fd374a1113019f","vrps":1,"aspas":0},"since":"2026-03-04T05:06:07Z","state":"stable"},{"name":"rest","hold":"1h0m0s","serial":0,"set":{"id":"e7fd374a1113019f","vrps":1,"aspas":0},"since":"2026-03-04T05:06:07Z","state":"stable"}],"last_health":{"at":"2026-03-04T05:06:07Z","ok":false,"failed":"impact","reason":"1 routes of the live BGP table turn Invalid (at most 0 allowed)","harmed_routes":1}}`)
	expectJSON(t, d, srv, "POST", "/rtr/waves/rollback", "", 409, `{"error":{"code":"conflict","message":"nothing to roll back: every wave serves the same set"}}`)
	expectJSON(t, d, srv, "POST", "/rtr/waves/promote?force=true", "", 200, `{"enabled":true,"rolling":true,"base":{"id":"e7fd374a1113019f","vrps":1,"aspas":0},"newest":{"id":"bbd7b81db3f51a32","vrps":1,"aspas":0},"held":false,"waves":[{"name":"canary","hold":"1h0m0s","serial":3,"set":{"id":"bbd7b81db3f51a32","vrps":1,"aspas":0},"since":"2026-03-04T05:06:07Z","state":"holding","hold_until":"2026-03-04T06:06:07Z"},{"name":"rest","hold":"1h0m0s","serial":0,"set":{"id":"e7fd374a1113019f","vrps":1,"aspas":0},"since":"2026-03-04T05:06:07Z","state":"stable"}],"last_health":{"at":"2026-03-04T05:06:07Z","ok":false,"failed":"impact","reason":"1 routes of the live BGP table turn Invalid (at most 0 allowed)","harmed_routes":1}}`)
	if _, err := os.Stat(filepath.Join(d.cfg.DataDir, "rtr-waves.json")); err != nil {
		t.Fatal(err)
	}
}
