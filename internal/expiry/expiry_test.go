package expiry

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

var now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return now.Add(d) }

func v(p string, ml uint8, asn uint32) vrp.VRP {
	return vrp.VRP{Prefix: netip.MustParsePrefix(p), MaxLen: ml, ASN: asn}
}

var (
	objs = []Object{
		{URI: "rsync://h/repo/ca/a.roa", Kind: KindROA, NotAfter: at(8000 * time.Hour)},
		{URI: "rsync://h/repo/ca/ca.mft", Kind: KindMft, NotAfter: at(20 * time.Hour)},
		{URI: "rsync://h/repo/ca/ca.crl", Kind: KindCRL, NotAfter: at(20 * time.Hour)},
		{URI: "rsync://h/repo/ta/ca.cer", Kind: KindCer, NotAfter: at(-time.Hour)},
	}
	vrps = []VRP{
		{VRP: v("192.0.2.0/24", 24, 64496), Expires: at(20 * time.Hour)},
		{VRP: v("2001:db8::/32", 48, 64497), Expires: at(100 * time.Hour)},
	}
)

func TestList(t *testing.T) {
	for _, tc := range []struct {
		name   string
		within time.Duration
		want   []Item
	}{
		{"all", 0, []Item{
			{KindCer, "rsync://h/repo/ta/ca.cer", at(-time.Hour), -time.Hour},
			{KindCRL, "rsync://h/repo/ca/ca.crl", at(20 * time.Hour), 20 * time.Hour},
			{KindMft, "rsync://h/repo/ca/ca.mft", at(20 * time.Hour), 20 * time.Hour},
			{KindVRP, "192.0.2.0/24 => AS64496", at(20 * time.Hour), 20 * time.Hour},
			{KindVRP, "2001:db8::/32-48 => AS64497", at(100 * time.Hour), 100 * time.Hour},
			{KindROA, "rsync://h/repo/ca/a.roa", at(8000 * time.Hour), 8000 * time.Hour},
		}},
		{"within 100h excludes exactly 100h", 100 * time.Hour, []Item{
			{KindCer, "rsync://h/repo/ta/ca.cer", at(-time.Hour), -time.Hour},
			{KindCRL, "rsync://h/repo/ca/ca.crl", at(20 * time.Hour), 20 * time.Hour},
			{KindMft, "rsync://h/repo/ca/ca.mft", at(20 * time.Hour), 20 * time.Hour},
			{KindVRP, "192.0.2.0/24 => AS64496", at(20 * time.Hour), 20 * time.Hour},
		}},
		{"within 1h keeps the past", time.Hour, []Item{
			{KindCer, "rsync://h/repo/ta/ca.cer", at(-time.Hour), -time.Hour},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := List(now, objs, vrps, tc.within)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
	if got := List(now, nil, nil, 0); got == nil || len(got) != 0 {
		t.Fatalf("empty list %#v, want non-nil empty", got)
	}
}

func TestAudit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		warning time.Duration
		objs    []Object
		vrps    []VRP
		want    []Finding
	}{
		{"nothing close", time.Hour, []Object{objs[0]}, vrps[1:], []Finding{}},
		{"72h window", 72 * time.Hour, objs, vrps, []Finding{
			{Expired, "error", KindCer, "rsync://h/repo/ta/ca.cer", at(-time.Hour),
				"cer rsync://h/repo/ta/ca.cer expired at 2026-03-04T11:00:00Z, 1h0m0s ago"},
			{Expiring, "warn", KindCRL, "rsync://h/repo/ca/ca.crl", at(20 * time.Hour),
				"crl rsync://h/repo/ca/ca.crl expires at 2026-03-05T08:00:00Z, in 20h0m0s (warning window 72h0m0s)"},
			{Expiring, "warn", KindMft, "rsync://h/repo/ca/ca.mft", at(20 * time.Hour),
				"mft rsync://h/repo/ca/ca.mft expires at 2026-03-05T08:00:00Z, in 20h0m0s (warning window 72h0m0s)"},
			{Expiring, "warn", KindVRP, "192.0.2.0/24 => AS64496", at(20 * time.Hour),
				"vrp 192.0.2.0/24 => AS64496 expires at 2026-03-05T08:00:00Z, in 20h0m0s (warning window 72h0m0s)"},
		}},
		{"stale manifest and CRL, expired VRP; window edge is inclusive", 2 * time.Hour,
			[]Object{
				{URI: "m.mft", Kind: KindMft, NotAfter: now},
				{URI: "c.crl", Kind: KindCRL, NotAfter: at(-90 * time.Second)},
				{URI: "r.roa", Kind: KindROA, NotAfter: at(2 * time.Hour)},
				{URI: "s.roa", Kind: KindROA, NotAfter: at(2*time.Hour + time.Second)},
			},
			[]VRP{{VRP: v("198.51.100.0/24", 24, 64500), Expires: at(-time.Minute)}},
			[]Finding{
				{Stale, "error", KindCRL, "c.crl", at(-90 * time.Second),
					"crl c.crl: nextUpdate 2026-03-04T11:58:30Z passed 1m30s ago (stale, RFC 9286 §6.3)"},
				{Expired, "error", KindVRP, "198.51.100.0/24 => AS64500", at(-time.Minute),
					"vrp 198.51.100.0/24 => AS64500 expired at 2026-03-04T11:59:00Z, 1m0s ago"},
				{Stale, "error", KindMft, "m.mft", now,
					"mft m.mft: nextUpdate 2026-03-04T12:00:00Z passed 0s ago (stale, RFC 9286 §6.3)"},
				{Expiring, "warn", KindROA, "r.roa", at(2 * time.Hour),
					"roa r.roa expires at 2026-03-04T14:00:00Z, in 2h0m0s (warning window 2h0m0s)"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Audit(now, Policy{Warning: tc.warning}, tc.objs, tc.vrps)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got\n%#v\nwant\n%#v", got, tc.want)
			}
		})
	}
}

// TestAuditRenewalWindow: with a renewal window, the routinely renewed
// manifest and CRL, and a VRP bounded by their nextUpdate, warn only when
// renewal is overdue; a VRP bounded by its own EE still warns in the full
// window.
func TestAuditRenewalWindow(t *testing.T) {
	objs := []Object{
		{URI: "ca.mft", Kind: KindMft, NotAfter: at(20 * time.Hour)},
		{URI: "ca.crl", Kind: KindCRL, NotAfter: at(20 * time.Hour)},
		{URI: "old.roa", Kind: KindROA, NotAfter: at(30 * time.Hour)},
	}
	vrps := []VRP{
		{VRP: v("192.0.2.0/24", 24, 64496), Expires: at(20 * time.Hour)},    // bounded by the manifest
		{VRP: v("198.51.100.0/24", 24, 64497), Expires: at(30 * time.Hour)}, // bounded by its EE
	}
	p := Policy{Warning: 72 * time.Hour, Renewal: 4 * time.Hour}
	got := Audit(now, p, objs, vrps)
	want := []Finding{
		{Expiring, "warn", KindROA, "old.roa", at(30 * time.Hour),
			"roa old.roa expires at 2026-03-05T18:00:00Z, in 30h0m0s (warning window 72h0m0s)"},
		{Expiring, "warn", KindVRP, "198.51.100.0/24 => AS64497", at(30 * time.Hour),
			"vrp 198.51.100.0/24 => AS64497 expires at 2026-03-05T18:00:00Z, in 30h0m0s (warning window 72h0m0s)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// Renewal overdue: 3 h left on the manifest, the CRL and the VRP they bound.
	objs[0].NotAfter, objs[1].NotAfter, vrps[0].Expires = at(3*time.Hour), at(3*time.Hour), at(3*time.Hour)
	got = Audit(now, p, objs[:2], vrps[:1])
	if len(got) != 3 || got[0].Name != "ca.crl" || got[1].Name != "ca.mft" || got[2].Kind != KindVRP ||
		got[0].Message != "crl ca.crl expires at 2026-03-04T15:00:00Z, in 3h0m0s (warning window 4h0m0s)" {
		t.Fatalf("overdue renewal: %+v", got)
	}
}
