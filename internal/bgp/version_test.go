package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/route"
)

// TestVersionedSnapshot: the version moves with every change of the routes
// (add, withdraw, replace, drop) and only then; each snapshot holds the
// routes of its version.
func TestVersionedSnapshot(t *testing.T) {
	tb := NewTable()
	p := netip.MustParsePrefix("192.0.2.0/24")
	id, _ := tb.Peer("a")
	count := func(s route.Source) int {
		n := 0
		s.All(func(route.Route) bool { n++; return true })
		return n
	}
	var last uint64
	step := func(name string, change func(), routes int, moved bool) {
		t.Helper()
		change()
		s, v := tb.VersionedSnapshot()
		if (v != last) != moved || count(s) != routes {
			t.Fatalf("%s: version %d after %d, %d routes", name, v, last, count(s))
		}
		last = v
	}
	step("empty", func() {}, 0, false)
	step("add", func() { tb.Add(id, route.Route{Prefix: p, Origin: 1}, time.Unix(1, 0)) }, 1, true)
	step("snapshot", func() { tb.Snapshot(); tb.Lookup(p) }, 1, false)
	step("withdraw", func() { tb.Withdraw(id, p) }, 0, true)
	step("replace", func() { tb.ReplacePeer(id, []route.Route{{Prefix: p, Origin: 2}}, time.Unix(2, 0)) }, 1, true)
	step("rename", func() { tb.RenamePeer(id, "b") }, 1, false)
	step("drop", func() { tb.DropPeer(id) }, 0, true)
}
