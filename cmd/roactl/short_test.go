package main

import (
	"bytes"
	"testing"
)

// The analysis answers show ROAs, routes and intents the way operators write them.
func TestRenderShortObjects(t *testing.T) {
	raw := `{"roas":[{"roa":{"prefix":"198.51.100.0/24","max_length":25,"asn":64497},"state":"too-permissive",` +
		`"authorizes":[{"prefix":"198.51.100.0/24","origin":64497},{"prefix":"198.51.100.0/25","origin":64497}],"disallows":[],` +
		`"intents":[{"prefix":"198.51.100.0/24","origin":64497,"note":"core"}]},` +
		`{"roa":{"prefix":"192.0.2.0/24","max_length":24,"asn":0},"state":"as0","authorizes":[{"prefix":"192.0.2.128/25","origin":0,"no_origin":true}],` +
		`"disallows":[{"prefix":"192.0.2.0/24","odd":1}],"intents":[]}]}`
	var b bytes.Buffer
	if err := renderJSONTable(&b, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	want := "ROA                            STATE           AUTHORIZES                                        DISALLOWS                            INTENTS\n" +
		"198.51.100.0/24-25 => AS64497  too-permissive  198.51.100.0/24 AS64497, 198.51.100.0/25 AS64497  -                                    198.51.100.0/24 AS64497 (core)\n" +
		"192.0.2.0/24 => AS0            as0             192.0.2.128/25 NONE                               [{\"prefix\":\"192.0.2.0/24\",\"odd\":1}]  -\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
