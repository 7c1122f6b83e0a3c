package proposal

import (
	"context"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/route"
)

func rt(p string, origin uint32) route.Route {
	return route.Route{Prefix: netip.MustParsePrefix(p), Origin: origin}
}

func stages(tl []Event) (out []string) {
	for _, e := range tl {
		out = append(out, e.Stage)
	}
	return out
}

// configured lists the configured ROAs as "PREFIX-MAX ASN".
func configured(t *testing.T, s *Service) []string {
	t.Helper()
	l, err := s.ROAs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range l {
		out = append(out, r.Prefix+"-"+strconv.Itoa(r.MaxLength)+" "+strconv.Itoa(int(r.ASN)))
	}
	return out
}

func wantFault(t *testing.T, err error, code, msg string) {
	t.Helper()
	fe, ok := fault.As(err)
	if !ok || fe.Code != code || fe.Message != msg {
		t.Fatalf("error %v, want %s: %s", err, code, msg)
	}
}

// TestPendingNeedsASecondToken: under [approval] force a forced change is
// stored pending and signs nothing; its proposer cannot approve it, another
// token can; history and the timeline record both actors.
func TestPendingNeedsASecondToken(t *testing.T) {
	s, _ := newService(t)
	s.policy = Policy{Force: true}
	ctx := context.Background()
	req := &Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}, Force: true, Reason: "DDoS mitigation"}
	req.Token = "alice"
	res, err := s.Propose(ctx, "alice (says: al)", req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pending || res.Applied || res.ChangeID != 1 || !reflect.DeepEqual(res.Approval, []string{NeedsForce}) {
		t.Fatalf("result %+v, want pending change 1 needing [forced]", res)
	}
	if got := configured(t, s); got != nil {
		t.Fatalf("a pending change configured %v", got)
	}
	_, err = s.Approve(ctx, Actor{Token: "alice", Name: "alice"}, 1, Decision{})
	wantFault(t, err, fault.Blocked, "token alice proposed change 1 and cannot approve it: another token with the approver or admin role must")
	if c, _ := s.Change(ctx, 1); c.State != StatePending || c.Approver != "" || !strings.HasPrefix(string(c.Impact), `{"harmed_routes":0,`) ||
		len(c.Findings) != 1 || c.Findings[0].Kind != "unseen" {
		t.Fatalf("after the refused self-approval: %+v (impact %s)", c, c.Impact)
	}
	res, err = s.Approve(ctx, Actor{Token: "bob", Name: "bob"}, 1, Decision{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied || res.ChangeID != 1 || res.Pending {
		t.Fatalf("approval result %+v", res)
	}
	if got := configured(t, s); !reflect.DeepEqual(got, []string{"192.0.2.0/24-24 64496"}) {
		t.Fatalf("configured after approval: %v", got)
	}
	c, err := s.Change(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != StateApplied || c.Proposer != "alice" || c.ProposedBy != "alice (says: al)" || c.Approver != "bob" ||
		c.Serial != 1 || c.HistoryID == 0 || !c.DecidedAt.Equal(svcT0) {
		t.Fatalf("change %+v", c)
	}
	if got := stages(c.Timeline); !reflect.DeepEqual(got, []string{StageProposed, StageApproved, StageSigned, StagePublished}) {
		t.Fatalf("timeline %v", got)
	}
	h, err := s.History(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if h[0].Actor != "alice (says: al)" || h[0].Change.Approver != "bob" || h[0].Change.ChangeID != 1 ||
		h[0].Summary != "1 ROA(s) added, 0 removed (approved by bob)" {
		t.Fatalf("history %+v", h[0])
	}
	_, err = s.Approve(ctx, Actor{Token: "carol", Name: "carol"}, 1, Decision{})
	wantFault(t, err, fault.Conflict, "change 1 is applied; only a pending change can be approved")
	_, err = s.Approve(ctx, Actor{Token: "carol", Name: "carol"}, 7, Decision{})
	wantFault(t, err, fault.NotFound, "change 7: no such change (roactl change list shows them)")
}

// TestPendingExpiresAndRejects: a pending change expires after the
// policy's expiry and can no longer be approved; a rejected one neither.
func TestPendingExpiresAndRejects(t *testing.T) {
	s, _ := newService(t)
	now := svcT0
	s.clock = func() time.Time { return now }
	s.policy = Policy{Force: true, Expiry: time.Hour}
	ctx := context.Background()
	for _, p := range []string{"192.0.2.0/25", "192.0.2.128/25"} {
		req := &Request{Add: []ROA{{Prefix: p, ASN: 64496}}, Force: true, Reason: "test"}
		if res, err := s.Propose(ctx, "alice", req); err != nil || !res.Pending {
			t.Fatalf("%v %+v", err, res)
		}
	}
	if _, err := s.Reject(ctx, Actor{Token: "bob", Name: "bob"}, 2, "not now"); err != nil {
		t.Fatal(err)
	}
	now = svcT0.Add(time.Hour)
	_, err := s.Approve(ctx, Actor{Token: "bob", Name: "bob"}, 1, Decision{})
	wantFault(t, err, fault.Conflict, "change 1 expired at 2026-03-04T06:06:07Z unapproved; it cannot be approved (propose it again)")
	_, err = s.Approve(ctx, Actor{Token: "bob", Name: "bob"}, 2, Decision{})
	wantFault(t, err, fault.Conflict, "change 2 is rejected; only a pending change can be approved")
	l, err := s.Changes(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0].State != StateRejected || l[0].Approver != "bob" || l[1].State != StateExpired {
		t.Fatalf("changes %+v", l)
	}
	c, _ := s.Change(ctx, 1)
	if got := stages(c.Timeline); !reflect.DeepEqual(got, []string{StageProposed, StageExpired}) {
		t.Fatalf("timeline %v", got)
	}
	if got := configured(t, s); got != nil {
		t.Fatalf("expired and rejected changes configured %v", got)
	}
}

// TestRevertLast: every applied change has an ID; reverting the last two
// restores the ROAs of before them, and a reverted change cannot be
// reverted again.
func TestRevertLast(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	steps := []*Request{
		{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}},
		{Add: []ROA{{Prefix: "192.0.2.0/25", ASN: 64497}}, Remove: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}},
		{Add: []ROA{{Prefix: "2001:db8::/32", MaxLength: 48, ASN: 64498, Exception: "anycast"}}},
	}
	for i, r := range steps {
		res, err := s.Propose(ctx, "alice", r)
		if err != nil || !res.Applied || res.ChangeID != int64(i+1) {
			t.Fatalf("step %d: %v %+v", i, err, res)
		}
	}
	res, err := s.Revert(ctx, "bob", &RevertRequest{Last: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied || res.ChangeID != 4 {
		t.Fatalf("revert %+v", res)
	}
	if got := configured(t, s); !reflect.DeepEqual(got, []string{"192.0.2.0/24-24 64496"}) {
		t.Fatalf("after reverting the last two: %v", got)
	}
	for id, want := range map[int64]string{1: StateApplied, 2: StateReverted, 3: StateReverted, 4: StateApplied} {
		if c, _ := s.Change(ctx, id); c.State != want {
			t.Errorf("change %d is %s, want %s", id, c.State, want)
		}
	}
	_, err = s.Revert(ctx, "bob", &RevertRequest{IDs: []int64{3}})
	wantFault(t, err, fault.Conflict, "change 3 was already reverted by change 4")
	_, err = s.Revert(ctx, "bob", &RevertRequest{IDs: []int64{9}})
	wantFault(t, err, fault.NotFound, "change 9: no such change (roactl change list shows them)")
	if res, err = s.Revert(ctx, "bob", &RevertRequest{IDs: []int64{4}}); err != nil || !res.Applied {
		t.Fatalf("revert of the revert: %v %+v", err, res)
	}
	if got := configured(t, s); len(got) != 2 {
		t.Fatalf("after reverting the revert: %v", got)
	}
}

// TestPolicyReasons: each switch of the policy on the change it is about.
func TestPolicyReasons(t *testing.T) {
	routes := route.Slice{rt("192.0.2.0/24", 64496), rt("192.0.2.128/25", 64496)}
	cases := []struct {
		p       Policy
		req     Request
		flagged bool
		want    []string
	}{
		{Policy{OriginChange: true}, Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64499}}}, false, []string{NeedsOriginChange}},
		{Policy{OriginChange: true}, Request{Add: []ROA{{Prefix: "192.0.2.0/24", MaxLength: 25, ASN: 64496}}}, false, nil},
		{Policy{OriginChange: true}, Request{Add: []ROA{{Prefix: "198.51.100.0/24", ASN: 64499}}}, false, nil},
		{Policy{RemovesValid: true}, Request{Remove: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}}, false, []string{NeedsRemovesValid}},
		{Policy{RemovesValid: true}, Request{Remove: []ROA{{Prefix: "192.0.2.0/24", ASN: 64499}}}, false, nil},
		{Policy{MaxAddresses: 256}, Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 1}}}, false, nil},
		{Policy{MaxAddresses: 256}, Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 1}, {Prefix: "192.0.2.0/25", ASN: 2}}}, false, []string{NeedsMaxAddresses}},
		{Policy{MaxAddresses: 1}, Request{Add: []ROA{{Prefix: "2001:db8::/32", ASN: 1}}}, false, []string{NeedsMaxAddresses}},
		{Policy{Force: true}, Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 1}}, Force: true, Reason: "r"}, true, []string{NeedsForce, NeedsFlagged}},
		{Policy{}, Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 1}}, Force: true, Reason: "r"}, false, nil},
	}
	for i, c := range cases {
		in, err := parse(&c.req)
		if err != nil {
			t.Fatal(err)
		}
		c.req.Flagged = c.flagged
		got := c.p.reasons(&c.req, in, nil, func() route.Source { return routes })
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}

// fixedRoutes is a complete route table of the given routes.
type fixedRoutes route.Slice

func (fixedRoutes) Ready(context.Context) error { return nil }
func (r fixedRoutes) Snapshot() route.Source    { return route.Slice(r) }
func (fixedRoutes) Incomplete() []string        { return nil }

// TestRevertThatHurtsRoutingIsBlocked: a revert is a proposal like any
// other: undoing the ROA that makes a seen route Valid again, while another
// ROA still covers it, would make it Invalid, so the revert is blocked.
func TestRevertThatHurtsRoutingIsBlocked(t *testing.T) {
	s, _ := newService(t)
	s.routes = fixedRoutes{rt("192.0.2.0/24", 64497)}
	ctx := context.Background()
	for i, r := range []*Request{
		{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}, Force: true, Reason: "origin moves to AS64496"},
		{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64497}}},
	} {
		if res, err := s.Propose(ctx, "alice", r); err != nil || !res.Applied {
			t.Fatalf("step %d: %v %+v", i, err, res)
		}
	}
	res, err := s.Revert(ctx, "bob", &RevertRequest{IDs: []int64{2}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Blocked || res.Applied || len(res.Findings) == 0 || res.Findings[0].Kind != "invalidates-route" || res.Findings[0].Message !=
		"route 192.0.2.0/24 from AS64497 is valid now and would be invalid (invalid-asn) after removing 192.0.2.0/24 => AS64497" {
		t.Fatalf("revert %+v", res)
	}
	if c, _ := s.Change(ctx, 2); c.State != StateApplied {
		t.Fatalf("a blocked revert changed change 2: %+v", c)
	}
	if got := configured(t, s); len(got) != 2 {
		t.Fatalf("a blocked revert changed the ROAs: %v", got)
	}
}
