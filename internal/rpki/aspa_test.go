package rpki

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestASPAGoldenAndRoundTrip(t *testing.T) {
	// rpki-rs test-data/repository/aspa-content.der, decoded with openssl asn1parse.
	golden := readCorpus(t, rpkiRSDir+"aspa-content.der")
	a, err := ParseASPA(golden)
	if err != nil {
		t.Fatal(err)
	}
	if a.CustomerASID != 15562 || !slices.Equal(a.Providers, []uint32{2914, 8283, 51088, 206238}) {
		t.Errorf("ASPA %+v", a)
	}
	der, err := (&ASPA{CustomerASID: 15562, Providers: []uint32{206238, 2914, 51088, 8283, 2914}}).Encode()
	if err != nil || !bytes.Equal(der, golden) {
		t.Errorf("encode %x %v\nwant %x", der, err, golden)
	}
	if p := a.Payload(); p.Customer != 15562 || !slices.Equal(p.Providers, a.Providers) || p.Validate() != nil {
		t.Errorf("payload %+v", p)
	}
}

func TestASPARealObjects(t *testing.T) {
	cases := map[string]ASPA{
		rpkiClientRD + "aspa/5m80fwYws_3FiFD7JiQjAqZ1RYQ.asa": {15562, []uint32{2914, 8283, 51088, 206238}},
		rpkiClientRD + "aspa/AS1000.asa":                      {1000, []uint32{1025}},
	}
	for path, want := range cases {
		_, got, err := ParseASPAObject(readCorpus(t, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got.CustomerASID != want.CustomerASID || !slices.Equal(got.Providers, want.Providers) {
			t.Errorf("%s: %+v", path, got)
		}
	}
}

func TestASPARejects(t *testing.T) {
	ver := tlv("a0", "02 01 01")
	cases := map[string]string{
		"version absent":       tlv("30", "02 01 05", tlv("30", "02 01 06")),
		"version 0":            tlv("30", tlv("a0", "02 01 00"), "02 01 05", tlv("30", "02 01 06")),
		"no providers":         tlv("30", ver, "02 01 05", tlv("30")),
		"descending":           tlv("30", ver, "02 01 05", tlv("30", "02 01 07", "02 01 06")),
		"duplicate":            tlv("30", ver, "02 01 05", tlv("30", "02 01 06", "02 01 06")),
		"customer as provider": tlv("30", ver, "02 01 05", tlv("30", "02 01 05")),
		"AS above 2^32-1":      tlv("30", ver, "02 01 05", tlv("30", "02 05 0100000000")),
		"AFI limit (draft-13)": tlv("30", ver, "02 01 05", tlv("30", tlv("30", "02 01 06", "04 02 0001"))),
	}
	for name, h := range cases {
		if _, err := ParseASPA(unhex(t, h)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseASPA(unhex(t, tlv("30", ver, "02 01 05", tlv("30", "02 01 00", "02 01 06")))); err != nil {
		t.Errorf("valid ASPA: %v", err)
	}
	if _, err := (&ASPA{CustomerASID: 5, Providers: []uint32{5}}).Encode(); !errors.Is(err, ErrInvalidInput) {
		t.Error("customer as provider encoded")
	}
	if _, err := (&ASPA{CustomerASID: 5}).Encode(); !errors.Is(err, ErrInvalidInput) {
		t.Error("no providers encoded")
	}
}

func TestASPASignedObject(t *testing.T) {
	c := newTestChain(t)
	a := &ASPA{CustomerASID: 64500, Providers: []uint32{64501, 64502}}
	ec, err := a.Encode()
	if err != nil {
		t.Fatal(err)
	}
	own := &ASResources{Ranges: []ASRange{{64500, 64500}}}
	der, err := SignObject(OIDASPA, ec, c.issueEE(t, 60, "rsync://x.test/ca/a.asa", nil, own), c.eeKey, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := ParseASPAObject(der); err != nil || got.CustomerASID != 64500 {
		t.Fatalf("%v %+v", err, got)
	}
	other := &ASResources{Ranges: []ASRange{{64500, 64501}}}
	der, _ = SignObject(OIDASPA, ec, c.issueEE(t, 61, "rsync://x.test/ca/a.asa", nil, other), c.eeKey, testTime)
	if _, _, err := ParseASPAObject(der); !errors.Is(err, ErrProfile) {
		t.Errorf("EE with extra AS: %v", err)
	}
}

func FuzzParseASPA(f *testing.F) {
	f.Add(unhex(f, tlv("30", tlv("a0", "02 01 01"), "02 01 05", tlv("30", "02 01 06", "02 03 00fbf0"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseASPA(b)
		if err != nil {
			return
		}
		der, err := a.Encode()
		if err != nil || !bytes.Equal(der, b) {
			t.Fatalf("accepted %x, re-encoded %x (%v)", b, der, err)
		}
		if p := a.Payload(); p.Customer != a.CustomerASID || !slices.Equal(p.Providers, a.Providers) {
			t.Fatalf("payload %+v", p)
		}
	})
}
