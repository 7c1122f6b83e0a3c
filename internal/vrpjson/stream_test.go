package vrpjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestStreamWindows: the result does not depend on how the reader splits
// the input, also when ROAs and a large member span several windows.
func TestStreamWindows(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"metadata":{"buildtime":"2026-11-22T09:36:58Z"},"bgpsec_keys":["` + strings.Repeat("k", 3*chunk) + `"],"roas":[`)
	for i := range 20000 {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"asn":"AS%d","prefix":"10.%d.%d.0/24","maxLength":24,"ta":"t\"a","expires":1795427468}`, 64496+i%7, i/256, i%256)
	}
	b.WriteString(`],"aspas":[{"customer_asid":1,"providers":[2]}]}`)
	doc := []byte(b.String())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want, wantA, wantM, err := Decode(bytes.NewReader(doc), now)
	if err != nil || len(want) != 20000 || len(wantA) != 1 {
		t.Fatalf("whole: %d VRPs, %d ASPAs, %v", len(want), len(wantA), err)
	}
	for name, wrap := range map[string]func(io.Reader) io.Reader{"one byte": iotest.OneByteReader, "half": iotest.HalfReader} {
		got, gotA, gotM, err := Decode(wrap(bytes.NewReader(doc)), now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotA, wantA) || gotM != wantM {
			t.Fatalf("%s: differs from the whole-buffer decode", name)
		}
	}
}

// TestStreamReadError: a failing reader is the error, not a syntax error.
func TestStreamReadError(t *testing.T) {
	boom := errors.New("boom")
	r := iotest.DataErrReader(iotest.ErrReader(boom))
	_, _, _, err := Load(r)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err %v", err)
	}
}
