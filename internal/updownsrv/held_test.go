package updownsrv

import (
	"errors"
	"testing"

	"github.com/roadrpki/road/internal/fault"
)

// TestCheckHeld: the operator's entitlement must lie inside what the CA
// holds (192.0.2.0/24, 2001:db8::/32, AS64496-AS64511 here); what does not
// is named.
func TestCheckHeld(t *testing.T) {
	e := newEnv(t, t0, "A")
	if err := e.srv.CheckHeld("192.0.2.0/25, 2001:db8:1::/48, AS64500, AS64496-AS64499"); err != nil {
		t.Fatalf("held resources refused: %v", err)
	}
	err := e.srv.CheckHeld("192.0.2.0/25, 10.0.0.0/8, AS64500, AS65000-AS65010, 2001:db9::/48")
	want := "resources: 10.0.0.0/8, 2001:db9::/48, AS65000-AS65010 not held by road's CA (not-held)"
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Code != fault.Invalid || fe.Message != want {
		t.Fatalf("CheckHeld = %v, want %q", err, want)
	}
	if err := e.srv.CheckHeld("192.0.2.0/33"); err == nil {
		t.Fatal("a bad prefix passed")
	}
}
