package rp

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/daemon"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func roasOf(t *testing.T, ss ...string) []api.ROA {
	var out []api.ROA
	for _, v := range mustVRPs(t, ss...) {
		out = append(out, api.ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN})
	}
	return out
}

// TestDaemonOverRRDP runs the real daemon and validates its publication
// the way DESIGN.md's data flow has it: the RP fetches the TA certificate
// over HTTPS and the repository over RRDP (trusting the testbed TLS CA),
// then validates from road.tal. It must find exactly the configured VRPs,
// follow a change as one RRDP delta, and agree with rpki-client over RRDP.
func TestDaemonOverRRDP(t *testing.T) {
	dir := filepath.Join(worldReadableDir(t), "road-data")
	httpAddr, httpsAddr := freeLoopback(t), freeLoopback(t)
	logf, err := os.Create(filepath.Join(t.TempDir(), "road.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d, err := daemon.Open(context.Background(), daemon.Options{
		DataDir: dir, HTTPAddr: httpAddr, HTTPSAddr: httpsAddr,
		RsyncBase: "rsync://127.0.0.1:8873/repo/", RRDPBase: "https://" + httpsAddr + "/rrdp/",
		IP: testResources, AS: []rpki.ASRange{{Min: 64496, Max: 64511}}, Timing: ca.DefaultTiming(),
		RenewInterval: time.Second, Logger: slog.New(slog.NewTextHandler(logf, nil)),
	})
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
	propose(testROAs, nil)

	tlsCA := filepath.Join(dir, "tls", "ca.pem")
	hc, err := NewHTTPClient(tlsCA, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tal, err := LoadTAL(filepath.Join(dir, "road.tal"))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	rc := &RRDPClient{HTTP: hc, Cache: cache}
	validate := func(want vrp.Set, snapshots int) *Result {
		t.Helper()
		res, err := Validate(ctx, Options{Cache: cache, RRDP: rc}, []TAL{tal})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Set(); !slices.Equal(got, want) || len(res.Rejected) != 0 || res.Stats.RRDPSynced != 1 ||
			res.Stats.RRDPSnapshots != snapshots {
			t.Fatalf("VRPs %v (rejected %+v, stats %+v)\nwant %v", got, res.Rejected, res.Stats, want)
		}
		return res
	}
	validate(mustVRPs(t, testROAs...), 1)

	propose([]string{"198.51.100.128/25 => AS64497"}, []string{"203.0.113.0/24 => AS0"})
	want2 := mustVRPs(t, append(slices.DeleteFunc(slices.Clone(testROAs), func(s string) bool { return s == "203.0.113.0/24 => AS0" }),
		"198.51.100.128/25 => AS64497")...)
	st := rc.loadState("https://" + httpsAddr + "/rrdp/notification.xml")
	validate(want2, 0) // one delta
	if st2 := rc.loadState(st.Notify); st2.Session != st.Session || st2.Serial != st.Serial+1 {
		t.Errorf("state %s/%d after one change, was %s/%d", st2.Session, st2.Serial, st.Session, st.Serial)
	}

	testpeers.Require(t, "rpki-client")
	got := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(dir, "road.tal"), TLSCAFile: tlsCA})
	if !slices.Equal(vrp.Set(got.VRPs), want2) {
		t.Errorf("rpki-client over RRDP: %v\nroad RP: %v\n%s", got.VRPs, want2, got.Log)
	}
}
