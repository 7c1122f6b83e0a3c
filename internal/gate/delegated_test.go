package gate

import (
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

// TestDelegated: rejections in a child's space are not road's; a
// publisher's VRPs may appear beside the configured ones, and a configured
// VRP is road's even when a publisher has it too.
func TestDelegated(t *testing.T) {
	set := func(ss ...string) vrp.Set {
		s, err := vrp.ParseSet(ss...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	d := Delegated{Spaces: []string{"rsync://h/repo/B/", "rsync://c.example/repo/"},
		VRPs: set("192.0.2.0/25 => AS64500", "192.0.2.0/24 => AS64496")}
	for uri, want := range map[string]bool{
		"rsync://h/repo/B/x.mft": true, "rsync://c.example/repo/y.roa": true,
		"rsync://h/repo/ca/x.mft": false, "rsync://h/repo/B2/x.mft": false,
	} {
		if d.theirs(uri) != want {
			t.Errorf("theirs(%s) = %v", uri, !want)
		}
	}
	got := d.own(set("192.0.2.0/25 => AS64500", "192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS1"),
		set("192.0.2.0/24 => AS64496"))
	if want := set("192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS1"); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("own: %v, want %v", got, want)
	}
	if got := (Delegated{}).own(set("198.51.100.0/24 => AS1"), nil); len(got) != 1 {
		t.Fatalf("no delegation: %v", got)
	}
}
