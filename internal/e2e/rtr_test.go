package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// TestRoutersGetWhatTheBundledRPValidated: road's RTR serves exactly the
// VRPs its own relying party validated from the publication (fetched over
// HTTPS/RRDP from the TAL), to rtrdump at v1 and v2, and follows a change.
func TestRoutersGetWhatTheBundledRPValidated(t *testing.T) {
	testpeers.Require(t, "rtrdump")
	r := startRoad(t)
	add := []string{"192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497", "203.0.113.0/24 => AS0",
		"198.51.100.0/24 => AS4200000000"}
	var res api.ProposalResult
	req := api.ProposalRequest{Add: roas(t, add...), Force: true, Reason: "e2e: no BGP here"}
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", req, &res); code != 200 || !res.Applied {
		t.Fatalf("proposal: HTTP %d %+v", code, res)
	}
	waitRTR(t, r, vrpSet(t, add...))
	var st api.RPStatus
	if code := call(t, r.http, r.token, "GET", "/rp/status", nil, &st); code != 200 || !st.OK || st.VRPs != len(add) ||
		st.Rejected != 0 || st.RRDPFailed != 0 || len(st.Missing)+len(st.Extra) != 0 {
		t.Fatalf("rp status HTTP %d %+v", code, st)
	}

	change := api.ProposalRequest{Add: roas(t, "198.51.100.0/25 => AS64498"), Remove: roas(t, "203.0.113.0/24 => AS0"),
		Force: true, Reason: "e2e"}
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", change, &res); code != 200 || !res.Applied {
		t.Fatalf("change: HTTP %d %+v", code, res)
	}
	waitRTR(t, r, vrpSet(t, "192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497",
		"198.51.100.0/24 => AS4200000000", "198.51.100.0/25 => AS64498"))
}

// waitRTR polls rtrdump (v1 and v2) until the table equals want.
func waitRTR(t *testing.T, r *road, want []vrp.VRP) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, version := range []int{1, 2} {
		for {
			got, err := testpeers.RTRDump(t, r.rtr, version)
			if err == nil && sameVRPs(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rtrdump v%d: %v %v\nwant %v", version, err, got, want)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
}

// TestRTRAppliesSLURM: the daemon's --slurm file filters a validated VRP
// and adds an assertion before routers see the set (RFC 8416 §3.3, §3.4).
func TestRTRAppliesSLURM(t *testing.T) {
	testpeers.Require(t, "rtrdump")
	slurmFile := filepath.Join(t.TempDir(), "local.slurm")
	if err := os.WriteFile(slurmFile, []byte(`{"slurmVersion":1,
 "validationOutputFilters":{"prefixFilters":[{"prefix":"192.0.2.0/24","comment":"drop"}],"bgpsecFilters":[]},
 "locallyAddedAssertions":{"prefixAssertions":[{"asn":64510,"prefix":"198.51.100.0/24","maxPrefixLength":24}],"bgpsecAssertions":[]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRoad(t, func(c *config.Config) { c.SLURMFile = slurmFile })
	add := []string{"192.0.2.0/24 => AS64496", "2001:db8::/32 => AS64497"}
	var res api.ProposalResult
	req := api.ProposalRequest{Add: roas(t, add...), Force: true, Reason: "e2e: no BGP here"}
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", req, &res); code != 200 || !res.Applied {
		t.Fatalf("proposal: HTTP %d %+v", code, res)
	}
	waitRTR(t, r, vrpSet(t, "2001:db8::/32 => AS64497", "198.51.100.0/24 => AS64510"))
}
