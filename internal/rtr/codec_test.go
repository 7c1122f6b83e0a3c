package rtr

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeExact(t *testing.T) {
	v4 := vrp.VRP{Prefix: mustPrefix("192.0.2.0/24"), MaxLen: 25, ASN: 64496}
	v6 := vrp.VRP{Prefix: mustPrefix("2001:db8::/32"), MaxLen: 48, ASN: 4200000000}
	cases := []struct {
		name string
		got  []byte
		want string
	}{
		{"notify", AppendSerialNotify(nil, 1, 0x1234, 7), "01 00 1234 0000000c 00000007"},
		{"serial query", AppendSerialQuery(nil, 2, 9, 0xfffffffe), "02 01 0009 0000000c fffffffe"},
		{"reset query", AppendResetQuery(nil, 0), "00 02 0000 00000008"},
		{"cache response", AppendCacheResponse(nil, 1, 0xbeef), "01 03 beef 00000008"},
		{"cache reset", AppendCacheReset(nil, 1), "01 08 0000 00000008"},
		{"eod v0", AppendEndOfData(nil, 0, 5, 42, Timers{3600, 600, 7200}), "00 07 0005 0000000c 0000002a"},
		{"eod v1", AppendEndOfData(nil, 1, 5, 42, Timers{3600, 600, 7200}), "01 07 0005 00000018 0000002a 00000e10 00000258 00001c20"},
		{"v4 announce", AppendPrefix(nil, 1, v4, true), "01 04 0000 00000014 01 18 19 00 c0000200 0000fbf0"},
		{"v4 withdraw v0", AppendPrefix(nil, 0, v4, false), "00 04 0000 00000014 00 18 19 00 c0000200 0000fbf0"},
		{"v6 announce", AppendPrefix(nil, 2, v6, true), "02 06 0000 00000020 01 20 30 00 20010db8000000000000000000000000 fa56ea00"},
		{"aspa announce", AppendASPA(nil, vrp.ASPA{Customer: 64496, Providers: []uint32{1, 2}}, true), "02 0b 0100 00000014 0000fbf0 00000001 00000002"},
		{"aspa withdraw", AppendASPA(nil, vrp.ASPA{Customer: 64496, Providers: []uint32{1, 2}}, false), "02 0b 0000 0000000c 0000fbf0"},
		{"error report", AppendErrorReport(nil, 1, ErrUnsupportedPDU, mustHex(t, "01ff000000000008"), "bad"),
			"01 0a 0005 0000001b 00000008 01ff000000000008 00000003 626164"},
	}
	for _, c := range cases {
		if want := mustHex(t, c.want); !bytes.Equal(c.got, want) {
			t.Errorf("%s: got %x want %x", c.name, c.got, want)
		}
		// Every encoding must parse back to itself.
		p, err := Parse(c.got)
		if err != nil {
			t.Errorf("%s: parse: %v", c.name, err)
			continue
		}
		if p.Length != uint32(len(c.got)) {
			t.Errorf("%s: length %d", c.name, p.Length)
		}
	}
	p, _ := Parse(AppendPrefix(nil, 2, v6, true))
	if p.VRP != v6 || !p.Announce {
		t.Errorf("v6 round trip: %+v", p)
	}
	p, _ = Parse(AppendASPA(nil, vrp.ASPA{Customer: 7, Providers: []uint32{1, 9}}, true))
	if p.ASPA.Customer != 7 || len(p.ASPA.Providers) != 2 || p.ASPA.Providers[1] != 9 {
		t.Errorf("aspa round trip: %+v", p)
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name string
		pdu  string
		err  error
	}{
		{"short", "01 02 0000", ErrShortPDU},
		{"length mismatch", "01 02 0000 00000009 00", ErrPDULength},
		{"reset too long", "01 02 0000 0000000c 00000000", ErrPDULength},
		{"serial query short", "01 01 0000 00000008", ErrPDULength},
		{"bad version", "03 02 0000 00000008", ErrPDUVersion},
		{"unknown type", "01 05 0000 00000008", ErrPDUType},
		{"aspa in v1", "01 0b 0100 0000000c 00000001", ErrPDUType},
		{"router key in v0", "00 09 0000 00000020 " + strings.Repeat("00", 24), ErrPDUType},
		{"eod v1 with v0 length", "01 07 0000 0000000c 00000001", ErrPDULength},
		{"host bits", "01 04 0000 00000014 01 18 18 00 c0000201 00000001", ErrPDUField},
		{"maxlen < len", "01 04 0000 00000014 01 18 10 00 c0000200 00000001", ErrPDUField},
		{"aspa no providers", "02 0b 0100 0000000c 00000001", ErrPDUField},
		{"aspa unsorted", "02 0b 0100 00000014 00000001 00000003 00000002", ErrPDUField},
		{"aspa withdraw with providers", "02 0b 0000 00000010 00000001 00000003", ErrPDULength},
		{"aspa odd length", "02 0b 0100 0000000e 00000001 0000", ErrPDULength},
		{"error report pdu len too big", "01 0a 0000 00000010 00000009 00000000", ErrPDULength},
		{"error report text len wrong", "01 0a 0000 00000011 00000000 00000002 41", ErrPDULength},
		{"error report bad utf8", "01 0a 0000 00000011 00000000 00000001 ff", ErrPDUField},
	}
	for _, c := range cases {
		_, err := Parse(mustHex(t, c.pdu))
		if !errors.Is(err, c.err) {
			t.Errorf("%s: got %v want %v", c.name, err, c.err)
		}
	}
}

func TestReadRawStreams(t *testing.T) {
	// Two PDUs delivered one byte at a time must come out as two PDUs.
	stream := append(AppendResetQuery(nil, 1), AppendSerialQuery(nil, 1, 3, 4)...)
	r := io.MultiReader(oneByteReader{bytes.NewReader(stream)})
	var buf []byte
	a, err := ReadRaw(r, buf, MaxPDULen)
	if err != nil || len(a) != 8 {
		t.Fatalf("first: %x %v", a, err)
	}
	b, err := ReadRaw(r, a, MaxPDULen)
	if err != nil || !bytes.Equal(b, AppendSerialQuery(nil, 1, 3, 4)) {
		t.Fatalf("second: %x %v", b, err)
	}
	if _, err := ReadRaw(r, b, MaxPDULen); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if _, err := ReadRaw(bytes.NewReader(mustHex(t, "01020000ffffffff")), nil, MaxPDULen); !errors.Is(err, ErrPDUTooLarge) {
		t.Fatalf("huge length: %v", err)
	}
	if _, err := ReadRaw(bytes.NewReader(mustHex(t, "0102000000000004")), nil, MaxPDULen); !errors.Is(err, ErrPDULength) {
		t.Fatalf("tiny length: %v", err)
	}
	if _, err := ReadRaw(bytes.NewReader(mustHex(t, "010100000000000c0000")), nil, MaxPDULen); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated body: %v", err)
	}
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func FuzzDecode(f *testing.F) {
	f.Add(AppendResetQuery(nil, 1))
	f.Add(AppendSerialQuery(nil, 2, 1, 2))
	f.Add(AppendEndOfData(nil, 1, 1, 1, Timers{1, 2, 3}))
	f.Add(AppendPrefix(nil, 1, vrp.VRP{Prefix: mustPrefix("10.0.0.0/8"), MaxLen: 9, ASN: 1}, true))
	f.Add(AppendASPA(nil, vrp.ASPA{Customer: 1, Providers: []uint32{2}}, true))
	f.Add(AppendErrorReport(nil, 1, 3, AppendResetQuery(nil, 1), "x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var buf []byte
		for {
			raw, err := ReadRaw(r, buf, 4096)
			if err != nil {
				return
			}
			buf = raw
			p, err := Parse(raw)
			if err != nil {
				continue
			}
			// A PDU that parses must re-encode to the same bytes where the
			// encoding is canonical (reserved fields zero).
			var re []byte
			switch p.Type {
			case TypeResetQuery:
				if p.Field != 0 {
					continue
				}
				re = AppendResetQuery(nil, p.Version)
			case TypeSerialQuery:
				re = AppendSerialQuery(nil, p.Version, p.Field, p.Serial)
			case TypeIPv4Prefix, TypeIPv6Prefix:
				re = AppendPrefix(nil, p.Version, p.VRP, p.Announce)
				if raw[8]&^1 != 0 || raw[11] != 0 || p.Field != 0 {
					continue
				}
			default:
				continue
			}
			if !bytes.Equal(re, raw) {
				t.Fatalf("re-encode %x != %x", re, raw)
			}
		}
	})
}
