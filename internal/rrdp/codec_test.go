package rrdp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The one leading-zero rule: xsd:positiveInteger, as both the publisher
// (reading back its own files) and the relying party decode.
func TestParseSerial(t *testing.T) {
	for in, want := range map[string]uint64{
		"1": 1, "0001": 1, "+7": 7, " 42\n": 42, "18446744073709551615": 1<<64 - 1, "007": 7,
	} {
		if got, err := ParseSerial(in); err != nil || got != want {
			t.Errorf("ParseSerial(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "000", "-1", "+", "+-1", "1.0", "0x10", "18446744073709551616", "1 2", "１"} {
		if got, err := ParseSerial(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSerial(%q) = %d, %v; want rrdp-malformed", in, got, err)
		}
	}
}

const testSession = "9df4b597-af9e-4dca-bdda-719cce2c4e28"

func TestNotificationRoundTrip(t *testing.T) {
	doc := `<?xml version="1.0" encoding="US-ASCII"?>
<notification xmlns="` + Namespace + `" version="1" session_id="9DF4B597-AF9E-4DCA-BDDA-719CCE2C4E28" serial="0003">
  <delta serial="3" uri="https://h/3.xml" hash="` + strings.Repeat("AB", 32) + `"/>
  <snapshot uri="https://h/s.xml" hash="` + strings.Repeat("01", 32) + `"/>
  <delta serial="02" uri="https://h/2.xml" hash="` + strings.Repeat("cd", 32) + `"/>
</notification>`
	n, err := ParseNotification(strings.NewReader(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	n.SortDeltas()
	var b bytes.Buffer
	WriteNotification(&b, n)
	want := `<notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="` + testSession + `" serial="3">
  <snapshot uri="https://h/s.xml" hash="` + strings.Repeat("01", 32) + `"/>
  <delta serial="2" uri="https://h/2.xml" hash="` + strings.Repeat("cd", 32) + `"/>
  <delta serial="3" uri="https://h/3.xml" hash="` + strings.Repeat("ab", 32) + `"/>
</notification>
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestDecodeRejects(t *testing.T) {
	hdr := `<delta xmlns="` + Namespace + `" version="1" session_id="` + testSession + `" serial="2">`
	h64 := strings.Repeat("0", 64)
	for name, c := range map[string]struct {
		doc  string
		code error
	}{
		"empty delta":      {hdr + `</delta>`, ErrMalformed},
		"withdraw no hash": {hdr + `<withdraw uri="rsync://h/m/a"/></delta>`, ErrMalformed},
		"withdraw content": {hdr + `<withdraw uri="rsync://h/m/a" hash="` + h64 + `">AAAA</withdraw></delta>`, ErrMalformed},
		"short hash":       {hdr + `<withdraw uri="rsync://h/m/a" hash="00"/></delta>`, ErrMalformed},
		"https element":    {hdr + `<publish uri="https://h/m/a">AAAA</publish></delta>`, ErrMalformed},
		"long uri":         {hdr + `<publish uri="rsync://h/m/` + strings.Repeat("a", 100) + `">AAAA</publish></delta>`, ErrTooLarge},
		"big object":       {hdr + `<publish uri="rsync://h/m/a">` + strings.Repeat("AAAA", 30) + `</publish></delta>`, ErrTooLarge},
		"entity":           {`<!DOCTYPE delta [<!ENTITY x "y">]>` + hdr + `</delta>`, ErrMalformed},
		"version 2":        {strings.Replace(hdr, `version="1"`, `version="2"`, 1) + `</delta>`, ErrMalformed},
		"latin1":           {`<?xml version="1.0" encoding="ISO-8859-1"?>` + hdr + `</delta>`, ErrMalformed},
	} {
		_, err := ParseDelta(strings.NewReader(c.doc), Limits{MaxURI: 64, MaxObject: 50}, func(Element) error { return nil })
		if !errors.Is(err, c.code) {
			t.Errorf("%s: %v, want %v", name, err, c.code)
		}
	}
	many := `<snapshot xmlns="` + Namespace + `" version="1" session_id="` + testSession + `" serial="2">`
	for i := range 5 {
		many += fmt.Sprintf(`<publish uri="rsync://h/m/%d">AAAA</publish>`, i)
	}
	_, err := ParseSnapshot(strings.NewReader(many+`</snapshot>`), Limits{MaxElements: 4}, func(Element) error { return nil })
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many elements: %v", err)
	}
	dup := strings.Replace(many, `/1"`, `/0"`, 1) + `</snapshot>`
	if _, err := ParseSnapshot(strings.NewReader(dup), Limits{}, func(Element) error { return nil }); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate URI: %v", err)
	}
}
