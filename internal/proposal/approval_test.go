package proposal

import (
	"context"
	"reflect"
	"testing"

	"github.com/roadrpki/road/internal/route"
)

// TestHarmedRoutesNeedsApproval: a forced change turning two seen routes
// Invalid waits for a second token under [approval] max_harmed_routes = 1,
// and is applied directly when the threshold is 2.
func TestHarmedRoutesNeedsApproval(t *testing.T) {
	req := func() *Request {
		return &Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 64496}}, Force: true, Reason: "renumbering"}
	}
	for _, c := range []struct {
		max     int
		pending bool
		reasons []string
	}{{1, true, []string{NeedsHarmedRoutes}}, {2, false, nil}, {0, false, nil}} {
		s, _ := newService(t)
		s.routes = fixedRoutes(route.Slice{rt("192.0.2.0/25", 64500), rt("192.0.2.128/25", 64500)})
		s.policy = Policy{MaxHarmedRoutes: c.max}
		res, err := s.Propose(context.Background(), "alice", req())
		if err != nil {
			t.Fatal(err)
		}
		if res.Impact == nil || res.Impact.HarmedRoutes != 2 {
			t.Fatalf("max %d: impact %+v", c.max, res.Impact)
		}
		if res.Pending != c.pending || res.Applied == c.pending || !reflect.DeepEqual(res.Approval, c.reasons) || res.ChangeID != 1 {
			t.Fatalf("max %d: pending %v applied %v approval %v change %d", c.max, res.Pending, res.Applied, res.Approval, res.ChangeID)
		}
		ch, err := s.Change(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: StatePending, false: StateApplied}[c.pending]
		if ch.State != want {
			t.Fatalf("max %d: change state %s, want %s", c.max, ch.State, want)
		}
	}
	got := Policy{MaxHarmedRoutes: 1}.Explain(NeedsHarmedRoutes)
	if want := "it turns more than 1 route(s) Invalid ([approval] max_harmed_routes)"; got != want {
		t.Fatalf("explain %q, want %q", got, want)
	}
}
