package bgp

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

// Builders for hand-made MRT records (RFC 6396) and BGP UPDATEs (RFC 4271).

func u16(v int) []byte    { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func cat(parts ...[]byte) []byte {
	return slices.Concat(parts...)
}

func mrtRec(typ, sub int, body []byte) []byte {
	return cat(u32(1700000000), u16(typ), u16(sub), u32(uint32(len(body))), body)
}

func attr(flags, typ byte, v []byte) []byte {
	if len(v) > 255 {
		return cat([]byte{flags | flagExtendedLn, typ}, u16(len(v)), v)
	}
	return cat([]byte{flags, typ, byte(len(v))}, v)
}

func seg(typ byte, asnLen int, asns ...uint32) []byte {
	b := []byte{typ, byte(len(asns))}
	for _, a := range asns {
		if asnLen == 2 {
			b = append(b, u16(int(a))...)
		} else {
			b = append(b, u32(a)...)
		}
	}
	return b
}

func nlri4(s string) []byte {
	p := mustPrefix(s)
	a := p.Addr().As4()
	return append([]byte{byte(p.Bits())}, a[:(p.Bits()+7)/8]...)
}

func nlri6(s string) []byte {
	p := mustPrefix(s)
	a := p.Addr().As16()
	return append([]byte{byte(p.Bits())}, a[:(p.Bits()+7)/8]...)
}

func update(withdrawn, attrs, nlri []byte) []byte {
	body := cat(u16(len(withdrawn)), withdrawn, u16(len(attrs)), attrs, nlri)
	return cat(bytes.Repeat([]byte{0xff}, 16), u16(19+len(body)), []byte{bgpUpdate}, body)
}

// bgp4mpMsg wraps msg as BGP4MP MESSAGE (asnLen 2) or MESSAGE_AS4 (4) from 192.0.2.9 AS 64500.
func bgp4mpMsg(asnLen int, msg []byte) []byte {
	sub := 1
	as := u16(64500)
	local := u16(64511)
	if asnLen == 4 {
		sub, as, local = 4, u32(64500), u32(64511)
	}
	return mrtRec(mrtBGP4MP, sub, cat(as, local, u16(0), u16(afiIPv4), []byte{192, 0, 2, 9}, []byte{192, 0, 2, 1}, msg))
}

func decodeAll(t *testing.T, data []byte) ([]string, ImportStats) {
	t.Helper()
	var out []string
	st, err := Decode(context.Background(), bytes.NewReader(data), func(ev Event) error {
		out = append(out, eventString(ev))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

func TestDecodeUpdates(t *testing.T) {
	origin := attr(0x40, 1, []byte{0})
	cases := []struct {
		name    string
		rec     []byte
		want    []string
		skipped map[string]int
	}{{
		name: "as4-path merged (RFC 6793 §4.2.3)",
		rec: bgp4mpMsg(2, update(nil, cat(origin,
			attr(0x40, attrASPath, seg(segSequence, 2, 64500, 23456)),
			attr(0xc0, attrAS4Path, seg(segSequence, 4, 4200000000))), nlri4("192.0.2.0/24"))),
		want: []string{"A 192.0.2.9 64500 192.0.2.0/24 4200000000 0"},
	}, {
		name: "as4-path longer than as-path is ignored",
		rec: bgp4mpMsg(2, update(nil, cat(origin,
			attr(0x40, attrASPath, seg(segSequence, 2, 23456)),
			attr(0xc0, attrAS4Path, seg(segSequence, 4, 64500, 4200000000))), nlri4("192.0.2.0/24"))),
		want: []string{"A 192.0.2.9 64500 192.0.2.0/24 23456 0"},
	}, {
		name: "as4-path ignored on a 4-byte session",
		rec: bgp4mpMsg(4, update(nil, cat(origin,
			attr(0x40, attrASPath, seg(segSequence, 4, 64500, 65550)),
			attr(0xc0, attrAS4Path, seg(segSequence, 4, 7))), nlri4("192.0.2.0/24"))),
		want: []string{"A 192.0.2.9 64500 192.0.2.0/24 65550 0"},
	}, {
		name: "final AS_SET is origin NONE (RFC 6811 §2)",
		rec: bgp4mpMsg(4, update(nil, cat(origin,
			attr(0x40, attrASPath, cat(seg(segSequence, 4, 64500), seg(segSet, 4, 1, 2)))), nlri4("198.51.100.0/24"))),
		want: []string{"A 192.0.2.9 64500 198.51.100.0/24 NONE 0"},
	}, {
		name: "set then sequence: origin is the sequence's last",
		rec: bgp4mpMsg(4, update(nil, cat(origin,
			attr(0x40, attrASPath, cat(seg(segSet, 4, 1, 2), seg(segSequence, 4, 64501)))), nlri4("198.51.100.0/24"))),
		want: []string{"A 192.0.2.9 64500 198.51.100.0/24 64501 0"},
	}, {
		name:    "final confederation segment: skipped",
		rec:     bgp4mpMsg(4, update(nil, cat(origin, attr(0x40, attrASPath, seg(segConfedSeq, 4, 65001))), nlri4("198.51.100.0/24"))),
		skipped: map[string]int{ReasonConfedOrigin: 1},
	}, {
		name:    "empty AS_PATH: skipped",
		rec:     bgp4mpMsg(4, update(nil, cat(origin, attr(0x40, attrASPath, nil)), cat(nlri4("198.51.100.0/24"), nlri4("10.0.0.0/8")))),
		skipped: map[string]int{ReasonEmptyPath: 2},
	}, {
		name: "withdrawals before announcements, IPv6 via MP_* (RFC 4760)",
		rec: bgp4mpMsg(4, update(nlri4("203.0.113.0/24"), cat(origin,
			attr(0x40, attrASPath, seg(segSequence, 4, 64500, 64496)),
			attr(0x80, attrMPUnreach, cat(u16(afiIPv6), []byte{safiUnicast}, nlri6("2001:db8:1::/48"))),
			attr(0x80, attrMPReach, cat(u16(afiIPv6), []byte{safiUnicast, 16}, make([]byte, 16), []byte{0}, nlri6("2001:db8::/32"), nlri6("2001:db8:ff00::/40")))),
			nlri4("192.0.2.0/25"))),
		want: []string{
			"W 192.0.2.9 64500 203.0.113.0/24 0",
			"W 192.0.2.9 64500 2001:db8:1::/48 0",
			"A 192.0.2.9 64500 192.0.2.0/25 64496 0",
			"A 192.0.2.9 64500 2001:db8::/32 64496 0",
			"A 192.0.2.9 64500 2001:db8:ff00::/40 64496 0",
		},
	}, {
		name: "malformed AS_PATH: treat-as-withdraw (RFC 7606 §2)",
		rec: bgp4mpMsg(4, update(nil, cat(origin,
			attr(0x40, attrASPath, []byte{segSequence, 3, 0, 0, 0, 1})), nlri4("192.0.2.0/24"))),
		want:    []string{"W 192.0.2.9 64500 192.0.2.0/24 0"},
		skipped: map[string]int{ReasonBadASPath: 1},
	}, {
		name:    "attribute longer than the attribute field",
		rec:     bgp4mpMsg(4, update(nil, []byte{0x40, attrASPath, 200, 2}, nlri4("192.0.2.0/24"))),
		skipped: map[string]int{ReasonBadAttribute: 1},
	}, {
		name:    "prefix length 33",
		rec:     bgp4mpMsg(4, update(nil, cat(origin, attr(0x40, attrASPath, seg(segSequence, 4, 1))), []byte{33, 1, 2, 3, 4, 5})),
		skipped: map[string]int{ReasonBadPrefix: 1},
	}, {
		name:    "multicast MP_REACH is not a live unicast route",
		rec:     bgp4mpMsg(4, update(nil, cat(origin, attr(0x40, attrASPath, seg(segSequence, 4, 1)), attr(0x80, attrMPReach, cat(u16(afiIPv4), []byte{2, 4, 192, 0, 2, 1, 0}, nlri4("192.0.2.0/24")))), nil)),
		skipped: map[string]int{ReasonNonUnicast: 1},
	}, {
		name: "session leaves Established",
		rec:  mrtRec(mrtBGP4MP, bgp4mpStateAS4, cat(u32(64500), u32(64511), u16(0), u16(afiIPv4), []byte{192, 0, 2, 9, 192, 0, 2, 1}, u16(6), u16(1))),
		want: []string{"DOWN 192.0.2.9 64500"},
	}, {
		name:    "truncated record",
		rec:     bgp4mpMsg(4, update(nil, nil, nlri4("192.0.2.0/24")))[:30],
		skipped: map[string]int{ReasonTruncated: 1},
	}, {
		name:    "record length over the bound",
		rec:     cat(u32(0), u16(mrtBGP4MP), u16(4), u32(maxRecord+1)),
		skipped: map[string]int{ReasonTruncated: 1, ReasonTooLong: 1},
	}, {
		name:    "unknown MRT type",
		rec:     mrtRec(99, 0, []byte{1, 2, 3}),
		skipped: map[string]int{ReasonUnknownType: 1},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, st := decodeAll(t, c.rec)
			if !slices.Equal(got, c.want) {
				t.Fatalf("events %q want %q", got, c.want)
			}
			if len(st.Skipped) != len(c.skipped) {
				t.Fatalf("skipped %v want %v", st.Skipped, c.skipped)
			}
			for k, v := range c.skipped {
				if st.Skipped[k] != v {
					t.Fatalf("skipped %v want %v", st.Skipped, c.skipped)
				}
			}
		})
	}
}

func TestDecodeTableDumpV2(t *testing.T) {
	// PEER_INDEX_TABLE: collector id, empty view name, 2 peers (IPv4 AS2, IPv6 AS4)
	pit := cat(u32(1), u16(0), u16(2),
		[]byte{0}, u32(2), []byte{192, 0, 2, 1}, u16(64500),
		[]byte{3}, u32(3), mustPrefix("2001:db8::1/128").Addr().AsSlice(), u32(4200000000))
	path := func(asns ...uint32) []byte { return attr(0x40, attrASPath, seg(segSequence, 4, asns...)) }
	entry := func(peer int, attrs []byte) []byte { return cat(u16(peer), u32(0), u16(len(attrs)), attrs) }
	rib4 := cat(u32(0), nlri4("192.0.2.0/24"), u16(3), entry(0, path(64500, 64496)), entry(1, path(4200000000, 64497)), entry(7, path(1)))
	entryAP := func(peer int, id uint32, attrs []byte) []byte {
		return cat(u16(peer), u32(0), u32(id), u16(len(attrs)), attrs)
	}
	rib6ap := cat(u32(1), nlri6("2001:db8::/32"), u16(2), entryAP(1, 11, path(4200000000, 64498)), entryAP(1, 12, path(4200000000, 64499)))
	data := cat(mrtRec(mrtTableDumpV2, 2, rib4), // before the peer table
		mrtRec(mrtTableDumpV2, tdv2PeerIndex, pit),
		mrtRec(mrtTableDumpV2, 2, rib4),
		mrtRec(mrtTableDumpV2, 10, rib6ap),
		mrtRec(mrtTableDumpV2, 3, rib4)) // multicast
	got, st := decodeAll(t, data)
	want := []string{
		"A 192.0.2.1 64500 192.0.2.0/24 64496 0",
		"A 2001:db8::1 4200000000 192.0.2.0/24 64497 0",
		"A 2001:db8::1 4200000000 2001:db8::/32 64498 11",
		"A 2001:db8::1 4200000000 2001:db8::/32 64499 12",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events %q want %q", got, want)
	}
	if st.Records != 5 || st.Skipped[ReasonNoPeerIndex] != 1 || st.Skipped[ReasonBadPeerIndex] != 1 || st.Skipped[ReasonNonUnicast] != 1 || st.IPv4 != 2 || st.IPv6 != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDecodeTableDumpV1(t *testing.T) {
	aspath := attr(0x40, attrASPath, seg(segSequence, 2, 64500, 64496))
	body := cat(u16(0), u16(1), []byte{192, 0, 2, 0}, []byte{24, 1}, u32(0), []byte{192, 0, 2, 9}, u16(64500), u16(len(aspath)), aspath)
	got, _ := decodeAll(t, mrtRec(mrtTableDump, afiIPv4, body))
	if want := []string{"A 192.0.2.9 64500 192.0.2.0/24 64496 0"}; !slices.Equal(got, want) {
		t.Fatalf("events %q want %q", got, want)
	}
}

func TestTextImport(t *testing.T) {
	in := strings.Join([]string{
		"# routes",
		"192.0.2.0/24 AS64496",
		"192.0.2.1/24 64497   # host bits are cleared",
		"2001:db8::/32\tas64498",
		"10.0.0.0/8 1.10",
		"not a line",
		"300.0.0.0/8 1",
		"10.0.0.0/8 AS-1",
		"",
	}, "\n")
	got, st := decodeAll(t, []byte(in))
	want := []string{
		"A invalid IP 0 192.0.2.0/24 64496 0",
		"A invalid IP 0 192.0.2.0/24 64497 0",
		"A invalid IP 0 2001:db8::/32 64498 0",
		"A invalid IP 0 10.0.0.0/8 65546 0",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events %q want %q", got, want)
	}
	if st.Records != 7 || st.Skipped[ReasonBadLine] != 2 || st.Skipped[ReasonBadPrefix] != 1 || st.Format != "text" {
		t.Fatalf("stats %+v", st)
	}
}

// TestImportFinalState: withdrawals and session downs in an update stream
// leave only what is still announced at the end.
func TestImportFinalState(t *testing.T) {
	in := strings.Join([]string{
		"BGP4MP|1|A|192.0.2.9|64500|192.0.2.0/24|64500 64496|IGP|192.0.2.9|0|0||NAG||",
		"BGP4MP|1|A|192.0.2.10|64501|192.0.2.0/24|64501 {64496,64497}|IGP|192.0.2.10|0|0||NAG||",
		"BGP4MP|1|A|192.0.2.9|64500|198.51.100.0/24|64500 64499|IGP|192.0.2.9|0|0||NAG||",
		"BGP4MP|2|A|192.0.2.9|64500|198.51.100.0/24|64500 64498|IGP|192.0.2.9|0|0||NAG||",
		"BGP4MP|2|W|192.0.2.9|64500|192.0.2.0/24",
		"BGP4MP|3|A|192.0.2.11|64502|203.0.113.0/24|64502|IGP|192.0.2.11|0|0||NAG||",
		"BGP4MP|4|STATE|192.0.2.11|64502|6|1",
	}, "\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(in))
	zw.Close()
	st, routes, err := Import(context.Background(), &gz)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range routes {
		got = append(got, eventString(Event{Kind: EventAnnounce, Route: r}))
	}
	want := []string{"A invalid IP 0 192.0.2.0/24 NONE 0", "A invalid IP 0 198.51.100.0/24 64498 0"}
	if !slices.Equal(got, want) {
		t.Fatalf("routes %q want %q", got, want)
	}
	if st.Routes != 5 || st.Withdrawals != 1 || st.Unique != 2 || st.Prefixes != 2 || st.Compression != "gzip" {
		t.Fatalf("stats %+v", st)
	}
}

func TestBzip2Import(t *testing.T) {
	if _, err := exec.LookPath("bzip2"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bzip2 missing")
		}
		t.Skip("bzip2 missing")
	}
	cmd := exec.Command("bzip2", "-c")
	cmd.Stdin = strings.NewReader("192.0.2.0/24 64496\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got, st := decodeAll(t, out)
	if !slices.Equal(got, []string{"A invalid IP 0 192.0.2.0/24 64496 0"}) || st.Compression != "bzip2" {
		t.Fatalf("%q %+v", got, st)
	}
}

func FuzzMRT(f *testing.F) {
	f.Add(bgp4mpMsg(2, update(nlri4("10.0.0.0/8"), cat(attr(0x40, attrASPath, seg(segSequence, 2, 1, 23456)), attr(0xc0, attrAS4Path, seg(segSequence, 4, 70000))), nlri4("192.0.2.0/24"))))
	f.Add(mrtRec(mrtTableDumpV2, tdv2PeerIndex, cat(u32(1), u16(0), u16(1), []byte{2}, u32(2), []byte{192, 0, 2, 1}, u32(64500))))
	for _, name := range []string{"bview.ipv6_unicast_add_path.gz", "updates.nlri_mask_trailing_bits.gz"} {
		b, err := os.ReadFile(testshared.Corpus(f, "bgpdump/test_data/"+name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &mrtDecoder{stats: &ImportStats{}, emit: func(ev Event) error {
			if ev.Kind == EventAnnounce && (!ev.Route.Prefix.IsValid() || ev.Route.Prefix != ev.Route.Prefix.Masked()) {
				t.Fatalf("bad prefix %v", ev.Route.Prefix)
			}
			return nil
		}}
		d.r = bufioReader(data)
		if err := d.run(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzTextImport(f *testing.F) {
	f.Add("192.0.2.0/24 AS64496\n# x\n2001:db8::/32 1.2\n")
	f.Add("TABLE_DUMP2_AP|1|B|10.0.0.1|65015|10.0.10.0/24|36|65015 {1,2}|IGP|10.0.15.1|100|0||NAG||\nBGP4MP|1|STATE|10.0.0.1|1|6|1\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := Decode(context.Background(), strings.NewReader(s), func(ev Event) error {
			if ev.Kind != EventPeerDown && ev.Route.Prefix != ev.Route.Prefix.Masked() {
				t.Fatalf("unmasked %v", ev.Route.Prefix)
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrImport) {
			t.Fatal(err)
		}
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
