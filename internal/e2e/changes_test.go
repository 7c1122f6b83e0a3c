package e2e

import (
	"net"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/testpeers"
)

// addToken adds a token with role and returns its secret.
func addToken(t *testing.T, r *road, name, role string) string {
	t.Helper()
	var tok api.NewToken
	if code := call(t, r.http, r.token, "POST", "/tokens", api.TokenRequest{Name: name, Role: role}, &tok); code != 201 {
		t.Fatalf("token %s: HTTP %d", name, code)
	}
	return tok.Secret
}

// waitTimeline polls GET /changes/{id} until its timeline has every stage
// of want, and returns the change.
func waitTimeline(t *testing.T, r *road, id int64, want []string) api.Change {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var c api.Change
		if code := call(t, r.http, r.token, "GET", "/changes/"+strconv.FormatInt(id, 10), nil, &c); code != 200 {
			t.Fatalf("GET /changes/%d: HTTP %d", id, code)
		}
		var got []string
		for _, e := range c.Timeline {
			got = append(got, e.Stage)
		}
		if reflect.DeepEqual(got, want) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("change %d timeline %v, want %v", id, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTwoPersonRuleTimelineAndRevert: under [approval] force a forced
// change waits for a second token (the proposer's own approval is refused);
// once approved, its timeline runs from proposal to the RTR server serving
// it to a connected router, and rtrdump gets the new set; reverting it gives
// rpki-client the VRPs of before again.
func TestTwoPersonRuleTimelineAndRevert(t *testing.T) {
	testpeers.Require(t, "rtrdump", "rpki-client", "rsync")
	r := startRoad(t, func(c *config.Config) { c.Approval.Force = true })
	alice, bob := addToken(t, r, "alice", "approver"), addToken(t, r, "bob", "approver") // alice may approve, but not her own
	var res api.ProposalResult
	base := api.ProposalRequest{Add: roas(t, "192.0.2.0/24 => AS64496")}
	if code := call(t, r.http, alice, "POST", "/roas/proposals", base, &res); code != 200 || !res.Applied || res.ChangeID != 1 {
		t.Fatalf("base: HTTP %d %+v", code, res)
	}
	before := vrpSet(t, "192.0.2.0/24 => AS64496")
	waitRTR(t, r, before)

	// A router stays connected: a Reset Query (RFC 8210 §5.4) and no more.
	conn, err := net.Dial("tcp", r.rtr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte{1, 2, 0, 0, 0, 0, 0, 8}); err != nil {
		t.Fatal(err)
	}

	forced := api.ProposalRequest{Add: roas(t, "198.51.100.0/24 => AS64497"), Remove: roas(t, "192.0.2.0/24 => AS64496"),
		Force: true, Reason: "DDoS mitigation"}
	if code := call(t, r.http, alice, "POST", "/roas/proposals", forced, &res); code != 202 || !res.Pending || res.ChangeID != 2 ||
		!reflect.DeepEqual(res.Approval, []string{"forced"}) {
		t.Fatalf("forced: HTTP %d %+v", code, res)
	}
	var e api.ErrorBody
	if code := call(t, r.http, alice, "POST", "/changes/2/approve", api.ApproveRequest{}, &e); code != 409 || e.Error.Code != "blocked" ||
		e.Error.Message != "token alice proposed change 2 and cannot approve it: another token with the approver or admin role must" {
		t.Fatalf("self-approval: HTTP %d %+v", code, e)
	}
	if code := call(t, r.http, bob, "POST", "/changes/2/approve", api.ApproveRequest{}, &res); code != 200 || !res.Applied || res.ChangeID != 2 {
		t.Fatalf("approval: HTTP %d %+v", code, res)
	}
	after := vrpSet(t, "198.51.100.0/24 => AS64497")
	waitRTR(t, r, after)
	c := waitTimeline(t, r, 2, []string{"proposed", "approved", "signed", "published", "validated", "rtr"})
	var st api.Status
	call(t, r.http, r.token, "GET", "/status", nil, &st)
	rtrEv, pub := c.Timeline[5], c.Timeline[3]
	if c.State != "applied" || c.Proposer != "alice" || c.Approver != "bob" || pub.Serial != c.Serial || c.Serial == 0 ||
		rtrEv.Serial != uint64(st.RTR.Serial) || rtrEv.Routers == nil || *rtrEv.Routers < 1 {
		t.Fatalf("change %+v, RTR serial now %d", c, st.RTR.Serial)
	}
	for i := 1; i < len(c.Timeline); i++ {
		if c.Timeline[i].At.Before(c.Timeline[i-1].At) {
			t.Fatalf("timeline out of order: %+v", c.Timeline)
		}
	}

	if code := call(t, r.http, bob, "POST", "/changes/revert", api.RevertRequest{IDs: []int64{2}}, &res); code != 200 || !res.Applied ||
		res.ChangeID != 3 {
		t.Fatalf("revert: HTTP %d %+v", code, res)
	}
	waitRTR(t, r, before)
	waitTimeline(t, r, 3, []string{"proposed", "signed", "published", "validated", "rtr"})
	tal, tlsCA := filepath.Join(r.dir, "road.tal"), filepath.Join(r.dir, "tls", "ca.pem")
	got := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, TLSCAFile: tlsCA, CacheDir: testpeers.RPKIClientDir(t)})
	if !sameVRPs(got.VRPs, before) {
		t.Fatalf("rpki-client after the revert: %v, want %v\n%s", got.VRPs, before, got.Log)
	}
	var reverted api.Change
	call(t, r.http, r.token, "GET", "/changes/2", nil, &reverted)
	if reverted.State != "reverted" || reverted.RevertedBy != 3 {
		t.Fatalf("change 2 after the revert: %+v", reverted)
	}
}
