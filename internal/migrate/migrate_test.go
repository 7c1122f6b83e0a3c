package migrate

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

func vrps(t *testing.T, ss ...string) []vrp.VRP {
	t.Helper()
	var out []vrp.VRP
	for _, s := range ss {
		v, err := vrp.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

var held = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}

// wantExport is testdata/rir.{csv,json}: six VRPs inside held, three
// outside (another holder's, another family's, one covering held space).
func wantExport(t *testing.T) []vrp.VRP {
	return vrp.NewSet(vrps(t, "192.0.2.0/24 => AS64496", "192.0.2.0/25 => AS64496", "198.51.100.0/24 => AS64497",
		"198.51.100.128/25 => AS64498", "203.0.113.0/24 => AS64499", "2001:db8::/32-48 => AS64496",
		"10.0.0.0/8 => AS65000", "2001:db9::/32 => AS65001", "192.0.0.0/16 => AS64496"))
}

func TestReadExport(t *testing.T) {
	for _, name := range []string{"rir.csv", "rir.json"} {
		f, err := os.Open("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ReadExport(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := strings.TrimPrefix(name, "rir."); e.Format != want || e.Dropped != 0 {
			t.Errorf("%s: format %q dropped %d, want %q 0", name, e.Format, e.Dropped, want)
		}
		if got := vrp.NewSet(e.VRPs); !slices.Equal(got, wantExport(t)) {
			t.Errorf("%s: VRPs\n%v\nwant\n%v", name, got, wantExport(t))
		}
	}
	// gzip JSON, headerless CSV with Routinator's four columns, blank lines.
	js, _ := os.ReadFile("testdata/rir.json")
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(js)
	w.Close()
	if e, err := ReadExport(&gz); err != nil || e.Format != "json" || len(e.VRPs) != 9 {
		t.Errorf("gzip JSON: %v %q %d", err, e.Format, len(e.VRPs))
	}
	e, err := ReadExport(strings.NewReader("\nAS64496,192.0.2.0/24,24,apnic\n64497,2001:db8::/32,33,apnic\n"))
	if err != nil || e.Format != "csv" || !reflect.DeepEqual(e.VRPs, vrps(t, "192.0.2.0/24 => AS64496", "2001:db8::/32-33 => AS64497")) {
		t.Errorf("headerless CSV: %v %v", e.VRPs, err)
	}
	if e, err := ReadExport(strings.NewReader("")); err != nil || len(e.VRPs) != 0 {
		t.Errorf("empty export: %v %v", e, err)
	}
}

func TestReadExportRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"two fields":     "ASN,IP Prefix,Max Length\nAS64496,192.0.2.0/24\n",
		"host bits":      "AS64496,192.0.2.1/24,24\n",
		"maxlength":      "AS64496,192.0.2.0/24,23\n",
		"maxlength junk": "AS64496,192.0.2.0/24,x\n",
		"asn":            "ASX,192.0.2.0/24,24\n",
		"json no roas":   `{"metadata":{}}`,
		"json broken":    `{"roas":[`,
		"long line":      "AS64496," + strings.Repeat("1", 5000) + "\n",
	} {
		if _, err := ReadExport(strings.NewReader(in)); !errors.Is(err, ErrBadExport) {
			t.Errorf("%s: err = %v, want %v", name, err, ErrBadExport)
		}
	}
	_, err := ReadExport(strings.NewReader("AS64496,192.0.2.0/24,24\nAS64496,192.0.2.0/24,23\n"))
	if err == nil || err.Error() != `bad-export: line 2: bad-maxlength: maxLength 23 outside 24..32 for 192.0.2.0/24` {
		t.Errorf("error text: %v", err)
	}
}

func TestCompare(t *testing.T) {
	road := vrps(t, "192.0.2.0/24-25 => AS64496", "198.51.100.0/24 => AS64497", "198.51.100.128/25 => AS64500",
		"2001:db8::/32-40 => AS64496", "2001:db8:1::/48 => AS64501")
	got := Compare(wantExport(t), road, held)
	p := netip.MustParsePrefix
	want := Report{Held: held, Read: 9, Outside: 3, Compared: 6, Configured: 5, Unchanged: 1, Lost: 3,
		Changes: []Change{
			{Kind: MaxLength, Prefix: p("192.0.2.0/24"), Today: vrps(t, "192.0.2.0/24 => AS64496"), Road: vrps(t, "192.0.2.0/24-25 => AS64496")},
			// covered by road's 192.0.2.0/24-25: its routes stay Valid
			{Kind: Disappear, Prefix: p("192.0.2.0/25"), Today: vrps(t, "192.0.2.0/25 => AS64496")},
			{Kind: Origin, Prefix: p("198.51.100.128/25"), Today: vrps(t, "198.51.100.128/25 => AS64498"),
				Road: vrps(t, "198.51.100.128/25 => AS64500"), Lost: true},
			{Kind: Disappear, Prefix: p("203.0.113.0/24"), Today: vrps(t, "203.0.113.0/24 => AS64499"), Lost: true},
			{Kind: MaxLength, Prefix: p("2001:db8::/32"), Today: vrps(t, "2001:db8::/32-48 => AS64496"),
				Road: vrps(t, "2001:db8::/32-40 => AS64496"), Lost: true},
			{Kind: Appear, Prefix: p("2001:db8:1::/48"), Road: vrps(t, "2001:db8:1::/48 => AS64501")},
		}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compare:\n%+v\nwant\n%+v", got, want)
	}

	// The same set is no change; a prefix with an origin and a maxLength
	// change lists both, the maxLength change last.
	same := Compare(road, road, held)
	if same.Unchanged != 5 || same.Compared != 5 || len(same.Changes) != 0 || same.Lost != 0 {
		t.Errorf("same set: %+v", same)
	}
	both := Compare(vrps(t, "192.0.2.0/24 => AS1", "192.0.2.0/24 => AS2"), vrps(t, "192.0.2.0/24-25 => AS1", "192.0.2.0/24 => AS3"), held)
	wantBoth := []Change{
		{Kind: Origin, Prefix: p("192.0.2.0/24"), Today: vrps(t, "192.0.2.0/24 => AS2"), Road: vrps(t, "192.0.2.0/24 => AS3"), Lost: true},
		{Kind: MaxLength, Prefix: p("192.0.2.0/24"), Today: vrps(t, "192.0.2.0/24 => AS1"), Road: vrps(t, "192.0.2.0/24-25 => AS1")},
	}
	if !reflect.DeepEqual(both.Changes, wantBoth) || both.Lost != 1 {
		t.Errorf("two changes at one prefix:\n%+v\nwant\n%+v", both.Changes, wantBoth)
	}
}
