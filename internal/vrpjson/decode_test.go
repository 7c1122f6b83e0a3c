package vrpjson

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/vrp"
)

const sampleJSON = `{"metadata":{"buildtime":"2026-11-22T09:36:58Z","roas":6},
 "roas":[{"prefix":"192.0.2.0/24","maxLength":24,"asn":"AS64496"},
         {"prefix":"198.51.100.0/22","maxLength":24,"asn":64497},
         {"prefix":"203.0.113.0/24","maxLength":32,"asn":"64498"},
         {"prefix":"2001:db8:1000::/36","maxLength":36,"asn":4200000000,"ta":"x","expires":1795427468},
         {"prefix":"10.0.0.0/8","maxLength":7,"asn":1},
         {"prefix":"10.0.0.1/8","maxLength":8,"asn":1},
         {"prefix":"10.0.0.0/8","maxLength":8,"asn":"ASX"},
         {"prefix":"10.9.0.0/16","maxLength":"16","asn":1},
         {"prefix":"10.8.0.0/16","maxLength":16,"asn":1,"expires":1000},
         {"prefix":"192.0.2.0/24","maxLength":24,"asn":"as64496"}],
 "bgpsec_keys":[],
 "provider_authorizations":{"ipv4":[{"customer_asid":28,"expires":1795427468,"providers":[41881,0,61036]},
   {"customer_asid":29,"expires":1000,"providers":[1]}],
   "ipv6":[{"customer_asid":28,"providers":["AS5"]}]}}`

func TestDecode(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(sampleJSON))
	zw.Close()
	for name, in := range map[string][]byte{"plain": []byte(sampleJSON), "gzip": gz.Bytes()} {
		vrps, aspas, meta, err := Decode(bytes.NewReader(in), now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := mustSet(t, "192.0.2.0/24 => AS64496", "198.51.100.0/22-24 => AS64497", "203.0.113.0/24-32 => AS64498",
			"2001:db8:1000::/36 => AS4200000000")
		if !reflect.DeepEqual(vrps, want) {
			t.Fatalf("%s: vrps %v", name, vrps)
		}
		wantA := []vrp.ASPA{{Customer: 28, Providers: []uint32{5, 41881, 61036}}}
		if !reflect.DeepEqual(aspas, wantA) {
			t.Fatalf("%s: aspas %v", name, aspas)
		}
		wantMeta := Meta{BuildTime: time.Date(2026, 11, 22, 9, 36, 58, 0, time.UTC), ROAs: 10, Dropped: 4, Expired: 2, ASPAs: 1, HasROAs: true}
		if meta != wantMeta {
			t.Fatalf("%s: meta %+v", name, meta)
		}
	}
	// A non-string prefix drops the entry, not the document.
	if vrps, _, meta, err := Load(strings.NewReader(`{"roas":[{"prefix":1,"maxLength":8,"asn":1}]}`)); err != nil || len(vrps) != 0 || meta.Dropped != 1 {
		t.Fatalf("dropped entry: %v %v %+v", vrps, err, meta)
	}
	// Without a clock nothing expires.
	vrps, _, _, err := Load(strings.NewReader(sampleJSON))
	if err != nil || len(vrps) != 5 {
		t.Fatalf("Load: %d %v", len(vrps), err)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"roas":{}}`, `{"roas":[1]}`, `{"roas":[`, "\x1f\x8bxx",
		`{"roas":[{"prefix":"1.0.0.0/8",}]}`, `{"roas":[{"prefix":tru}]}`, `{"roas":[]} x`, `{"x":[1,}`, `{"roas":[{"prefix":"a
"}]}`} {
		if _, _, _, err := Load(strings.NewReader(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(sampleJSON))
	f.Add([]byte(`{"aspas":[{"customer_asid":1,"providers":[2]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vrps, aspas, _, err := Load(bytes.NewReader(b))
		if err != nil {
			return
		}
		for i, v := range vrps {
			if v.Validate() != nil || (i > 0 && vrp.Compare(vrps[i-1], v) >= 0) {
				t.Fatalf("bad set at %d: %v", i, v)
			}
		}
		for _, a := range aspas {
			if a.Validate() != nil {
				t.Fatalf("bad aspa %v", a)
			}
		}
	})
}

// corpusFile returns a file of ../shared/corpus (testshared.Corpus).
func corpusFile(t testing.TB, rel string) string {
	t.Helper()
	return testshared.Corpus(t, rel)
}

func TestLoadCorpus(t *testing.T) {
	f, err := os.Open(corpusFile(t, "rpki-client-web/tests/inputs/outputs/json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	vrps, aspas, meta, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d VRPs, %d ASPAs in %v (meta %+v)", len(vrps), len(aspas), time.Since(start), meta)
	if meta.ROAs != 424223 || meta.Dropped != 0 || len(vrps) == 0 || len(vrps) > 424223 {
		t.Fatalf("meta %+v, %d vrps", meta, len(vrps))
	}
	if meta.BuildTime != time.Date(2023, 5, 4, 14, 52, 7, 0, time.UTC) {
		t.Fatalf("buildtime %v", meta.BuildTime)
	}
	// The packed-key sort gives exactly vrp.NewSet's set.
	if want := vrp.NewSet(slices.Clone([]vrp.VRP(vrps))); !slices.Equal(want, vrps) {
		t.Fatalf("sortSet differs from vrp.NewSet: %d vs %d VRPs", len(vrps), len(want))
	}
}

func mustSet(t *testing.T, ss ...string) vrp.Set {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
