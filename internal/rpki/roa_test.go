package rpki

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestROAGolden(t *testing.T) {
	r := &ROA{ASID: 64496, Prefixes: []ROAPrefix{
		{Prefix: pfx("2001:db8::/32"), MaxLength: 48},
		{Prefix: pfx("192.0.2.0/24"), MaxLength: 24},
		{Prefix: pfx("10.0.0.0/16"), MaxLength: 24},
		{Prefix: pfx("10.0.0.0/16"), MaxLength: 24}, // duplicate dropped
	}}
	der, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, tlv("30", "02 03 00fbf0", tlv("30",
		tlv("30", "04 02 0001", tlv("30", tlv("30", "03 03 00 0a00", "02 01 18"), tlv("30", "03 04 00 c00002"))),
		tlv("30", "04 02 0002", tlv("30", tlv("30", "03 05 00 20010db8", "02 01 30"))))))
	if !bytes.Equal(der, want) {
		t.Fatalf("got  %x\nwant %x", der, want)
	}
	got, err := ParseROA(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Prefixes) != 3 || got.Prefixes[1] != (ROAPrefix{pfx("192.0.2.0/24"), 24}) {
		t.Errorf("parsed %+v", got.Prefixes)
	}
	// IPv4-only ROA: no IPv6 family; AS 0 and 4294967295 encode minimally.
	for asn, h := range map[uint32]string{0: "02 01 00", 4294967295: "02 05 00ffffffff"} {
		der, err := (&ROA{ASID: asn, Prefixes: []ROAPrefix{{Prefix: pfx("0.0.0.0/0")}}}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, tlv("30", h, tlv("30", tlv("30", "04 02 0001", tlv("30", tlv("30", "03 01 00")))))); !bytes.Equal(der, want) {
			t.Errorf("AS%d: got %x want %x", asn, der, want)
		}
	}
}

func TestParseROARejects(t *testing.T) {
	fam4 := func(addrs ...string) string { return tlv("30", "04 02 0001", tlv("30", addrs...)) }
	addr := tlv("30", "03 04 00 c00002")
	cases := map[string]string{
		"version 0 present":    tlv("30", tlv("a0", "02 01 00"), "02 01 01", tlv("30", fam4(addr))),
		"maxLength below len":  tlv("30", "02 01 01", tlv("30", fam4(tlv("30", "03 04 00 c00002", "02 01 17")))),
		"maxLength above 32":   tlv("30", "02 01 01", tlv("30", fam4(tlv("30", "03 04 00 c00002", "02 01 21")))),
		"maxLength above 128":  tlv("30", "02 01 01", tlv("30", tlv("30", "04 02 0002", tlv("30", tlv("30", "03 03 00 2001", "02 02 0081"))))),
		"SAFI":                 tlv("30", "02 01 01", tlv("30", tlv("30", "04 03 0001 01", tlv("30", addr)))),
		"AFI 3":                tlv("30", "02 01 01", tlv("30", tlv("30", "04 02 0003", tlv("30", addr)))),
		"family twice":         tlv("30", "02 01 01", tlv("30", fam4(addr), fam4(addr))),
		"IPv6 before IPv4":     tlv("30", "02 01 01", tlv("30", tlv("30", "04 02 0002", tlv("30", tlv("30", "03 03 00 2001"))), fam4(addr))),
		"no families":          tlv("30", "02 01 01", tlv("30")),
		"empty family":         tlv("30", "02 01 01", tlv("30", fam4())),
		"v4 prefix of 40 bits": tlv("30", "02 01 01", tlv("30", fam4(tlv("30", "03 06 00 c000020000")))),
		"negative AS":          tlv("30", "02 01 ff", tlv("30", fam4(addr))),
		"AS above 2^32-1":      tlv("30", "02 05 0100000000", tlv("30", fam4(addr))),
		"trailing data":        tlv("30", "02 01 01", tlv("30", fam4(addr))) + "00",
	}
	for name, h := range cases {
		if _, err := ParseROA(unhex(t, h)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Counterpart: the same shapes parse when valid.
	if _, err := ParseROA(unhex(t, tlv("30", "02 01 01", tlv("30", fam4(tlv("30", "03 04 00 c00002", "02 01 18")))))); err != nil {
		t.Errorf("valid ROA: %v", err)
	}
	for _, bad := range []ROA{
		{ASID: 1},
		{ASID: 1, Prefixes: []ROAPrefix{{Prefix: pfx("10.0.0.0/8"), MaxLength: 7}}},
		{ASID: 1, Prefixes: []ROAPrefix{{Prefix: pfx("10.0.0.0/8"), MaxLength: 33}}},
		{ASID: 1, Prefixes: []ROAPrefix{{Prefix: pfx("::ffff:10.0.0.0/104")}}},
	} {
		if _, err := bad.Encode(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Encode %+v: %v", bad, err)
		}
	}
}

func TestROACheckEE(t *testing.T) {
	c := newTestChain(t)
	roa := &ROA{ASID: 64496, Prefixes: []ROAPrefix{{Prefix: pfx("10.0.0.0/16"), MaxLength: 24}}}
	ec, _ := roa.Encode()
	sign := func(ip *IPResources, as *ASResources) []byte {
		der, err := SignObject(OIDROA, ec, c.issueEE(t, 40, "rsync://x.test/ca/a.roa", ip, as), c.eeKey, testTime)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	good := NewIPResources(pfx("10.0.0.0/16"))
	if _, got, err := ParseROAObject(sign(&good, nil)); err != nil || got.ASID != 64496 {
		t.Fatalf("good ROA: %v", err)
	}
	narrow := NewIPResources(pfx("10.0.0.0/17"))
	cases := map[string][]byte{
		"prefix outside EE": sign(&narrow, nil),
		"EE inherit":        sign(&IPResources{V4: &IPFamily{Inherit: true}}, nil),
		"EE with AS":        sign(&good, &ASResources{Ranges: []ASRange{{64496, 64496}}}),
	}
	for name, der := range cases {
		if _, _, err := ParseROAObject(der); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "RFC 9582 §5") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A manifest is not a ROA.
	m, _ := (&Manifest{Number: big.NewInt(1), ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour)}).Encode()
	der, _ := SignObject(OIDManifest, m, c.issueEE(t, 41, "rsync://x.test/ca/a.mft", &good, nil), c.eeKey, testTime)
	if _, _, err := ParseROAObject(der); err == nil || !strings.Contains(err.Error(), "not a ROA") {
		t.Errorf("manifest as ROA: %v", err)
	}
}

func TestManifestGoldenAndRejects(t *testing.T) {
	h := sha256.Sum256([]byte("x"))
	m := &Manifest{Number: big.NewInt(258), ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour),
		Files: []FileAndHash{{Name: "a-b_C.roa", Hash: h}}}
	der, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	hashHex := tlv("03", "00", bytesHex(h[:]))
	want := unhex(t, tlv("30", "02 02 0102", "18 0f "+bytesHex([]byte("20261123120000Z")), "18 0f "+bytesHex([]byte("20261123130000Z")),
		"06 09 608648016503040201", tlv("30", tlv("30", "16 09 "+bytesHex([]byte("a-b_C.roa")), hashHex))))
	if !bytes.Equal(der, want) {
		t.Fatalf("got  %x\nwant %x", der, want)
	}
	gt := func(s string) string { return "18 0f " + bytesHex([]byte(s)) }
	entry := func(name string, hash string) string { return tlv("30", tlv("16", bytesHex([]byte(name))), hash) }
	good := tlv("03", "00", bytesHex(h[:]))
	body := func(parts ...string) string { return tlv("30", parts...) }
	std := []string{"02 01 01", gt("20261123120000Z"), gt("20261123130000Z"), "06 09 608648016503040201"}
	list := func(entries ...string) string { return tlv("30", entries...) }
	cases := map[string]string{
		"version present":      body(append(append([]string{tlv("a0", "02 01 00")}, std...), list())...),
		"negative number":      body("02 01 ff", std[1], std[2], std[3], list()),
		"21-octet number":      body("02 15 01"+strings.Repeat("00", 20), std[1], std[2], std[3], list()),
		"UTCTime thisUpdate":   body(std[0], "17 0d "+bytesHex([]byte("261123120000Z")), std[2], std[3], list()),
		"fractional seconds":   body(std[0], "18 11 "+bytesHex([]byte("20261123120000.5Z")), std[2], std[3], list()),
		"nextUpdate too early": body(std[0], std[2], std[1], std[3], list()),
		"SHA-1 hash alg":       body(std[0], std[1], std[2], "06 05 2b0e03021a", list()),
		"two dots":             body(append(std, list(entry("a.b.roa", good)))...),
		"upper-case ext":       body(append(std, list(entry("a.ROA", good)))...),
		"path in name":         body(append(std, list(entry("x/a.roa", good)))...),
		"no extension":         body(append(std, list(entry("abc", good)))...),
		"duplicate name":       body(append(std, list(entry("a.roa", good), entry("a.roa", good)))...),
		"short hash":           body(append(std, list(entry("a.roa", tlv("03", "00", "0102"))))...),
		"unaligned hash":       body(append(std, list(entry("a.roa", tlv("03", "01", bytesHex(h[:])))))...),
	}
	for name, hx := range cases {
		if _, err := ParseManifest(unhex(t, hx)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseManifest(unhex(t, body(append(std, list(entry("a.roa", good)))...))); err != nil {
		t.Errorf("valid counterpart: %v", err)
	}
	for _, bad := range []*Manifest{
		{Number: big.NewInt(-1), ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour)},
		{Number: big.NewInt(1), ThisUpdate: testTime, NextUpdate: testTime},
		{Number: big.NewInt(1), ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour), Files: []FileAndHash{{Name: "a.roa"}, {Name: "a.roa"}}},
		{Number: big.NewInt(1), ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour), Files: []FileAndHash{{Name: "../a.roa"}}},
	} {
		if _, err := bad.Encode(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Encode %+v: %v", bad, err)
		}
	}
}

func bytesHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestManifestObjectEEChecks(t *testing.T) {
	c := newTestChain(t)
	m := &Manifest{Number: big.NewInt(1), ThisUpdate: testTime.Add(-time.Hour), NextUpdate: testTime.AddDate(0, 0, 1)}
	ec, _ := m.Encode()
	inherit := &IPResources{V4: &IPFamily{Inherit: true}}
	// issueEE: validity testTime-1h .. testTime+1 month, which covers the manifest.
	der, _ := SignObject(OIDManifest, ec, c.issueEE(t, 50, "rsync://x.test/ca/a.mft", inherit, &ASResources{Inherit: true}), c.eeKey, testTime)
	if _, got, err := ParseManifestObject(der); err != nil || got.Number.Int64() != 1 {
		t.Fatalf("good manifest: %v", err)
	}
	explicit := NewIPResources(pfx("10.0.0.0/16"))
	der, _ = SignObject(OIDManifest, ec, c.issueEE(t, 51, "rsync://x.test/ca/a.mft", &explicit, nil), c.eeKey, testTime)
	if _, _, err := ParseManifestObject(der); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "inherit") {
		t.Errorf("explicit EE resources: %v", err)
	}
	late := &Manifest{Number: big.NewInt(1), ThisUpdate: testTime, NextUpdate: testTime.AddDate(0, 2, 0)}
	ec, _ = late.Encode()
	der, _ = SignObject(OIDManifest, ec, c.issueEE(t, 52, "rsync://x.test/ca/a.mft", inherit, nil), c.eeKey, testTime)
	// RFC 9286 §5.1: a misaligned EE validity is no error in itself; it is counted.
	if so, _, err := ParseManifestObject(der); err != nil || !slices.Contains(so.Lenient, LenientManifestEEValidity) {
		t.Errorf("manifest outliving its EE: %v", err)
	}
}
