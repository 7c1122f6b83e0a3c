package testpeers

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

func mustVRPs(t testing.TB, lines ...string) []vrp.VRP {
	t.Helper()
	out := make([]vrp.VRP, 0, len(lines))
	for _, l := range lines {
		v, err := vrp.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return []vrp.VRP(vrp.NewSet(out))
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The 3 VRPs of the openssl-built repository (peers/mkrepo.sh) as written by
// rpki-client 8.2 and FORT 1.5.4.
var repoVRPs = []string{"192.0.2.0/24 => AS64496", "198.51.100.0/22-24 => AS64496", "2001:db8::/32-48 => AS64496"}

// The 5 VRPs served by stayrtr to the RTR clients in the captured samples.
var rtrVRPs = []string{"192.0.2.0/24 => AS64496", "198.51.100.0/22-24 => AS64497", "203.0.113.0/24-32 => AS64498",
	"2001:db8::/32-48 => AS64499", "2001:db8:1000::/36 => AS4200000000"}

func TestParseRPOutputs(t *testing.T) {
	want := mustVRPs(t, repoVRPs...)
	for _, tc := range []struct {
		file  string
		parse func([]byte) (vrp.Set, error)
	}{
		{"rpki-client.csv", ParseRPKIClientCSV},
		{"rpki-client.json", ParseVRPJSON},
		{"fort.csv", ParseFortCSV},
		{"fort.json", ParseVRPJSON},
	} {
		got, err := tc.parse(readTestdata(t, tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if !slices.Equal([]vrp.VRP(got), want) {
			t.Errorf("%s: got %v, want %v", tc.file, got, want)
		}
	}
}

func TestParseRTRDumpJSON(t *testing.T) {
	got, err := ParseVRPJSON(readTestdata(t, "rtrdump.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := mustVRPs(t, rtrVRPs...); !slices.Equal([]vrp.VRP(got), want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		parse func([]byte) (vrp.Set, error)
	}{
		{"empty csv", "", ParseRPKIClientCSV},
		{"wrong header", "ASN,Prefix,Max prefix length\n", ParseRPKIClientCSV},
		{"short row", "ASN,IP Prefix,Max Length,Trust Anchor,Expires\nAS1,192.0.2.0/24,24,test\n", ParseRPKIClientCSV},
		{"host bits", "ASN,Prefix,Max prefix length\nAS1,192.0.2.1/24,24\n", ParseFortCSV},
		{"maxlen below length", "ASN,Prefix,Max prefix length\nAS1,192.0.2.0/24,23\n", ParseFortCSV},
		{"maxlen over 32", "ASN,Prefix,Max prefix length\nAS1,192.0.2.0/24,33\n", ParseFortCSV},
		{"bad asn", "ASN,Prefix,Max prefix length\nASX,192.0.2.0/24,24\n", ParseFortCSV},
		{"json without roas", `{"metadata":{}}`, ParseVRPJSON},
		{"json missing asn", `{"roas":[{"prefix":"192.0.2.0/24","maxLength":24}]}`, ParseVRPJSON},
		{"json string maxlen", `{"roas":[{"prefix":"192.0.2.0/24","maxLength":"24","asn":1}]}`, ParseVRPJSON},
		{"json negative asn", `{"roas":[{"prefix":"192.0.2.0/24","maxLength":24,"asn":-1}]}`, ParseVRPJSON},
		{"json garbage", `{"roas":[`, ParseVRPJSON},
	} {
		if got, err := tc.parse([]byte(tc.in)); !errors.Is(err, ErrParse) {
			t.Errorf("%s: got %v, %v; want ErrParse", tc.name, got, err)
		}
	}
}

func TestParseEmptyTables(t *testing.T) {
	got, err := ParseVRPJSON([]byte(`{"metadata":{"vrps":0},"roas":null}`))
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("null roas: got %v, %v; want empty non-nil", got, err)
	}
	got, err = ParseRPKIClientCSV([]byte("ASN,IP Prefix,Max Length,Trust Anchor,Expires\n"))
	if err != nil || len(got) != 0 {
		t.Errorf("header-only csv: got %v, %v", got, err)
	}
}

func TestParseRTRClientStream(t *testing.T) {
	table := map[vrp.VRP]bool{}
	n := 0
	for _, line := range strings.Split(string(readTestdata(t, "rtrclient-stream.txt")), "\n") {
		c, ok, err := ParseRTRClientLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
			table[c.VRP] = c.Add
		}
	}
	if n != 5 {
		t.Fatalf("%d change lines, want 5", n)
	}
	var got []vrp.VRP
	for v, add := range table {
		if add {
			got = append(got, v)
		}
	}
	if got, want := []vrp.VRP(vrp.NewSet(got)), mustVRPs(t, rtrVRPs...); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	c, ok, err := ParseRTRClientLine("- 192.0.2.0                                   24 -  25        -94967296")
	if err != nil || !ok || c.Add || c.VRP != mustVRPs(t, "192.0.2.0/24-25 => AS4200000000")[0] {
		t.Errorf("withdraw with signed ASN: got %+v %v %v", c, ok, err)
	}
	for _, bad := range []string{"+ 192.0.2.0 24 24 64496", "+ 192.0.2.0 24 - 24", "- 192.0.2.1 24 - 24 1"} {
		if _, ok, err := ParseRTRClientLine(bad); !ok || !errors.Is(err, ErrParse) {
			t.Errorf("%q: ok=%v err=%v, want ErrParse", bad, ok, err)
		}
	}
}

func TestParseBirdAndGoBGP(t *testing.T) {
	want := mustVRPs(t, rtrVRPs...)
	var bird []vrp.VRP
	for _, f := range []string{"bird-r4.txt", "bird-r6.txt"} {
		vs, err := ParseBirdROATable(string(readTestdata(t, f)))
		if err != nil {
			t.Fatal(err)
		}
		bird = append(bird, vs...)
	}
	if got := []vrp.VRP(vrp.NewSet(bird)); !slices.Equal(got, want) {
		t.Errorf("bird: got %v, want %v", got, want)
	}
	var gobgp []vrp.VRP
	for _, f := range []string{"gobgp-rpki-v4.txt", "gobgp-rpki-v6.txt"} {
		vs, err := ParseGoBGPRPKITable(string(readTestdata(t, f)))
		if err != nil {
			t.Fatal(err)
		}
		gobgp = append(gobgp, vs...)
	}
	if got := []vrp.VRP(vrp.NewSet(gobgp)); !slices.Equal(got, want) {
		t.Errorf("gobgp: got %v, want %v", got, want)
	}
	if vs, err := ParseBirdROATable("BIRD 2.0.12 ready.\nTable r4:\n"); err != nil || len(vs) != 0 {
		t.Errorf("empty bird table: %v %v", vs, err)
	}
	for _, bad := range []string{
		"Unable to connect to server control socket (/x/bird.ctl): No such file or directory\n",
		"BIRD 2.0.12 ready.\nTable r4:\n192.0.2.0/24 AS64496  [rtr1 01:28:43.674] * (100)\n",
		"BIRD 2.0.12 ready.\nsyntax error, unexpected CF_SYM_UNDEFINED\n",
	} {
		if _, err := ParseBirdROATable(bad); !errors.Is(err, ErrParse) {
			t.Errorf("bird %q: err=%v, want ErrParse", bad, err)
		}
	}
	for _, bad := range []string{
		"192.0.2.0/24       24     64496      127.0.0.1:28323\n",
		"Network            Maxlen AS         Server\n192.0.2.0/24       24     64496\n",
		"rpc error: code = Unavailable desc = connection refused\n",
	} {
		if _, err := ParseGoBGPRPKITable(bad); !errors.Is(err, ErrParse) {
			t.Errorf("gobgp %q: err=%v, want ErrParse", bad, err)
		}
	}
}

func FuzzParseVRPJSON(f *testing.F) {
	f.Add(readTestdata(f, "rpki-client.json"))
	f.Add(readTestdata(f, "fort.json"))
	f.Add(readTestdata(f, "rtrdump.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseVRPJSON(b)
		if err != nil {
			return
		}
		for i, v := range s {
			if v.Validate() != nil || (i > 0 && vrp.Compare(s[i-1], v) >= 0) {
				t.Fatalf("invalid or unsorted output %v", s)
			}
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add(readTestdata(f, "rpki-client.csv"))
	f.Add(readTestdata(f, "fort.csv"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (vrp.Set, error){ParseRPKIClientCSV, ParseFortCSV} {
			if s, err := parse(b); err == nil {
				for _, v := range s {
					if v.Validate() != nil {
						t.Fatalf("invalid VRP %v", v)
					}
				}
			}
		}
	})
}

func FuzzParseTextTables(f *testing.F) {
	f.Add(string(readTestdata(f, "bird-r4.txt")))
	f.Add(string(readTestdata(f, "gobgp-rpki-v6.txt")))
	f.Add(string(readTestdata(f, "rtrclient-stream.txt")))
	f.Fuzz(func(t *testing.T, s string) {
		check := func(vs []vrp.VRP, err error) {
			if err != nil {
				return
			}
			for _, v := range vs {
				if v.Validate() != nil {
					t.Fatalf("invalid VRP %v", v)
				}
			}
		}
		check(ParseBirdROATable(s))
		check(ParseGoBGPRPKITable(s))
		for _, line := range strings.Split(s, "\n") {
			c, ok, err := ParseRTRClientLine(line)
			if ok && err == nil {
				check([]vrp.VRP{c.VRP}, nil)
			}
		}
	})
}

func TestParseBirdASPATable(t *testing.T) {
	out := "BIRD 2.17.6 ready.\nTable at:\n64500                 [rtr1 10:53:17.433] * (100)\n\tType: RPKI univ\n\taspa_providers: 64502 64501\n" +
		"4200000000            [rtr1 10:53:17.433] * (100)\n\tType: RPKI univ\n\taspa_providers: 0\n"
	got, err := ParseBirdASPATable(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []vrp.ASPA{{Customer: 64500, Providers: []uint32{64501, 64502}}, {Customer: 4200000000, Providers: []uint32{0}}}
	if len(got) != 2 || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := ParseBirdASPATable("\taspa_providers: 1\n"); !errors.Is(err, ErrParse) {
		t.Fatalf("providers without a customer: %v", err)
	}
}
