package pubproto

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

var goldenMessages = map[string]Message{
	"query-publish.xml": {Type: Query, PDUs: []PDU{
		{Kind: Publish, Tag: "a", URI: "rsync://repo.example/road/new.roa", Content: []byte("\x30\x03\x02\x01\x01")},
		{Kind: Publish, Tag: "b & <c>", URI: "rsync://repo.example/road/road.mft", Hash: strings.Repeat("0f", 32), Content: []byte("manifest")},
		{Kind: Withdraw, Tag: "", URI: "rsync://repo.example/road/old.roa", Hash: strings.Repeat("ab", 32)},
	}},
	"query-list.xml":    {Type: Query, PDUs: []PDU{{Kind: List}}},
	"query-empty.xml":   {Type: Query},
	"reply-success.xml": {Type: Reply, Success: true},
	"reply-list.xml": {Type: Reply, List: []Listed{
		{URI: "rsync://repo.example/road/a.roa", Hash: strings.Repeat("01", 32)},
		{URI: "rsync://repo.example/road/road.mft", Hash: strings.Repeat("fe", 32)},
	}},
	"reply-list-empty.xml": {Type: Reply},
	"reply-errors.xml": {Type: Reply, Errors: []ReportError{
		{Tag: "b", Code: NoObjectMatchingHash, Text: "Can't delete\nan object I don't have\t<really>",
			Failed: &PDU{Kind: Withdraw, Tag: "b", URI: "rsync://repo.example/road/old.roa", Hash: strings.Repeat("ab", 32)}},
		{Code: OtherError},
		{Tag: "c", Code: ObjectAlreadyPresent, Failed: &PDU{Kind: Publish, Tag: "c", URI: "rsync://repo.example/road/x.cer", Content: []byte{}}},
	}},
}

func TestEmitGoldenRoundTrip(t *testing.T) {
	for name, m := range goldenMessages {
		t.Run(name, func(t *testing.T) {
			b, err := Emit(m)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, b)
			got, err := Parse(b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("parse(emit(m)):\n%+v\nwant\n%+v", got, m)
			}
		})
	}
}

// TestRFCExamples: the examples of RFC 8181 §3 (with comments and
// indented Base64) parse.
func TestRFCExamples(t *testing.T) {
	const ns = `type="query" version="4" xmlns="` + Namespace + `"`
	m, err := Parse([]byte(`<msg
    `+ns+`>
  <!-- hash is hex(SHA-256(old-object)) -->
  <!-- body is base64(new-object) -->
  <publish
      hash="01a97a70ac477f06"
      tag="foo"
      uri="rsync://wombat.example/Alice/01a97a70ac477f06.cer">
      SGVsbG8sIG15IG5hbWUgaXMgQWxpY2U=
    </publish>
</msg>`), Options{})
	want := Message{Type: Query, PDUs: []PDU{{Kind: Publish, Tag: "foo", URI: "rsync://wombat.example/Alice/01a97a70ac477f06.cer",
		Hash: "01a97a70ac477f06", Content: []byte("Hello, my name is Alice")}}}
	if err != nil || !reflect.DeepEqual(m, want) {
		t.Errorf("§3.2: %+v %v", m, err)
	}
	m, err = Parse([]byte(`<msg type="reply" version="4" xmlns="`+Namespace+`">
  <report_error
      error_code="object_already_present"
      tag="foo"/>
</msg>`), Options{})
	if want := (Message{Type: Reply, Errors: []ReportError{{Tag: "foo", Code: ObjectAlreadyPresent}}}); err != nil || !reflect.DeepEqual(m, want) {
		t.Errorf("§3.6: %+v %v", m, err)
	}
}

func TestParseRefuses(t *testing.T) {
	const open = `<msg xmlns="` + Namespace + `" version="4" type=`
	pub := `<publish tag="" uri="rsync://h/p">AAAA</publish>`
	cases := []struct {
		name, xml string
		want      error
	}{
		{"version 3", `<msg xmlns="` + Namespace + `" version="3" type="query"/>`, ErrVersion},
		{"no version", `<msg xmlns="` + Namespace + `" type="query"/>`, ErrVersion},
		{"bad type", open + `"question"/>`, ErrMalformed},
		{"namespace", `<msg xmlns="http://www.hactrn.net/uris/rpki/publication-spec" version="4" type="query"/>`, ErrNamespace},
		{"root", `<message xmlns="` + Namespace + `" version="4" type="query"/>`, ErrMalformed},
		{"unknown attribute", `<msg xmlns="` + Namespace + `" version="4" type="query" x="1"/>`, ErrMalformed},
		{"unknown element", open + `"query"><delete/></msg>`, ErrMalformed},
		{"foreign element", open + `"query"><x:publish xmlns:x="urn:x" tag="" uri="rsync://h/p">AAAA</x:publish></msg>`, ErrNamespace},
		{"text", open + `"query">hello</msg>`, ErrMalformed},
		{"publish without tag", open + `"query"><publish uri="rsync://h/p">AAAA</publish></msg>`, ErrMalformed},
		{"publish https uri", open + `"query"><publish tag="" uri="https://h/p">AAAA</publish></msg>`, ErrMalformed},
		{"publish bad base64", open + `"query"><publish tag="" uri="rsync://h/p">AAA</publish></msg>`, ErrMalformed},
		{"publish bad hash", open + `"query"><publish tag="" uri="rsync://h/p" hash="xyz">AAAA</publish></msg>`, ErrMalformed},
		{"publish child", open + `"query"><publish tag="" uri="rsync://h/p"><list/></publish></msg>`, ErrMalformed},
		{"withdraw without hash", open + `"query"><withdraw tag="" uri="rsync://h/p"/></msg>`, ErrMalformed},
		{"withdraw with content", open + `"query"><withdraw tag="" uri="rsync://h/p" hash="00">AAAA</withdraw></msg>`, ErrMalformed},
		{"list with publish", open + `"query"><list/>` + pub + `</msg>`, ErrMalformed},
		{"two lists", open + `"query"><list/><list/></msg>`, ErrMalformed},
		{"list query with uri", open + `"query"><list uri="rsync://h/p"/></msg>`, ErrMalformed},
		{"success in query", open + `"query"><success/></msg>`, ErrMalformed},
		{"publish in reply", open + `"reply">` + pub + `</msg>`, ErrMalformed},
		{"success twice", open + `"reply"><success/><success/></msg>`, ErrMalformed},
		{"success and list", open + `"reply"><success/><list uri="rsync://h/p" hash="00"/></msg>`, ErrMalformed},
		{"list and error", open + `"reply"><list uri="rsync://h/p" hash="00"/><report_error error_code="other_error"/></msg>`, ErrMalformed},
		{"list reply without hash", open + `"reply"><list uri="rsync://h/p"/></msg>`, ErrMalformed},
		{"unknown error code", open + `"reply"><report_error error_code="meteor"/></msg>`, ErrMalformed},
		{"error parts out of order", open + `"reply"><report_error error_code="other_error"><failed_pdu>` + pub + `</failed_pdu><error_text>x</error_text></report_error></msg>`, ErrMalformed},
		{"empty failed_pdu", open + `"reply"><report_error error_code="other_error"><failed_pdu/></report_error></msg>`, ErrMalformed},
		{"two failed PDUs", open + `"reply"><report_error error_code="other_error"><failed_pdu>` + pub + pub + `</failed_pdu></report_error></msg>`, ErrMalformed},
		{"doctype", `<!DOCTYPE msg>` + open + `"query"/>`, ErrMalformed},
		{"depth", open + `"reply"><report_error error_code="other_error"><failed_pdu><publish tag="" uri="rsync://h/p"><x/></publish></failed_pdu></report_error></msg>`, ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := Parse([]byte(c.xml), Options{}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	ok := []byte(open + `"query">` + pub + `</msg>`)
	if _, err := Parse(ok, Options{}); err != nil {
		t.Fatalf("the base case: %v", err)
	}
	if _, err := Parse(ok, Options{MaxBytes: len(ok) - 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxBytes: %v", err)
	}
	many := []byte(open + `"reply">` + strings.Repeat(`<list uri="rsync://h/p" hash="00"/>`, 10) + `</msg>`)
	if _, err := Parse(many, Options{MaxElements: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("11 elements over MaxElements 10: %v", err)
	}
}

func TestEmitRefuses(t *testing.T) {
	pub := PDU{Kind: Publish, URI: "rsync://h/p", Content: []byte("x")}
	for name, m := range map[string]Message{
		"no type":         {PDUs: []PDU{pub}},
		"list and more":   {Type: Query, PDUs: []PDU{{Kind: List}, pub}},
		"reply PDU":       {Type: Query, Success: true},
		"query PDU":       {Type: Reply, PDUs: []PDU{pub}},
		"mixed reply":     {Type: Reply, Success: true, Errors: []ReportError{{Code: OtherError}}},
		"upper-case hash": {Type: Query, PDUs: []PDU{{Kind: Withdraw, URI: "rsync://h/p", Hash: "AB"}}},
		"no hash":         {Type: Query, PDUs: []PDU{{Kind: Withdraw, URI: "rsync://h/p"}}},
		"http uri":        {Type: Query, PDUs: []PDU{{Kind: Publish, URI: "http://h/p"}}},
		"untrimmed tag":   {Type: Query, PDUs: []PDU{{Kind: Publish, Tag: "a ", URI: "rsync://h/p"}}},
		"bad code":        {Type: Reply, Errors: []ReportError{{Code: "meteor"}}},
		"NUL in text":     {Type: Reply, Errors: []ReportError{{Code: OtherError, Text: "a\x00b"}}},
		"list with uri":   {Type: Query, PDUs: []PDU{{Kind: List, URI: "rsync://h/p"}}},
	} {
		if _, err := Emit(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
