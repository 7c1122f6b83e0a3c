package slurm

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

// The example of RFC 8416 §3.5.
const example = `{
  "slurmVersion": 1,
  "validationOutputFilters": {
    "prefixFilters": [
      {"prefix": "192.0.2.0/24", "comment": "All VRPs encompassed by prefix"},
      {"asn": 64496, "comment": "All VRPs matching ASN"},
      {"prefix": "198.51.100.0/24", "asn": 64497, "comment": "All VRPs encompassed by prefix, matching ASN"}
    ],
    "bgpsecFilters": [
      {"asn": 64496, "comment": "All keys for ASN"},
      {"SKI": "Zm9v", "comment": "Key matching Router SKI"}
    ]
  },
  "locallyAddedAssertions": {
    "prefixAssertions": [
      {"asn": 64496, "prefix": "198.51.100.0/24", "comment": "My other important route"},
      {"asn": 64496, "prefix": "2001:DB8::/32", "maxPrefixLength": 48, "comment": "My other important de-aggregated routes"}
    ],
    "bgpsecAssertions": [
      {"asn": 64496, "comment": "My known key for my important ASN", "SKI": "<some base64 SKI>", "routerPublicKey": "<some base64 public key>"}
    ]
  }
}`

func mustSet(t *testing.T, ss ...string) vrp.Set {
	var vs []vrp.VRP
	for _, s := range ss {
		v, err := vrp.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vrp.NewSet(vs)
}

func TestApplyRFCExample(t *testing.T) {
	f, err := Parse(strings.NewReader(example))
	if err != nil {
		t.Fatal(err)
	}
	in := mustSet(t,
		"192.0.2.0/24 => AS1",        // covered by filter 1
		"192.0.2.128/25 => AS2",      // covered by filter 1
		"192.0.0.0/16 => AS3",        // covers, not covered: kept
		"203.0.113.0/24 => AS64496",  // filter 2
		"198.51.100.0/24 => AS64497", // filter 3
		"198.51.100.0/24 => AS64498", // wrong ASN for filter 3: kept
		"198.51.100.0/24 => AS64496", // filtered by ASN, but asserted again
	)
	orig := append(vrp.Set(nil), in...)
	got, _ := f.Apply(in, nil)
	want := mustSet(t, "192.0.0.0/16 => AS3", "198.51.100.0/24 => AS64498", "198.51.100.0/24 => AS64496", "2001:db8::/32-48 => AS64496")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Fatal("input modified")
	}
}

func TestParseRejects(t *testing.T) {
	bad := []string{
		strings.Replace(example, `"slurmVersion": 1`, `"slurmVersion": 2`, 1),
		strings.Replace(example, `"bgpsecFilters"`, `"bgpsecFilterz"`, 1),
		strings.Replace(example, `"comment": "All VRPs matching ASN"`, `"comment": "x", "extra": 1`, 1),
		strings.Replace(example, `{"asn": 64496, "comment": "All VRPs matching ASN"}`, `{"comment": "nothing"}`, 1),
		strings.Replace(example, `"maxPrefixLength": 48`, `"maxPrefixLength": 16`, 1),
		strings.Replace(example, `"192.0.2.0/24"`, `"192.0.2.1/24"`, 1),
		`{"slurmVersion": 1}`,
		example + `{}`,
	}
	for i, s := range bad {
		if _, err := Parse(strings.NewReader(s)); !errors.Is(err, ErrSLURM) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestMergeOverlap(t *testing.T) {
	a, _ := Parse(strings.NewReader(example))
	b, _ := Parse(strings.NewReader(strings.Replace(example, "2001:DB8::/32", "2001:DB8:1::/48", 1)))
	if _, err := Merge(a, b); !errors.Is(err, ErrSLURM) {
		t.Fatalf("overlap not rejected: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, v := range s.PrefixAssertions {
			if v.Validate() != nil {
				t.Fatalf("invalid assertion %v", v)
			}
		}
	})
}

// TestApplyMatchesBruteForce: the merge of assertions into the filtered set
// equals sorting everything again, duplicates between kept and asserted
// VRPs going out once.
func TestApplyMatchesBruteForce(t *testing.T) {
	var in []vrp.VRP
	for i := range 3000 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)
		in = append(in, vrp.VRP{Prefix: p, MaxLen: 24, ASN: uint32(i % 7)})
	}
	set := vrp.NewSet(in)
	f := &File{
		PrefixFilters: []PrefixFilter{{ASN: 3, HasASN: true}, {Prefix: netip.MustParsePrefix("10.1.0.0/16"), HasPrefix: true}},
		PrefixAssertions: []vrp.VRP{
			set[5],      // kept anyway: must appear once
			set[3000-1], // last element, kept or not
			{Prefix: netip.MustParsePrefix("10.1.2.0/24"), MaxLen: 24, ASN: 3}, // filtered, asserted back
			{Prefix: netip.MustParsePrefix("2001:db8::/32"), MaxLen: 48, ASN: 64496},
			{Prefix: netip.MustParsePrefix("0.0.0.0/0"), MaxLen: 8, ASN: 1},
		},
	}
	got, _ := f.Apply(set, nil)
	var want []vrp.VRP
	for _, v := range set {
		if v.ASN != 3 && !netip.MustParsePrefix("10.1.0.0/16").Contains(v.Prefix.Addr()) {
			want = append(want, v)
		}
	}
	wantSet := vrp.NewSet(append(want, f.PrefixAssertions...))
	if !reflect.DeepEqual(got, wantSet) {
		t.Fatalf("got %d VRPs, want %d", len(got), len(wantSet))
	}
}
