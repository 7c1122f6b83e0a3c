package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRenderGenericShapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "ok\n"},
		{`not json`, "not json\n"},
		{`[]`, "no items\n"},
		{`["a",1,null]`, "a\n1\n-\n"},
		{`{"audits":[{"kind":"consistency","ok":true,"details":{"missing":[]}},{"kind":"expiry","ok":false,"extra":"x"}]}`,
			"KIND         OK     DETAILS         EXTRA\n" +
				"consistency  true   {\"missing\":[]}  -\n" +
				"expiry       false  -               x\n"},
		{`{"ran":"consistency","ok":true,"missing":["192.0.2.0/24 => AS1"],"unexpected":[]}`,
			"ran      consistency\nok       true\nmissing  192.0.2.0/24 => AS1\n\nunexpected:\nno unexpected\n"},
		{`{"a":[{"x":1}],"b":[{"y":"2"}]}`, "a:\nX\n1\n\nb:\nY\n2\n"},
	} {
		var b bytes.Buffer
		if err := renderJSONTable(&b, []byte(tc.in)); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.in, b.String(), tc.want)
		}
	}
}

// FuzzJSONNode: the order-keeping decoder never panics, and what it accepts
// re-encodes to JSON equal to the input.
func FuzzJSONNode(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"d"}`, `[]`, `"x"`, `{"a":1,"a":2}`, `[[[[[]]]]]`, `1e400`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseNode([]byte(s))
		var b bytes.Buffer
		_ = renderJSONTable(&b, []byte(s))
		if err != nil {
			return
		}
		want, err := decodeNumbers(s)
		if err != nil {
			t.Fatalf("parseNode accepted invalid JSON %q", s)
		}
		got, err := decodeNumbers(n.compact())
		if err != nil {
			t.Fatalf("compact %q of %q: %v", n.compact(), s, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%q -> %q", s, n.compact())
		}
	})
}

func decodeNumbers(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}
