package main

import (
	"bytes"
	"os"
	"path/filepath"
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

func TestBGPImportNameAndUnimport(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{
		"POST /api/v1/bgp/import":          {200, `{"name":"table2010","routes":2}`},
		"DELETE /api/v1/bgp/imports/t.x-1": {200, `{"removed":"t.x-1"}`},
		"GET /api/v1/bgp/peers":            {200, `{"listen":"127.0.0.1:1179","asn":64500,"peers":[{"address":"127.0.0.1","asn":64501,"state":"established","uptime":"1m0s","received":4}]}`},
	})
	file := filepath.Join(t.TempDir(), "rib.txt")
	os.WriteFile(file, []byte("192.0.2.0/24 64496\n"), 0o644)
	expect(t, runCLI(f.env(), "bgp", "import", file, "--name", "table2010"), 0, "name    table2010\nroutes  2\n")
	if last := f.got[len(f.got)-1]; last.importName != "table2010" {
		t.Fatalf("import request %+v", last)
	}
	expect(t, runCLI(f.env(), "bgp", "unimport", "t.x-1"), 0, "removed the routes of import t.x-1\n")
	expect(t, runCLI(f.env(), "bgp", "peers"), 0, "listen  127.0.0.1:1179\nasn     64500\n\npeers:\n"+
		"ADDRESS    ASN    STATE        UPTIME  RECEIVED\n"+
		"127.0.0.1  64501  established  1m0s    4\n")
}
