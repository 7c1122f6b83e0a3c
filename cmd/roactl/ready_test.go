package main

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestStatusReady: roactl status shows what /readyz answers, the verdict
// naming the failing parts and one line per part; -o json passes it on.
func TestStatusReady(t *testing.T) {
	body := `{"version":"0.1.0","started_at":"2026-01-02T00:00:00Z","now":"2026-01-02T01:00:00Z",` +
		`"ca":{"mode":"testbed","name":"road-ta","resources":["192.0.2.0/24"],"cert_not_after":"2027-01-02T00:00:00Z","roas":1,"manifest_next_update":"2026-01-03T00:00:00Z","tal":"road-data/road.tal"},` +
		`"publication":{"session":"5f0c","serial":12,"notification":"https://127.0.0.1:8443/rrdp/notification.xml","rsync_base":"rsync://127.0.0.1:8873/repo/","objects":7},` +
		`"ready":{"status":"not-ready","checks":[{"part":"listeners","ok":true,"message":"every listener is bound"},` +
		`{"part":"database","ok":true,"message":"a heartbeat write committed"},` +
		`{"part":"rp-own","ok":false,"reason":"rp-run-failed","message":"own: rp-run-failed: open road.tal: no such file\u001b[2J"},` +
		`{"part":"publication","ok":true,"message":"last published 2026-01-02T00:58:00Z"}]}}`
	f := newFakeAPI(t, map[string]answer{"GET /api/v1/status": {200, body}})
	expect(t, runCLI(f.env(), "status"), 0, ""+
		"version               0.1.0\n"+
		"started               2026-01-02T00:00:00Z\n"+
		"ready                 NO: rp-own\n"+
		"  listeners           ok: every listener is bound\n"+
		"  database            ok: a heartbeat write committed\n"+
		`  rp-own              NOT OK (rp-run-failed): own: rp-run-failed: open road.tal: no such file\x1b[2J`+"\n"+
		"  publication         ok: last published 2026-01-02T00:58:00Z\n"+
		"CA                    testbed road-ta, 1 ROAs, certificate not after 2027-01-02T00:00:00Z\n"+
		"resources             192.0.2.0/24\n"+
		"manifest next update  2026-01-03T00:00:00Z\n"+
		"TAL                   road-data/road.tal\n"+
		"publication           serial 12, session 5f0c, 7 objects, last change -\n"+
		"RRDP notification     https://127.0.0.1:8443/rrdp/notification.xml\n"+
		"rsync base            rsync://127.0.0.1:8873/repo/\n"+
		"RP                    not running\n"+
		"RTR                   not running\n")
	r := runCLI(f.env(), "status", "-o", "json")
	var got, want map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("-o json: %d %v\n%s", r.code, err, r.stdout)
	}
	json.Unmarshal([]byte(body), &want)
	if g, w := fmt.Sprint(got["ready"]), fmt.Sprint(want["ready"]); g != w {
		t.Fatalf("-o json ready:\n got %s\nwant %s", g, w)
	}
}
