package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain note, 192.0.2.0/24": "plain note, 192.0.2.0/24",
		"é ü 日本 \ufffd":            "é ü 日本 \ufffd",
		"\x1b[2J\x1b]0;owned\a":    `\x1b[2J\x1b]0;owned\x07`,
		"two\nlines\tand\r":        `two\nlines\tand\r`,
		"del\x7f c1\u009b31m":      `del\x7f c1\u009b31m`,
		"bidi \u202egnp.exe":       `bidi \u202egnp.exe`,
		"line\u2028sep":            `line\u2028sep`,
		"bad \xff\xfe utf8":        `bad \xff\xfe utf8`,
	} {
		if got := safe(in); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := safeText("a\tb\n\x1b[1m"); got != "a\tb\n\\x1b[1m" {
		t.Errorf("safeText keeps the layout: %q", got)
	}
	// safeJSON keeps the value: the escaped text decodes to the same string.
	in := "{\"note\": \"c1\u009b31m del\x7f \u202e bad\xff\"}"
	got := safeJSON(in)
	if got != `{"note": "c1\u009b31m del\u007f \u202e bad\ufffd"}` {
		t.Fatalf("safeJSON %q", got)
	}
	var a, b map[string]string
	if json.Unmarshal([]byte(in), &a) != nil || json.Unmarshal([]byte(got), &b) != nil || a["note"] != b["note"] {
		t.Fatalf("values differ: %q %q", a, b)
	}
}

// TestServerStringsEscaped: notes, messages, actors and reasons the server
// sends reach the terminal escaped in every table; -o json stays exact JSON.
func TestServerStringsEscaped(t *testing.T) {
	intents := `{"intents":[{"prefix":"192.0.2.0/24","origin":64496,"note":"\u001b[31mred\u001b[0m\nsecond line","created_at":"2026-01-02T03:04:05Z"}]}`
	f := newFakeAPI(t, map[string]answer{
		"GET /api/v1/intents": {200, intents},
		"GET /api/v1/history": {200, `{"entries":[{"id":1,"at":"2026-01-02T03:04:05Z","actor":"admin:` + "\u009b" + `2J","action":"roa-change",` +
			`"summary":"1 ROA(s) added","forced":true,"reason":"\u001b]0;title\u0007"}]}`},
		"POST /api/v1/roas/proposals": {200, `{"applied":true,"findings":[{"kind":"unseen","severity":"info","message":"\u202eevil"}],` +
			`"added":[{"prefix":"192.0.2.0/24","asn":64496}],"serial":2}`},
		"GET /api/v1/bgp/peers": {200, `{"peers":[{"address":"127.0.0.1","description":"\u001b[5mblink"}]}`},
		"POST /api/v1/intents":  {409, `{"error":{"code":"conflict","message":"no \u001b[2J way"}}`},
	})
	expect(t, runCLI(f.env(), "intent", "list"), 0, ""+
		"PREFIX        ORIGIN   NOTE                             CREATED\n"+
		`192.0.2.0/24  AS64496  \x1b[31mred\x1b[0m\nsecond line  2026-01-02T03:04:05Z`+"\n")
	expect(t, runCLI(f.env(), "history"), 0, ""+
		"ID  AT                    ACTOR           ACTION      SUMMARY\n"+
		`1   2026-01-02T03:04:05Z  admin:\u009b2J  roa-change  1 ROA(s) added [forced: \x1b]0;title\x07]`+"\n")
	expect(t, runCLI(f.env(), "roa", "add", "192.0.2.0/24 => AS64496"), 0, ""+
		"SEVERITY  KIND    MESSAGE\n"+
		`info      unseen  \u202eevil`+"\n"+
		"result: applied, added 1 and removed 0 ROA(s), RRDP serial 2\n")
	expect(t, runCLI(f.env(), "bgp", "peers"), 0, ""+
		"ADDRESS    DESCRIPTION\n"+
		`127.0.0.1  \x1b[5mblink`+"\n")
	r := runCLI(f.env(), "intent", "add", "192.0.2.0/24", "AS64496")
	if r.code != 2 || r.stderr != `roactl: server refused (409 conflict): no \x1b[2J way`+"\n" {
		t.Fatalf("error message: %+v", r)
	}
	// JSON: the server's escapes stay as they came; the raw C1 character in
	// the actor becomes \u009b; both decode to the server's strings.
	r = runCLI(f.env(), "intent", "list", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"note": "\u001b[31mred\u001b[0m\nsecond line"`) {
		t.Fatalf("json intents: %+v", r)
	}
	r = runCLI(f.env(), "history", "-o", "json")
	var h struct {
		Entries []struct{ Actor, Reason string }
	}
	if r.code != 0 || !strings.Contains(r.stdout, `"actor": "admin:\u009b2J"`) || json.Unmarshal([]byte(r.stdout), &h) != nil ||
		h.Entries[0].Actor != "admin:\u009b2J" || h.Entries[0].Reason != "\x1b]0;title\a" {
		t.Fatalf("json history: %+v", r)
	}
	if strings.ContainsAny(r.stdout, "\x1b\u009b\a") {
		t.Fatalf("control characters in the JSON output: %q", r.stdout)
	}
}
