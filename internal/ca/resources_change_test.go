package ca

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// TestResourceChange: growing the configured resources reissues the TA (same
// key: the TAL stays valid) and the CA certificate, and the repository stays
// consistent; shrinking them below a configured ROA is refused, naming it.
func TestResourceChange(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	apply(t, c, st, []string{"192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497"}, nil)
	tal1, err := c.TAL(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	grown := c.cfg
	grown.IP = append(slices.Clone(grown.IP), netip.MustParsePrefix("10.0.0.0/8"))
	grown.AS = []rpki.ASRange{{Min: 64496, Max: 64511}, {Min: 65000, Max: 65000}}
	clk.t = clk.t.Add(time.Hour)
	c2, err := New(grown, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	objs := objects(t, st)
	ta, err := rpki.ParseCertificate(objs[c2.TACertURI()].DER)
	if err != nil {
		t.Fatal(err)
	}
	wantIP := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	if got := ta.IP.Prefixes(); !slices.Equal(got, wantIP) {
		t.Errorf("TA IP resources %v, want %v", got, wantIP)
	}
	if ta.AS == nil || !slices.Equal(ta.AS.Ranges, []rpki.ASRange{{Min: 64496, Max: 64511}, {Min: 65000, Max: 65000}}) {
		t.Errorf("TA AS resources %+v", ta.AS)
	}
	// Serials 1 (TA), 2 (CA certificate) and 3 (the TA manifest's EE) are taken.
	if ta.SerialNumber.Int64() != 4 {
		t.Errorf("reissued TA serial %v, want 4 (the TA's next unused serial)", ta.SerialNumber)
	}
	tal2, err := c2.TAL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(tal1.Encode()) != string(tal2.Encode()) {
		t.Errorf("the TAL changed:\n%s\n%s", tal1.Encode(), tal2.Encode())
	}
	ip, _ := c2.Resources()
	caCert := caCertificate(t, c2, objs)
	if !slices.Equal(caCert.IP.Prefixes(), ip.Prefixes()) {
		t.Errorf("CA IP resources %v, want %v", caCert.IP.Prefixes(), ip.Prefixes())
	}
	got := verifyRepository(t, c2, objs)
	if want := []string{"192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497"}; len(got) != 2 ||
		got[0].String() != want[0] || got[1].String() != want[1] {
		t.Errorf("VRPs %v, want %v", got, want)
	}

	// Init again with the same configuration changes nothing.
	if changed, err := c2.Renew(context.Background()); err != nil || changed {
		t.Errorf("Renew after the resource change: changed %v, %v", changed, err)
	}

	shrunk := grown
	shrunk.IP = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	c3, err := New(shrunk, st)
	if err != nil {
		t.Fatal(err)
	}
	err = c3.Init(context.Background())
	if !errors.Is(err, ErrNotHeld) || !strings.Contains(err.Error(), "192.0.2.0/24 => AS64496") {
		t.Fatalf("shrinking below a ROA: %v, want not-held naming 192.0.2.0/24 => AS64496", err)
	}
	if after := objects(t, st); len(after) != len(objs) {
		t.Errorf("the refused change altered the store: %d objects, had %d", len(after), len(objs))
	}
}

func caCertificate(t *testing.T, c *CA, objs map[string]store.Object) *rpki.Certificate {
	t.Helper()
	for _, o := range objs {
		if o.Kind != "cer" || o.URI == c.TACertURI() {
			continue
		}
		cert, err := rpki.ParseCertificate(o.DER)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	t.Fatal("no CA certificate published")
	return nil
}
