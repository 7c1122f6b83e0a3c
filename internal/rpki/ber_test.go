package rpki

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestDERFromBER(t *testing.T) {
	cases := []struct {
		name, in, want string
		changed        bool
	}{
		{"DER stays", "3003020101", "3003020101", false},
		{"indefinite sequence", "30800201010000", "3003020101", true},
		{"nested indefinite", "3080a0800201010000" + "0000", "3005a003020101", true},
		{"constructed octet string", "2480040161040262630000", "0403616263", true},
		{"constructed in definite", "24070401610402626300"[:18], "0403616263", true},
		{"non-minimal length", "308103020101", "3003020101", true},
		{"long-form length kept when needed", "048180" + string(bytes.Repeat([]byte("00"), 128)), "048180" + string(bytes.Repeat([]byte("00"), 128)), false},
		{"bit string segments", "2380030200ff03020380" + "0000", "030303ff80", true},
	}
	for _, c := range cases {
		in, _ := hex.DecodeString(c.in)
		out, changed, err := derFromBER(in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := hex.EncodeToString(out); got != c.want || changed != c.changed {
			t.Errorf("%s: %s changed=%v, want %s changed=%v", c.name, got, changed, c.want, c.changed)
		}
	}
}

func TestDERFromBERRejects(t *testing.T) {
	deep := bytes.Repeat([]byte{0x30, 0x80}, maxBERDepth+2)
	for name, in := range map[string]string{
		"truncated":            "3005020101",
		"missing EOC":          "3080020101",
		"primitive indefinite": "048001020000",
		"trailing data":        "300302010100",
		"length octets 5":      "3085ffffffffff",
		"long-form low tag":    "3f0400",
		"deep":                 hex.EncodeToString(deep),
	} {
		b, _ := hex.DecodeString(in)
		if _, _, err := derFromBER(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func FuzzDERFromBER(f *testing.F) {
	for _, s := range []string{"30800201010000", "2480040161040262630000", "3003020101"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, changed, err := derFromBER(in)
		if err != nil {
			return
		}
		// The allocation-free scan and the full decoder agree on what is DER.
		if el, rest, err := readBER(in, 0); err != nil || len(rest) != 0 || el.changed != changed {
			t.Fatalf("scan says changed=%v, decoder says %+v, rest %x, %v", changed, el.changed, rest, err)
		}
		// DER is a fixed point: normalizing the output changes nothing.
		again, changed2, err := derFromBER(out)
		if err != nil || changed2 || !bytes.Equal(again, out) {
			t.Fatalf("not a fixed point: %x -> %x (changed %v) -> %x (%v, %v)", in, out, changed, again, changed2, err)
		}
	})
}
