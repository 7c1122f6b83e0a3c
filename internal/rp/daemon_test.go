package rp_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/daemon"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// This file is an external test package: internal/daemon imports rp.

var (
	daemonResources = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	daemonROAs = []string{"192.0.2.0/24 => AS64496", "198.51.100.0/24-25 => AS64497", "2001:db8::/32 => AS64498",
		"2001:db8:100::/40 => AS4200000000", "203.0.113.0/24 => AS0", "2001:db8:200::/40-48 => AS64499",
		"192.0.2.128/25-32 => AS64500"}
)

func vrpSet(t *testing.T, ss ...string) vrp.Set {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func freeLoopback(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t))
}

func roasOf(t *testing.T, ss ...string) []api.ROA {
	var out []api.ROA
	for _, v := range vrpSet(t, ss...) {
		out = append(out, api.ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN})
	}
	return out
}

// TestDaemonOverRRDP runs the real daemon and validates its publication
// the way DESIGN.md's data flow has it: the RP fetches the TA certificate
// over HTTPS and the repository over RRDP (trusting the testbed TLS CA),
// then validates from road.tal. It must find exactly the configured VRPs,
// follow a change as one RRDP delta, and agree with rpki-client and FORT
// over RRDP.
func TestDaemonOverRRDP(t *testing.T) {
	base, err := os.MkdirTemp("", "road-rp-daemon-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "road-data")
	httpAddr, httpsAddr := freeLoopback(t), freeLoopback(t)
	logf, err := os.Create(filepath.Join(t.TempDir(), "road.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	c := config.Default()
	c.DataDir, c.HTTP, c.HTTPS, c.RTR, c.Schedule = dir, httpAddr, httpsAddr, "", config.Schedule{}
	c.RRDPBase, c.Resources = "https://"+httpsAddr+"/rrdp/", daemonResources
	d, err := daemon.Open(context.Background(), c,
		daemon.Runtime{RenewInterval: time.Second, Logger: slog.New(slog.NewTextHandler(logf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx); d.Close() }()
	t.Cleanup(func() { cancel(); <-done })
	client := &api.Client{BaseURL: "http://" + httpAddr, Token: d.Token()}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("road did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	propose := func(add, remove []string) {
		t.Helper()
		res, code, err := client.Propose(ctx, &api.ProposalRequest{Add: roasOf(t, add...), Remove: roasOf(t, remove...),
			Force: true, Reason: "rp test: loose maxLength on purpose"})
		if err != nil || code != 200 || !res.Applied {
			t.Fatalf("proposal: %d %v %+v", code, err, res)
		}
	}
	propose(daemonROAs, nil)

	tlsCA := filepath.Join(dir, "tls", "ca.pem")
	hc, err := rp.NewHTTPClient(tlsCA, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tal, err := rp.LoadTAL(filepath.Join(dir, "road.tal"))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	rc := &rp.RRDPClient{HTTP: hc, Cache: cache}
	validate := func(want vrp.Set, snapshots int) *rp.Result {
		t.Helper()
		res, err := rp.Validate(ctx, rp.Options{Cache: cache, RRDP: rc}, []rp.TAL{tal})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Set(); !slices.Equal(got, want) || len(res.Rejected) != 0 || res.Stats.RRDPSynced != 1 ||
			res.Stats.RRDPSnapshots != snapshots {
			t.Fatalf("VRPs %v (rejected %+v, stats %+v)\nwant %v", got, res.Rejected, res.Stats, want)
		}
		return res
	}
	validate(vrpSet(t, daemonROAs...), 1)

	propose([]string{"198.51.100.128/25 => AS64497"}, []string{"203.0.113.0/24 => AS0"})
	want2 := vrpSet(t, append(slices.DeleteFunc(slices.Clone(daemonROAs), func(s string) bool { return s == "203.0.113.0/24 => AS0" }),
		"198.51.100.128/25 => AS64497")...)
	validate(want2, 0) // applied as a delta, not a snapshot

	testpeers.Require(t, "rpki-client", "fort")
	rcCache := testpeers.RPKIClientDir(t)
	got := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(dir, "road.tal"), TLSCAFile: tlsCA, CacheDir: rcCache})
	if !slices.Equal(vrp.Set(got.VRPs), want2) {
		t.Errorf("rpki-client over RRDP: %v\nroad RP: %v\n%s", got.VRPs, want2, got.Log)
	}
	fort := testpeers.RunFort(t, testpeers.FortOptions{TAL: filepath.Join(dir, "road.tal"), TLSCAFile: tlsCA})
	if !slices.Equal(vrp.Set(fort.VRPs), want2) {
		t.Errorf("FORT over RRDP: %v\nroad RP: %v\n%s", fort.VRPs, want2, fort.Log)
	}
	// rpki-client's cache after an RRDP run, read as it is (no fetching).
	if res, err := rp.Validate(ctx, rp.Options{Cache: rcCache}, []rp.TAL{tal}); err != nil || !slices.Equal(res.Set(), want2) {
		var dirs []string
		filepath.WalkDir(rcCache, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				dirs = append(dirs, strings.TrimPrefix(p, rcCache))
			}
			return nil
		})
		t.Errorf("road RP over rpki-client's RRDP cache: %v %v (rejected %+v)\nfiles %v", err, res.Set(), res.Rejected, dirs)
	}
	t.Logf("%d VRPs: road RP, rpki-client (%v) and FORT (%v) agree over RRDP", len(want2), got.Duration, fort.Duration)
}
