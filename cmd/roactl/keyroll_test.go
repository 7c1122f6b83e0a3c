package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
)

// TestPrintKeyRoll: status's line for each phase of a CA key roll.
func TestPrintKeyRoll(t *testing.T) {
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	r := &api.KeyRoll{Actor: "admin", NewKey: "ab01", OldKey: "cd02", StartedAt: at, ActivateAt: at.Add(24 * time.Hour),
		ActivatedAt: at.Add(25 * time.Hour), DoneAt: at.Add(26 * time.Hour)}
	for _, c := range []struct {
		set  func()
		want string
	}{
		{func() { r.Phase = "pending" }, "key roll\tpending, new key AB01, old key CD02, started 2026-12-03T12:00:00Z by admin, activated at 2026-12-04T12:00:00Z\n"},
		{func() { r.Phase = "active" }, "key roll\tactive, new key AB01, old key CD02, started 2026-12-03T12:00:00Z by admin, activated 2026-12-04T13:00:00Z, old key's certificate being revoked\n"},
		{func() { r.Phase = "done" }, "key roll\tdone, new key AB01, old key CD02, started 2026-12-03T12:00:00Z by admin, done 2026-12-04T14:00:00Z\n"},
	} {
		c.set()
		var b bytes.Buffer
		printKeyRoll(&b, r)
		if b.String() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", r.Phase, b.String(), c.want)
		}
	}
	var b bytes.Buffer
	printKeyRoll(&b, nil)
	if b.Len() != 0 {
		t.Errorf("no roll: %q", b.String())
	}
}
