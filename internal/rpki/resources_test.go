package rpki

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// RFC 3779 Appendix B, first example, with the SAFI octet removed from the
// IPv4 addressFamily (RFC 6487 §4.8.10 forbids SAFI) and lengths adjusted.
const rfc3779B1NoSAFI = `30 34
	30 2a 04 02 0001 30 24
		03 04 04 0a0020
		03 04 00 0a0040
		03 03 00 0a01
		30 0c 03 04 04 0a0230 03 04 00 0a0240
		03 03 00 0a03
	30 06 04 02 0002 05 00`

// The original Appendix B example (extnValue only), with SAFI.
const rfc3779B1 = `30 35
	30 2b 04 03 0001 01 30 24
		03 04 04 0a0020 03 04 00 0a0040 03 03 00 0a01
		30 0c 03 04 04 0a0230 03 04 00 0a0240 03 03 00 0a03
	30 06 04 02 0002 05 00`

// RFC 3779 Appendix C without the rdi element (RFC 6487 §4.8.11 forbids it).
const rfc3779CNoRDI = `30 16 a0 14 30 12 02 02 0087 30 08 02 02 0bb8 02 02 0f9f 02 02 1389`

const rfc3779C = `30 1a a0 14 30 12 02 02 0087 30 08 02 02 0bb8 02 02 0f9f 02 02 1389 a1 02 05 00`

func TestRFC3779AppendixB(t *testing.T) {
	r := NewIPResources(pfx("10.0.32.0/20"), pfx("10.0.64.0/24"), pfx("10.1.0.0/16"),
		pfx("10.2.48.0/20"), pfx("10.2.64.0/24"), pfx("10.3.0.0/16"))
	r.V6 = &IPFamily{Inherit: true}
	der, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, rfc3779B1NoSAFI)
	if !bytes.Equal(der, want) {
		t.Fatalf("encode\n got %x\nwant %x", der, want)
	}
	got, err := ParseIPResources(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("parse %+v", got)
	}
	wantRanges := []IPRange{
		{ip("10.0.32.0"), ip("10.0.47.255")}, {ip("10.0.64.0"), ip("10.0.64.255")},
		{ip("10.1.0.0"), ip("10.1.255.255")}, {ip("10.2.48.0"), ip("10.2.64.255")}, {ip("10.3.0.0"), ip("10.3.255.255")},
	}
	if !slices.Equal(got.V4.Ranges, wantRanges) {
		t.Errorf("ranges %v", got.V4.Ranges)
	}
	if _, err := ParseIPResources(unhex(t, rfc3779B1)); !errors.Is(err, ErrProfile) {
		t.Errorf("SAFI accepted: %v", err)
	}
}

func TestRFC3779AppendixBSecond(t *testing.T) {
	// Second example without the multicast (SAFI) family: 10/8, 172.16/12, 2001:0:2::/48.
	r := NewIPResources(pfx("2001:0:2::/48"), pfx("172.16.0.0/12"), pfx("10.0.0.0/8"))
	der, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, `30 22 30 0f 04 02 0001 30 09 03 02 00 0a 03 03 04 ac10
		30 0f 04 02 0002 30 09 03 07 00 200100000002`)
	if !bytes.Equal(der, want) {
		t.Errorf("got %x\nwant %x", der, want)
	}
}

func TestRFC3779AppendixC(t *testing.T) {
	a := ASResources{Ranges: []ASRange{{5001, 5001}, {3000, 3999}, {135, 135}}}
	der, err := a.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, rfc3779CNoRDI)
	if !bytes.Equal(der, want) {
		t.Fatalf("got %x\nwant %x", der, want)
	}
	got, err := ParseASResources(want)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Ranges, []ASRange{{135, 135}, {3000, 3999}, {5001, 5001}}) || got.Inherit {
		t.Errorf("parse %+v", got)
	}
	if _, err := ParseASResources(unhex(t, rfc3779C)); !errors.Is(err, ErrProfile) {
		t.Errorf("rdi accepted: %v", err)
	}
	if !got.Contains(3500) || got.Contains(4000) || !got.Covers(ASResources{Ranges: []ASRange{{3000, 3001}}}) ||
		got.Covers(ASResources{Ranges: []ASRange{{3999, 4000}}}) {
		t.Error("Contains/Covers")
	}
}

func TestIPCanonicalization(t *testing.T) {
	cases := []struct {
		name string
		in   []netip.Prefix
		want string
	}{
		{"0/0", []netip.Prefix{pfx("0.0.0.0/0")}, "30 0b 30 09 04 02 0001 30 03 03 01 00"},
		{"order by address then length", []netip.Prefix{pfx("10.64.0.0/16"), pfx("10.32.0.0/12")},
			"30 12 30 10 04 02 0001 30 0a 03 03 04 0a20 03 03 00 0a40"},
		{"adjacent prefixes merge into a prefix", []netip.Prefix{pfx("10.0.0.0/9"), pfx("10.128.0.0/9")},
			"30 0c 30 0a 04 02 0001 30 04 03 02 00 0a"},
		{"overlap absorbed", []netip.Prefix{pfx("10.0.0.0/8"), pfx("10.1.0.0/16")},
			"30 0c 30 0a 04 02 0001 30 04 03 02 00 0a"},
		{"adjacent non-prefix becomes range", []netip.Prefix{pfx("10.0.0.0/24"), pfx("10.0.1.0/24"), pfx("10.0.2.0/24")},
			// 10.0.0.0-10.0.2.255: min 10.0.0.0 -> 7 bits "0a" (1 unused); max 10.0.2.255 -> 0a 00 02 (0 unused: last bit 0)
			"30 14 30 12 04 02 0001 30 0c 30 0a 03 02 01 0a 03 04 00 0a0002"},
		{"v6 max all ones", []netip.Prefix{pfx("::/0")}, "30 0b 30 09 04 02 0002 30 03 03 01 00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			der, err := NewIPResources(tc.in...).Encode()
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, tc.want); !bytes.Equal(der, want) {
				t.Fatalf("got %x\nwant %x", der, want)
			}
			got, err := ParseIPResources(der)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.in {
				if !got.ContainsPrefix(p) {
					t.Errorf("%v not contained", p)
				}
			}
		})
	}
}

func TestRangeEncodingAndSplit(t *testing.T) {
	// RFC 3779 §2.2.3.9 example range 10.5.0.4 - 10.5.0.23.
	r := IPResources{V4: &IPFamily{Ranges: []IPRange{{ip("10.5.0.4"), ip("10.5.0.23")}}}}
	der, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "30 18 30 16 04 02 0001 30 10 30 0e 03 05 02 0a050004 03 05 03 0a050010")
	if !bytes.Equal(der, want) {
		t.Fatalf("got %x\nwant %x", der, want)
	}
	got, err := ParseIPResources(der)
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("parse %v %+v", err, got)
	}
	wantP := []netip.Prefix{pfx("10.5.0.4/30"), pfx("10.5.0.8/29"), pfx("10.5.0.16/29")}
	if p := got.Prefixes(); !slices.Equal(p, wantP) {
		t.Errorf("Prefixes %v", p)
	}
	if !got.ContainsPrefix(pfx("10.5.0.8/29")) || got.ContainsPrefix(pfx("10.5.0.0/29")) || got.ContainsPrefix(pfx("2001:db8::/32")) {
		t.Error("ContainsPrefix")
	}
}

// tlv builds the hex of a DER element from hex content parts.
func tlv(tag string, parts ...string) string {
	c := strings.Join(strings.Fields(strings.Join(parts, "")), "")
	n := len(c) / 2
	if n < 128 {
		return fmt.Sprintf("%s%02x%s", tag, n, c)
	}
	return fmt.Sprintf("%s81%02x%s", tag, n, c)
}

func v4fam(items ...string) string { return tlv("30", "040200 01", tlv("30", items...)) }

func TestParseIPResourcesRejects(t *testing.T) {
	inheritV4 := tlv("30", "040200 01 0500")
	inheritV6 := tlv("30", "040200 02 0500")
	profile := map[string]string{
		"empty blocks":            tlv("30"),
		"v6 before v4":            tlv("30", inheritV6, inheritV4),
		"family twice":            tlv("30", inheritV4, inheritV4),
		"unknown AFI":             tlv("30", tlv("30", "040200 03 0500")),
		"SAFI":                    tlv("30", tlv("30", "040300 01 01 0500")),
		"empty family":            tlv("30", v4fam()),
		"out of order":            tlv("30", v4fam("03 03 00 0a40", "03 03 04 0a20")),
		"overlap":                 tlv("30", v4fam("03 02 00 0a", "03 03 00 0a01")),
		"adjacent not merged":     tlv("30", v4fam("03 04 00 0a0000", "03 04 00 0a0001")),
		"range that is a prefix":  tlv("30", v4fam(tlv("30", "03 02 00 0a", "03 02 00 0a"))),
		"min keeps trailing zero": tlv("30", v4fam(tlv("30", "03 05 00 0a050004", "03 05 03 0a050010"))),
		"max keeps trailing one":  tlv("30", v4fam(tlv("30", "03 05 02 0a050004", "03 05 00 0a050017"))),
		"min above max":           tlv("30", v4fam(tlv("30", "03 05 02 0a050014", "03 05 03 0a050000"))),
		"v4 prefix too long":      tlv("30", v4fam("03 06 00 0a00000000")),
	}
	for name, h := range profile {
		if _, err := ParseIPResources(unhex(t, h)); !errors.Is(err, ErrProfile) {
			t.Errorf("%s: %v, want profile error", name, err)
		}
	}
	malformedCases := map[string]string{
		"unused bits not zero": tlv("30", v4fam("03 03 04 0a2f")),
		"trailing data":        tlv("30", inheritV4) + "00",
		"non-minimal length":   "3081" + tlv("30", inheritV4)[2:],
		"inherit with content": tlv("30", tlv("30", "040200 01 050100")),
	}
	for name, h := range malformedCases {
		if _, err := ParseIPResources(unhex(t, h)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want malformed", name, err)
		}
	}
	asCases := map[string]string{
		"no asnum":            tlv("30"),
		"rdi":                 tlv("30", tlv("a0", "0500"), tlv("a1", "0500")),
		"empty ids":           tlv("30", tlv("a0", tlv("30"))),
		"descending":          tlv("30", tlv("a0", tlv("30", "020105 020103"))),
		"adjacent ids":        tlv("30", tlv("a0", tlv("30", "020103 020104"))),
		"degenerate range":    tlv("30", tlv("a0", tlv("30", tlv("30", "020105 020105")))),
		"negative":            tlv("30", tlv("a0", tlv("30", "0201ff"))),
		"above 2^32-1":        tlv("30", tlv("a0", tlv("30", "02050100000000"))),
		"non-minimal integer": tlv("30", tlv("a0", tlv("30", "02020005"))),
	}
	for name, h := range asCases {
		if _, err := ParseASResources(unhex(t, h)); err == nil {
			t.Errorf("AS %s: accepted", name)
		}
	}
	// The well-formed counterparts parse, so the rejections above are for the stated reason.
	for _, h := range []string{tlv("30", inheritV4, inheritV6), tlv("30", v4fam("03 03 04 0a20", "03 03 00 0a40"))} {
		if _, err := ParseIPResources(unhex(t, h)); err != nil {
			t.Errorf("valid %s: %v", h, err)
		}
	}
	if _, err := ParseASResources(unhex(t, tlv("30", tlv("a0", tlv("30", "020103 020105", tlv("30", "020107 020109")))))); err != nil {
		t.Errorf("valid AS: %v", err)
	}
}

func TestCovers(t *testing.T) {
	parent := NewIPResources(pfx("10.0.0.0/8"), pfx("2001:db8::/32"))
	cases := []struct {
		child IPResources
		want  bool
	}{
		{NewIPResources(pfx("10.0.0.0/8")), true},
		{NewIPResources(pfx("10.1.0.0/16"), pfx("2001:db8:1::/48")), true},
		{NewIPResources(pfx("11.0.0.0/16")), false},
		{NewIPResources(pfx("10.0.0.0/7")), false},
		{IPResources{V4: &IPFamily{Inherit: true}}, true},
		{NewIPResources(pfx("192.0.2.0/24")), false},
	}
	for i, tc := range cases {
		if got := parent.Covers(tc.child); got != tc.want {
			t.Errorf("case %d: Covers %v, want %v", i, got, tc.want)
		}
	}
	if (IPResources{V4: &IPFamily{Inherit: true}}).Covers(NewIPResources(pfx("10.0.0.0/8"))) {
		t.Error("inherit parent covers explicit child")
	}
}

func TestEncodeRejects(t *testing.T) {
	if _, err := (IPResources{}).Encode(); !errors.Is(err, ErrInvalidInput) {
		t.Error("no family")
	}
	if _, err := (IPResources{V4: &IPFamily{}}).Encode(); !errors.Is(err, ErrInvalidInput) {
		t.Error("empty family")
	}
	if _, err := (IPResources{V4: &IPFamily{Ranges: []IPRange{{ip("2001:db8::"), ip("2001:db8::1")}}}}).Encode(); err == nil {
		t.Error("v6 in v4 family")
	}
	if _, err := (ASResources{}).Encode(); !errors.Is(err, ErrInvalidInput) {
		t.Error("empty AS")
	}
	// Non-canonical input is canonicalized on encode.
	der, err := (ASResources{Ranges: []ASRange{{10, 20}, {21, 30}, {5, 5}}}).Encode()
	if err != nil || !bytes.Equal(der, unhex(t, "30 0f a0 0d 30 0b 02 01 05 30 06 02 01 0a 02 01 1e")) {
		t.Errorf("AS canonical %x %v", der, err)
	}
}

func TestResolveInherit(t *testing.T) {
	parent := NewIPResources(pfx("10.0.0.0/8"), pfx("2001:db8::/32"))
	child := IPResources{V4: &IPFamily{Inherit: true}}
	got := child.ResolveInherit(parent)
	if got.V6 != nil || !slices.Equal(got.V4.Ranges, parent.V4.Ranges) || got.V4 == parent.V4 {
		t.Errorf("resolved %+v", got)
	}
	explicit := NewIPResources(pfx("10.1.0.0/16"))
	if r := explicit.ResolveInherit(parent); !reflect.DeepEqual(r, explicit) {
		t.Errorf("explicit changed: %+v", r)
	}
	pa := ASResources{Ranges: []ASRange{{1, 10}}}
	if r := (ASResources{Inherit: true}).ResolveInherit(pa); r.Inherit || !slices.Equal(r.Ranges, pa.Ranges) {
		t.Errorf("AS resolved %+v", r)
	}
}
