package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/daemon"
	"github.com/roadrpki/road/internal/testpeers"
)

// cfRoad is a daemon with its BGP speaker, driven through the roactl binary.
type cfRoad struct {
	http, token, roactl string
}

// cfStartRoad runs road in-process with a passive BGP speaker on bgpPort
// (AS 64500) accepting 64501@127.0.0.1, and builds roactl.
func cfStartRoad(t *testing.T, bgpPort int, hold time.Duration) *cfRoad {
	t.Helper()
	return cfStartRoadWith(t, bgpPort, hold, 0)
}

// cfStartRoadSync is cfStartRoad with a BGP sync timeout (peers without End-of-RIB).
func cfStartRoadSync(t *testing.T, bgpPort int, sync time.Duration) *cfRoad {
	t.Helper()
	return cfStartRoadWith(t, bgpPort, time.Minute, sync)
}

func cfStartRoadWith(t *testing.T, bgpPort int, hold, sync time.Duration) *cfRoad {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "road-data")
	r := &cfRoad{http: freeAddr(t), roactl: filepath.Join(t.TempDir(), "roactl")}
	build := exec.Command("go", "build", "-o", r.roactl, "github.com/roadrpki/road/cmd/roactl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build roactl: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(t.TempDir(), "road.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logf.Seek(0, 0)
			b, _ := os.ReadFile(logf.Name())
			t.Logf("road log:\n%s", tail(string(b), 6000))
		}
		logf.Close()
	})
	c := testConfig(dir)
	c.HTTP = r.http
	c.BGP = config.BGP{Listen: fmt.Sprintf("127.0.0.1:%d", bgpPort), ASN: 64500, RouterID: netip.MustParseAddr("192.0.2.100"),
		Peers: []config.BGPPeer{{ASN: 64501, Address: netip.MustParseAddr("127.0.0.1")}}, HoldAfterDown: hold, SyncTimeout: sync}
	d, err := daemon.Open(context.Background(), c,
		daemon.Runtime{Logger: slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	r.token = d.Token()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx); d.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("road Run: %v", err)
		}
	})
	waitHTTP(t, "http://"+r.http+"/healthz")
	return r
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

type cfResult struct {
	code   int
	stdout string
	stderr string
}

// ctl runs roactl against the daemon.
func (r *cfRoad) ctl(t *testing.T, args ...string) cfResult {
	t.Helper()
	cmd := exec.Command(r.roactl, args...)
	cmd.Env = append(os.Environ(), "ROAD_SERVER=http://"+r.http, "ROAD_TOKEN="+r.token)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cfResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("roactl %v: %v", args, err)
	}
	return res
}

func (r *cfRoad) expect(t *testing.T, code int, stdout string, args ...string) {
	t.Helper()
	res := r.ctl(t, args...)
	if res.code != code || res.stdout != stdout {
		t.Errorf("roactl %q: exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", args, res.code, code, res.stdout, stdout, res.stderr)
	}
}

// routes returns the live table as "PREFIX ORIGIN PEERS" lines (NONE for an AS_SET).
func (r *cfRoad) routes(t *testing.T) []string {
	t.Helper()
	res := r.ctl(t, "-o", "json", "bgp", "routes")
	if res.code != 0 {
		t.Fatalf("bgp routes: exit %d: %s", res.code, res.stderr)
	}
	var l api.BGPRouteList
	if err := json.Unmarshal([]byte(res.stdout), &l); err != nil {
		t.Fatalf("bgp routes JSON: %v\n%s", err, res.stdout)
	}
	out := []string{}
	for _, rt := range l.Routes {
		o := fmt.Sprintf("AS%d", rt.Origin)
		if rt.NoOrigin {
			o = "NONE"
		}
		out = append(out, rt.Prefix+" "+o+" "+strings.Join(rt.Peers, ","))
	}
	if l.Total != len(l.Routes) || l.Truncated {
		t.Fatalf("bgp routes: total %d for %d listed, truncated %v", l.Total, len(l.Routes), l.Truncated)
	}
	return out
}

func (r *cfRoad) waitRoutes(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		if got = r.routes(t); slices.Equal(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("routes:\n %q\nwant\n %q", got, want)
}

// TestSafetyChecksWithLiveBGP: ExaBGP (AS 64501) peers with road's speaker on
// loopback and announces routes; proposals that would make one Invalid (RFC
// 6811), loose maxLength (RFC 9319) and not-held prefixes are refused with
// exit 3 naming the problem; a withdrawn route stops blocking; --dry-run
// changes nothing; --force records the override and the exception.
func TestSafetyChecksWithLiveBGP(t *testing.T) {
	testpeers.Require(t, "exabgp", "go")
	port := testpeers.FreePort(t)
	r := cfStartRoad(t, port, 6*time.Second)
	// Before the peer connects, the checks are blind to its routes.
	r.expect(t, 3, "SEVERITY  KIND               MESSAGE\n"+
		"block     routes-incomplete  routes missing from BGP peer(s) 64501@127.0.0.1 (session not established): the checks cannot see what they announce\n"+
		"info      unseen             192.0.2.0/24 => AS64496 authorizes no route seen in BGP and no intent\n"+
		"result: blocked by 1 finding(s); nothing changed (override with --force --reason T)\n",
		"roa", "propose", "--dry-run", "--add", "192.0.2.0/24 => AS64496")
	exa := testpeers.StartExaBGP(t, port, 64501, 64500)
	announce := func(p string, path []uint32, set bool) {
		t.Helper()
		if err := exa.Announce(netip.MustParsePrefix(p), path, set); err != nil {
			t.Fatal(err)
		}
	}
	announce("198.51.100.0/24", []uint32{64497}, false)
	announce("198.51.100.0/25", []uint32{64497}, false)
	announce("203.0.113.0/24", []uint32{64499}, false)
	announce("2001:db8:1::/48", []uint32{64498}, false)
	announce("192.0.2.128/25", []uint32{64496, 64497}, true) // [64501 {64496 64497}]: origin NONE
	announce("192.0.2.0/25", nil, false)                     // originated by the peer itself
	const peer = "bgp:127.0.0.1"
	r.waitRoutes(t, "192.0.2.0/25 AS64501 "+peer, "192.0.2.128/25 NONE "+peer, "198.51.100.0/24 AS64497 "+peer,
		"198.51.100.0/25 AS64497 "+peer, "203.0.113.0/24 AS64499 "+peer, "2001:db8:1::/48 AS64498 "+peer)
	peers := r.ctl(t, "-o", "json", "bgp", "peers")
	var pl api.BGPPeerList
	if err := json.Unmarshal([]byte(peers.stdout), &pl); err != nil {
		t.Fatalf("bgp peers: %v\n%s", err, peers.stdout)
	}
	if pl.Listen != fmt.Sprintf("127.0.0.1:%d", port) || pl.ASN != 64500 || len(pl.Peers) != 1 ||
		pl.Peers[0].Address != "127.0.0.1" || pl.Peers[0].ASN != 64501 || pl.Peers[0].State != "established" || !pl.Peers[0].Synced || pl.Peers[0].Received != 6 {
		t.Errorf("bgp peers: %s", peers.stdout)
	}

	const blockedHint = "result: blocked by %d finding(s); nothing changed (override with --force --reason T)\n"

	// The classic mistake: a /24 ROA while the same AS announces a /25.
	r.expect(t, 3, "SEVERITY  KIND               MESSAGE\n"+
		"block     invalidates-route  route 198.51.100.0/25 from AS64497 is not-found now and would be invalid (invalid-length) after adding 198.51.100.0/24 => AS64497\n"+
		"impact: 2 route(s) change state: 1 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> invalid  1\n"+
		"  not-found -> valid    1\n"+
		"  harmed: 1 route(s) (1 in the holder's space), 0.5 IPv4 /24 and 0 IPv6 /48 equivalents, 16.67% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/25 AS64497\n"+
		"  helped: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 33.33% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/24 AS64497\n"+
		fmt.Sprintf(blockedHint, 1),
		"roa", "propose", "--add", "198.51.100.0/24 => AS64497")
	// Wrong origin for a seen route.
	r.expect(t, 3, "SEVERITY  KIND               MESSAGE\n"+
		"block     invalidates-route  route 203.0.113.0/24 from AS64499 is not-found now and would be invalid (invalid-asn) after adding 203.0.113.0/24 => AS64510\n"+
		"info      unseen             203.0.113.0/24 => AS64510 authorizes no route seen in BGP and no intent\n"+
		"impact: 1 route(s) change state: 1 turn Invalid, 0 lose protection (Valid to not-found), 0 helped\n"+
		"  not-found -> invalid  1\n"+
		"  harmed: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 33.33% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64499\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 203.0.113.0/24 AS64499\n"+
		fmt.Sprintf(blockedHint, 1),
		"roa", "propose", "--add", "203.0.113.0/24 => AS64510")
	// An AS_SET route (origin NONE) covered by a ROA is Invalid (RFC 6811 §2).
	r.expect(t, 3, "SEVERITY  KIND               MESSAGE\n"+
		"block     invalidates-route  route 192.0.2.128/25 from an AS_SET (origin NONE) is not-found now and would be invalid (invalid-asn) after adding 192.0.2.0/24-25 => AS64501\n"+
		"block     loose-maxlength    192.0.2.0/24-25 => AS64501 authorizes 192.0.2.128/25 but AS64501 does not announce it, so a hijacker could originate it with a forged AS64501 and be Valid (RFC 9319); use maxLength 24, or record an exception\n"+
		"impact: 2 route(s) change state: 1 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> invalid  1\n"+
		"  not-found -> valid    1\n"+
		"  harmed: 1 route(s) (1 in the holder's space), 0.5 IPv4 /24 and 0 IPv6 /48 equivalents, 16.67% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: -\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 192.0.2.128/25 AS_SET\n"+
		"  helped: 1 route(s) (1 in the holder's space), 0.5 IPv4 /24 and 0 IPv6 /48 equivalents, 16.67% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64501\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 192.0.2.0/25 AS64501\n"+
		fmt.Sprintf(blockedHint, 2),
		"roa", "propose", "--add", "192.0.2.0/24-25 => AS64501")
	// Loose maxLength: 198.51.100.128/25 is not announced.
	r.expect(t, 3, "SEVERITY  KIND             MESSAGE\n"+
		"block     loose-maxlength  198.51.100.0/24-25 => AS64497 authorizes 198.51.100.128/25 but AS64497 does not announce it, so a hijacker could originate it with a forged AS64497 and be Valid (RFC 9319); use maxLength 24, or record an exception\n"+
		"impact: 2 route(s) change state: 0 turn Invalid, 0 lose protection (Valid to not-found), 2 helped\n"+
		"  not-found -> valid  2\n"+
		"  helped: 2 route(s) (2 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 33.33% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/24 AS64497, 198.51.100.0/25 AS64497\n"+
		fmt.Sprintf(blockedHint, 1),
		"roa", "propose", "--add", "198.51.100.0/24-25 => AS64497")
	// Not held: refused, and --force cannot override it.
	notHeld := "SEVERITY  KIND      MESSAGE\n" +
		"block     not-held  10.0.0.0/8 is outside the CA's IP resources\n" +
		"info      unseen    10.0.0.0/8 => AS64496 authorizes no route seen in BGP and no intent\n" +
		"result: blocked by 1 finding(s); nothing changed (1 cannot be overridden)\n"
	r.expect(t, 3, notHeld, "roa", "propose", "--add", "10.0.0.0/8 => AS64496")
	r.expect(t, 3, notHeld, "roa", "propose", "--add", "10.0.0.0/8 => AS64496", "--force", "--reason", "try")
	// maxLength out of range: a non-overridable bad-maxlength finding.
	r.expect(t, 3, "SEVERITY  KIND           MESSAGE\n"+
		"block     bad-maxlength  add[0] \"203.0.113.0/24\": maxLength 33 is outside 24..32 for 203.0.113.0/24\n"+
		"result: blocked by 1 finding(s); nothing changed (1 cannot be overridden)\n",
		"roa", "propose", "--add", "203.0.113.0/24-33 => AS64499")

	// --dry-run of a good ROA changes nothing (ROA list, history).
	histBefore := r.ctl(t, "history")
	r.expect(t, 0, "no findings\n"+"impact: 1 route(s) change state: 0 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> valid  1\n"+
		"  helped: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 33.33% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64499\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 203.0.113.0/24 AS64499\n"+"result: dry run, would add 1 and remove 0 ROA(s); nothing changed\n",
		"roa", "propose", "--dry-run", "--add", "203.0.113.0/24 => AS64499")
	r.expect(t, 0, "no ROAs\n", "roa", "list")
	r.expect(t, 0, histBefore.stdout, "history")
	if lines := strings.Split(strings.TrimSpace(histBefore.stdout), "\n"); len(lines) != 3 || !strings.Contains(lines[2], " init    created the testbed trust anchor ") {
		t.Errorf("history before any change:\n%s", histBefore.stdout)
	}

	// After the /25 is withdrawn, the /24 ROA no longer invalidates anything.
	if err := exa.Withdraw(netip.MustParsePrefix("198.51.100.0/25")); err != nil {
		t.Fatal(err)
	}
	r.waitRoutes(t, "192.0.2.0/25 AS64501 "+peer, "192.0.2.128/25 NONE "+peer, "198.51.100.0/24 AS64497 "+peer,
		"203.0.113.0/24 AS64499 "+peer, "2001:db8:1::/48 AS64498 "+peer)
	r.expect(t, 0, "no findings\n"+"impact: 1 route(s) change state: 0 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> valid  1\n"+
		"  helped: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 33.33% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/24 AS64497\n"+"result: applied, added 1 and removed 0 ROA(s), RRDP serial 2, change 1\n",
		"roa", "propose", "--add", "198.51.100.0/24 => AS64497")
	r.expect(t, 0, "no findings\n"+"impact: 1 route(s) change state: 0 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> valid  1\n"+
		"  helped: 1 route(s) (1 in the holder's space), 0 IPv4 /24 and 1 IPv6 /48 equivalents, 0.00% of the holder's announced IPv4 space and 100.00% of its IPv6 space\n"+
		"    origins: AS64498\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 2001:db8:1::/48 AS64498\n"+"result: applied, added 1 and removed 0 ROA(s), RRDP serial 3, change 2\n",
		"roa", "add", "2001:db8:1::/48 => AS64498")
	// Removing the IPv6 ROA would leave its route unprotected: a warning only.
	r.expect(t, 0, "SEVERITY  KIND              MESSAGE\n"+
		"warn      unprotects-route  route 2001:db8:1::/48 from AS64498 is valid now and would be not-found (unprotected against hijacks) after removing 2001:db8:1::/48 => AS64498\n"+
		"impact: 1 route(s) change state: 0 turn Invalid, 1 lose protection (Valid to not-found), 0 helped\n"+
		"  valid -> not-found  1\n"+"result: dry run, would add 0 and remove 1 ROA(s); nothing changed\n",
		"roa", "remove", "--dry-run", "2001:db8:1::/48 => AS64498")

	// A deliberate loose maxLength, forced with a reason, becomes the ROA's
	// recorded exception; an explicit --exception needs no force.
	r.expect(t, 0, "SEVERITY  KIND             MESSAGE\n"+
		"block     loose-maxlength  203.0.113.0/24-25 => AS64499 authorizes 203.0.113.0/25 but AS64499 does not announce it, so a hijacker could originate it with a forged AS64499 and be Valid (RFC 9319); use maxLength 24, or record an exception\n"+
		"impact: 1 route(s) change state: 0 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> valid  1\n"+
		"  helped: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 33.33% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64499\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 203.0.113.0/24 AS64499\n"+"result: applied, added 1 and removed 0 ROA(s), RRDP serial 4, change 3 (safety checks overridden)\n",
		"roa", "add", "203.0.113.0/24-25 => AS64499", "--force", "--reason", "DDoS mitigation (RFC 9319 §5.1)")
	r.expect(t, 0, "SEVERITY  KIND                      MESSAGE\n"+
		"info      loose-maxlength-excepted  2001:db8:1::/48-64 => AS64498 authorizes unannounced 2001:db8:1::/49; accepted as a recorded exception (blackholing)\n"+
		"result: applied, added 1 and removed 1 ROA(s), RRDP serial 5, change 4\n",
		"roa", "propose", "--add", "2001:db8:1::/48-64 => AS64498", "--remove", "2001:db8:1::/48 => AS64498", "--exception", "blackholing")
	list := r.ctl(t, "-o", "json", "roa", "list")
	var roaList api.ROAList
	if err := json.Unmarshal([]byte(list.stdout), &roaList); err != nil {
		t.Fatalf("roa list: %v\n%s", err, list.stdout)
	}
	var gotROAs []string
	for _, e := range roaList.ROAs {
		gotROAs = append(gotROAs, fmt.Sprintf("%s-%d AS%d %s [%s]", e.Prefix, e.MaxLength, e.ASN, e.State, e.Exception))
	}
	if want := []string{"198.51.100.0/24-24 AS64497 published []", "203.0.113.0/24-25 AS64499 published [DDoS mitigation (RFC 9319 §5.1)]",
		"2001:db8:1::/48-64 AS64498 published [blackholing]"}; !slices.Equal(gotROAs, want) {
		t.Errorf("roa list:\n %q\nwant\n %q", gotROAs, want)
	}
	hist := r.ctl(t, "-o", "json", "history")
	var h api.HistoryList
	if err := json.Unmarshal([]byte(hist.stdout), &h); err != nil {
		t.Fatalf("history: %v\n%s", err, hist.stdout)
	}
	var actions []string
	for _, e := range h.Entries {
		actions = append(actions, e.Action)
	}
	if want := []string{"roa-change", "roa-change", "roa-change", "roa-change", "init", "init"}; !slices.Equal(actions, want) {
		t.Fatalf("history actions %q, want %q", actions, want)
	}
	forced := h.Entries[1] // newest first
	if !forced.Forced || forced.Reason != "DDoS mitigation (RFC 9319 §5.1)" || len(forced.Findings) != 1 ||
		forced.Findings[0].Kind != "loose-maxlength" || forced.Summary != "1 ROA(s) added, 0 removed (safety checks overridden: DDoS mitigation (RFC 9319 §5.1))" {
		t.Errorf("forced history entry: %+v", forced)
	}

	// Intents: outside the resources refused; inside, a removal that would
	// leave one not Valid is blocked.
	res := r.ctl(t, "intent", "add", "10.1.0.0/16", "AS64496")
	if res.code != 2 || res.stderr != "roactl: server refused (400 bad-request): intent 10.1.0.0/16 is outside the CA's IP resources (details: {\"held\":[\"192.0.2.0/24\",\"198.51.100.0/24\",\"203.0.113.0/24\",\"2001:db8::/32\"]})\n" {
		t.Errorf("not-held intent: %+v", res)
	}
	r.expect(t, 0, "added intent 198.51.100.0/24 AS64497 (note: core)\n", "intent", "add", "198.51.100.0/24", "AS64497", "--note", "core")
	r.expect(t, 3, "SEVERITY  KIND                MESSAGE\n"+
		"block     invalidates-intent  intended announcement 198.51.100.0/24 from AS64497 (core) would be not-found (not-found) after removing 198.51.100.0/24 => AS64497\n"+
		"warn      unprotects-route    route 198.51.100.0/24 from AS64497 is valid now and would be not-found (unprotected against hijacks) after removing 198.51.100.0/24 => AS64497\n"+
		"impact: 1 route(s) change state: 0 turn Invalid, 1 lose protection (Valid to not-found), 0 helped\n"+
		"  valid -> not-found  1\n"+
		fmt.Sprintf(blockedHint, 1),
		"roa", "remove", "198.51.100.0/24 => AS64497")

	// A dropped session keeps its routes for the hold time, then loses them.
	stopping := time.Now()
	exa.Close()
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got = r.routes(t); len(got) == 0 || strings.Contains(got[0], "#down") {
			break
		}
	}
	if len(got) != 5 || got[0] != "192.0.2.0/25 AS64501 bgp:127.0.0.1#down1" {
		t.Errorf("routes once the session dropped: %q", got)
	}
	r.waitRoutes(t)
	if el := time.Since(stopping); el < 6*time.Second {
		t.Errorf("routes dropped %v after the peer was stopped, hold 6s", el)
	}
}

// cfGoBGPD runs gobgpd (AS 64501) connecting to road's speaker on port; its
// gRPC API is on a free loopback port, driven with the gobgp CLI.
type cfGoBGPD struct {
	api int
}

func cfStartGoBGPD(t *testing.T, port int) *cfGoBGPD {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "gobgpd.toml")
	if err := os.WriteFile(conf, []byte(testpeers.GoBGPDPeerConfig(port)), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &cfGoBGPD{api: testpeers.FreePort(t)}
	cmd := exec.Command("gobgpd", "-f", conf, "-p", "--api-hosts", fmt.Sprintf("127.0.0.1:%d", g.api), "--pprof-disable", "-l", "warn")
	logf, err := os.Create(filepath.Join(dir, "gobgpd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := g.cli("global"); err == nil {
			return g
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("gobgpd API did not come up:\n%s", b)
		}
	}
}

func (g *cfGoBGPD) cli(args ...string) (string, error) {
	out, err := exec.Command("gobgp", append([]string{"-u", "127.0.0.1", "-p", fmt.Sprint(g.api)}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("gobgp %v: %w: %s", args, err, out)
	}
	return string(out), nil
}

// TestSafetyChecksWithGoBGPD: gobgpd sends no End-of-RIB without graceful
// restart, so road takes its table as complete only after the sync timeout;
// until then proposals are blocked as routes-incomplete. Then an announced
// more-specific blocks a covering ROA, and stops blocking once withdrawn.
func TestSafetyChecksWithGoBGPD(t *testing.T) {
	testpeers.Require(t, "gobgpd", "gobgp", "go")
	port := testpeers.FreePort(t)
	r := cfStartRoadSync(t, port, 6*time.Second)
	g := cfStartGoBGPD(t, port)
	for _, c := range [][]string{
		{"global", "rib", "-a", "ipv4", "add", "198.51.100.0/24", "nexthop", "192.0.2.1", "aspath", "64497"},
		{"global", "rib", "-a", "ipv4", "add", "198.51.100.0/25", "nexthop", "192.0.2.1", "aspath", "64497"},
		{"global", "rib", "-a", "ipv6", "add", "2001:db8:1::/48", "nexthop", "2001:db8::1", "aspath", "64498"},
	} {
		if _, err := g.cli(c...); err != nil {
			t.Fatal(err)
		}
	}
	const peer = "bgp:127.0.0.1"
	r.waitRoutes(t, "198.51.100.0/24 AS64497 "+peer, "198.51.100.0/25 AS64497 "+peer, "2001:db8:1::/48 AS64498 "+peer)
	propose := []string{"roa", "propose", "--dry-run", "--add", "198.51.100.0/24 => AS64497"}
	invalidates := "block     invalidates-route  route 198.51.100.0/25 from AS64497 is not-found now and would be invalid (invalid-length) after adding 198.51.100.0/24 => AS64497\n"
	r.expect(t, 3, "SEVERITY  KIND               MESSAGE\n"+
		"block     routes-incomplete  routes missing from BGP peer(s) 64501@127.0.0.1 (still sending its table: no End-of-RIB yet): the checks cannot see what they announce\n"+
		invalidates+"impact: 2 route(s) change state: 1 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> invalid  1\n"+
		"  not-found -> valid    1\n"+
		"  harmed: 1 route(s) (1 in the holder's space), 0.5 IPv4 /24 and 0 IPv6 /48 equivalents, 50.00% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/25 AS64497\n"+
		"  helped: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 100.00% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/24 AS64497\n"+"result: blocked by 2 finding(s); nothing changed (override with --force --reason T)\n", propose...)
	// After the sync timeout the table counts as complete.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		res := r.ctl(t, "-o", "json", "bgp", "peers")
		var pl api.BGPPeerList
		if json.Unmarshal([]byte(res.stdout), &pl) == nil && len(pl.Peers) == 1 && pl.Peers[0].Synced {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("peer never synced: %s", res.stdout)
		}
	}
	r.expect(t, 3, "SEVERITY  KIND               MESSAGE\n"+invalidates+
		"impact: 2 route(s) change state: 1 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> invalid  1\n"+
		"  not-found -> valid    1\n"+
		"  harmed: 1 route(s) (1 in the holder's space), 0.5 IPv4 /24 and 0 IPv6 /48 equivalents, 50.00% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/25 AS64497\n"+
		"  helped: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 100.00% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/24 AS64497\n"+"result: blocked by 1 finding(s); nothing changed (override with --force --reason T)\n", propose...)
	if _, err := g.cli("global", "rib", "-a", "ipv4", "del", "198.51.100.0/25"); err != nil {
		t.Fatal(err)
	}
	r.waitRoutes(t, "198.51.100.0/24 AS64497 "+peer, "2001:db8:1::/48 AS64498 "+peer)
	r.expect(t, 0, "no findings\n"+"impact: 1 route(s) change state: 0 turn Invalid, 0 lose protection (Valid to not-found), 1 helped\n"+
		"  not-found -> valid  1\n"+
		"  helped: 1 route(s) (1 in the holder's space), 1 IPv4 /24 and 0 IPv6 /48 equivalents, 100.00% of the holder's announced IPv4 space and 0.00% of its IPv6 space\n"+
		"    origins: AS64497\n"+
		"    peers: bgp:127.0.0.1\n"+
		"    largest: 198.51.100.0/24 AS64497\n"+"result: dry run, would add 1 and remove 0 ROA(s); nothing changed\n", propose...)
}
