package testpeers

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const goBGPListenConf = `[global.config]
  as = %d
  router-id = "192.0.2.1"
  port = %d
  local-address-list = ["127.0.0.1"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = %d
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`

// startGoBGPListener runs a passive gobgpd on 127.0.0.1:port (README §3) and
// returns its API port.
func startGoBGPListener(t *testing.T, port int, as, peerAS uint32) int {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "listen.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(goBGPListenConf, as, port, peerAS)), 0o644); err != nil {
		t.Fatal(err)
	}
	api := FreePort(t)
	p := startGoBGPD(t, dir, conf, api)
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	// Wait for the configured neighbor, not for the port: a connection
	// accepted before the neighbor exists is closed and ExaBGP then retries
	// only after a few seconds.
	err := poll(ctx, 100*time.Millisecond, func() (bool, error) {
		out, err := goBGPCLI(ctx, api, "neighbor")
		return err == nil && strings.Contains(out, "127.0.0.1"), nil
	})
	if err != nil {
		t.Fatalf("gobgpd listener: %v\n%s", err, p.tail(2000))
	}
	return api
}

// adjIn reads gobgpd's adj-in of neighbor 127.0.0.1 (both families) as
// prefix → AS_PATH text ("64501 64496", sets as "{64496,64497}").
func adjIn(ctx context.Context, api int) (map[string]string, error) {
	routes := map[string]string{}
	for _, family := range []string{"ipv4", "ipv6"} {
		out, err := goBGPCLI(ctx, api, "neighbor", "127.0.0.1", "adj-in", "-a", family, "-j")
		if err != nil && strings.Contains(out, "session is not established") {
			return map[string]string{}, nil // no session, no routes
		}
		if err != nil {
			return nil, err
		}
		var rib map[string][]struct {
			Attrs []struct {
				Type    int `json:"type"`
				ASPaths []struct {
					SegmentType int      `json:"segment_type"`
					ASNs        []uint32 `json:"asns"`
				} `json:"as_paths"`
			} `json:"attrs"`
		}
		if strings.TrimSpace(out) == "" || strings.TrimSpace(out) == "null" {
			continue
		}
		if err := json.Unmarshal([]byte(out), &rib); err != nil {
			return nil, fmt.Errorf("adj-in %s: %v: %q", family, err, out)
		}
		for prefix, paths := range rib {
			if len(paths) != 1 {
				return nil, fmt.Errorf("adj-in %s: %d paths", prefix, len(paths))
			}
			var segs []string
			for _, a := range paths[0].Attrs {
				if a.Type != 2 { // AS_PATH
					continue
				}
				for _, seg := range a.ASPaths {
					var asns []string
					for _, as := range seg.ASNs {
						asns = append(asns, strconv.FormatUint(uint64(as), 10))
					}
					if seg.SegmentType == 1 { // AS_SET
						segs = append(segs, "{"+strings.Join(asns, ",")+"}")
					} else {
						segs = append(segs, strings.Join(asns, " "))
					}
				}
			}
			routes[prefix] = strings.Join(segs, " ")
		}
	}
	return routes, nil
}

func TestExaBGPAnnouncesToGoBGP(t *testing.T) {
	Require(t, "exabgp", "gobgpd", "gobgp")
	port := FreePort(t)
	api := startGoBGPListener(t, port, 64500, 64501)
	start := time.Now()
	a := StartExaBGP(t, port, 64501, 64500)
	t.Logf("exabgp connected after %v", time.Since(start))
	p := netip.MustParsePrefix
	for _, r := range []struct {
		prefix string
		path   []uint32
		set    bool
	}{
		{"192.0.2.0/24", []uint32{64496}, false},
		{"192.0.2.0/25", []uint32{64510, 64496}, false},
		{"198.51.100.0/24", []uint32{64496, 64497}, true},
		{"2001:db8::/32", nil, false},
		{"2001:db8:1::/48", []uint32{4200000000}, false},
	} {
		if err := a.Announce(p(r.prefix), r.path, r.set); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"192.0.2.0/24":    "64501 64496",
		"192.0.2.0/25":    "64501 64510 64496",
		"198.51.100.0/24": "64501 {64496,64497}",
		"2001:db8::/32":   "64501",
		"2001:db8:1::/48": "64501 4200000000",
	}
	waitAdjIn(t, api, want)
	t.Logf("5 routes in adj-in after %v", time.Since(start))

	if err := a.Withdraw(p("192.0.2.0/25")); err != nil {
		t.Fatal(err)
	}
	if err := a.Withdraw(p("2001:db8::/32")); err != nil {
		t.Fatal(err)
	}
	delete(want, "192.0.2.0/25")
	delete(want, "2001:db8::/32")
	waitAdjIn(t, api, want)

	a.Close()
	waitAdjIn(t, api, map[string]string{}) // session down: routes gone
	if err := a.Announce(p("192.0.2.0/24"), nil, false); err == nil {
		t.Error("Announce after Close succeeded")
	}
}

func waitAdjIn(t *testing.T, api int, want map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got map[string]string
	var lastErr error
	err := poll(ctx, 200*time.Millisecond, func() (bool, error) {
		got, lastErr = adjIn(ctx, api)
		return lastErr == nil && maps.Equal(got, want), nil
	})
	if err != nil {
		t.Fatalf("adj-in: got %v, want %v (%v; last error %v)", got, want, err, lastErr)
	}
}

func TestAnnounceCommand(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		path   []uint32
		set    bool
		want   string
	}{
		{"192.0.2.0/24", []uint32{64496}, false, "announce route 192.0.2.0/24 next-hop 192.0.2.1 origin igp as-path [ 64501 64496 ]\n"},
		{"2001:db8::/32", nil, false, "announce route 2001:db8::/32 next-hop 2001:db8::1 origin igp as-path [ 64501 ]\n"},
		{"198.51.100.0/24", []uint32{1, 4294967295}, true, "announce route 198.51.100.0/24 next-hop 192.0.2.1 origin igp as-path [ 64501 ( 1 4294967295 ) ]\n"},
	} {
		got, err := announceCommand(netip.MustParsePrefix(tc.prefix), 64501, tc.path, tc.set)
		if err != nil || got != tc.want {
			t.Errorf("got %q, %v; want %q", got, err, tc.want)
		}
	}
	if _, err := announceCommand(netip.MustParsePrefix("192.0.2.1/24"), 1, nil, false); err == nil {
		t.Error("host bits accepted")
	}
	if _, err := announceCommand(netip.MustParsePrefix("192.0.2.0/24"), 1, nil, true); err == nil {
		t.Error("empty AS_SET accepted")
	}
}
