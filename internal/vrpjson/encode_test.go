package vrpjson

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// TestEncodeRoundTrip: what Encode writes, Decode reads back.
func TestEncodeRoundTrip(t *testing.T) {
	d := Document{
		Metadata: Metadata{BuildTime: "2026-12-03T10:00:00Z", ROAs: 2},
		ROAs: []ROA{{ASN: 64496, Prefix: "192.0.2.0/24", MaxLength: 24, TA: "road", Expires: 1800000000},
			{ASN: 64497, Prefix: "2001:db8::/32", MaxLength: 48, TA: "road", Expires: 1800000000}},
		ASPAs: []ASPA{{Customer: 64496, Expires: 1800000000, Providers: []uint32{64500, 64501}}},
	}
	var b bytes.Buffer
	if err := Encode(&b, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\n\t\"roas\": [\n") || !strings.Contains(b.String(), `"rejected": []`) {
		t.Fatalf("not rpki-client's layout:\n%s", b.String())
	}
	vrps, aspas, meta, err := Load(&b)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustSet(t, "192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497"); !reflect.DeepEqual(vrps, want) {
		t.Fatalf("vrps %v", vrps)
	}
	if want := []vrp.ASPA{vrp.NewASPA(64496, []uint32{64500, 64501})}; !reflect.DeepEqual(aspas, want) {
		t.Fatalf("aspas %v", aspas)
	}
	if !meta.BuildTime.Equal(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)) || meta.ROAs != 2 {
		t.Fatalf("meta %+v", meta)
	}
}

func TestStrict(t *testing.T) {
	for _, in := range []string{`{"metadata":{}}`, `{"roas":[{"prefix":"192.0.2.0/24","maxLength":24}]}`, `{"roas":[`} {
		if _, _, err := Strict(strings.NewReader(in)); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	s, _, err := Strict(strings.NewReader(`{"roas":null}`))
	if err != nil || s == nil || len(s) != 0 {
		t.Fatalf("null roas: %v %v", s, err)
	}
}
