package main

import (
	"strings"
	"testing"
)

const auditWarnAnswer = `{"id":9,"kind":"expiry","started_at":"2026-03-04T05:06:07Z","finished_at":"2026-03-04T05:06:07Z","ok":false,` +
	`"summary":"1 expiring","finding_count":1,"findings":[{"code":"expiring","severity":"warn","subject":"rsync://h/repo/ca/a.mft",` +
	`"expires":"2026-03-05T05:06:07Z","message":"a.mft expires in 24h"}]}`

// TestCheckExitCodes: audit run and rp status exit 5 when they find a
// problem, 0 when not, with either output format; the answer is printed
// either way.
func TestCheckExitCodes(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{
		"POST /api/v1/audits/expiry": {200, auditWarnAnswer},
		"POST /api/v1/audits/bgp": {200, `{"id":10,"kind":"bgp","started_at":"2026-03-04T05:06:07Z","finished_at":"2026-03-04T05:06:07Z",` +
			`"ok":true,"summary":"fine","finding_count":0}`},
		"POST /api/v1/audits/consistency": {200, `{"id":11,"kind":"consistency","ok":false,"summary":"cut","finding_count":3,` +
			`"findings":[{"code":"x","severity":"info","message":"m"}],"truncated":true}`},
	})
	r := runCLI(f.env(), "audit", "run", "expiry")
	expect(t, r, 5, ""+
		"id             9\n"+
		"kind           expiry\n"+
		"started_at     2026-03-04T05:06:07Z\n"+
		"finished_at    2026-03-04T05:06:07Z\n"+
		"ok             false\n"+
		"summary        1 expiring\n"+
		"finding_count  1\n"+
		"\n"+
		"findings:\n"+
		"CODE      SEVERITY  SUBJECT                  EXPIRES               MESSAGE\n"+
		"expiring  warn      rsync://h/repo/ca/a.mft  2026-03-05T05:06:07Z  a.mft expires in 24h\n")
	if r.stderr != "roactl: the expiry audit found 1 problem(s)\n" {
		t.Fatalf("stderr %q", r.stderr)
	}
	r = runCLI(f.env(), "audit", "run", "expiry", "-o", "json")
	if r.code != 5 || !strings.HasPrefix(r.stdout, "{\n  \"id\": 9,\n") || r.stderr != "roactl: the expiry audit found 1 problem(s)\n" {
		t.Fatalf("json: %+v", r)
	}
	if r = runCLI(f.env(), "audit", "run", "bgp"); r.code != 0 || r.stderr != "" {
		t.Fatalf("no findings: %+v", r)
	}
	// Two findings the server cut off: their severity is unknown, so they count.
	if r = runCLI(f.env(), "audit", "run", "consistency"); r.code != 5 || r.stderr != "roactl: the consistency audit found 2 problem(s)\n" {
		t.Fatalf("truncated: %+v", r)
	}
}

func TestRPStatusExitCodes(t *testing.T) {
	for _, c := range []struct {
		name, body string
		code       int
		stderr     string
	}{
		{"ok", `{"last_run":"2026-03-04T05:06:07Z","runs":3,"vrps":2,"rejected":0,"ok":true,"degraded":false}`, 0, ""},
		{"degraded", `{"last_run":"2026-03-04T05:06:07Z","runs":3,"vrps":1,"rejected":0,"ok":false,"degraded":true,"reason":"rp-vrp-loss","error":"lost 50% of the VRPs"}`,
			5, "roactl: the relying party is degraded (rp-vrp-loss): RTR serves its last good view\n"},
		{"failed", `{"last_run":"2026-03-04T05:06:07Z","runs":1,"ok":false,"degraded":false,"reason":"rp-run-failed","error":"fetch failed"}`,
			5, "roactl: the relying party's last run failed (rp-run-failed)\n"},
		{"not yet", `{"runs":0,"vrps":0,"rejected":0,"ok":false,"degraded":false}`, 5, "roactl: the relying party has not run yet\n"},
		{"missing", `{"last_run":"2026-03-04T05:06:07Z","runs":2,"vrps":1,"rejected":0,"ok":false,"missing":["192.0.2.0/24 => AS64496"],"degraded":false}`,
			5, "roactl: the relying party did not validate exactly the configured ROAs (1 missing, 0 extra, 0 rejected)\n"},
		{"global", `{"last_run":"2026-03-04T05:06:07Z","runs":2,"vrps":2,"ok":true,"degraded":false,"global":{"tals":["ripe.tal"],"runs":1,"degraded":true,"reason":"rp-ta-failed"}}`,
			5, "roactl: the configured TALs' feed is degraded (rp-ta-failed)\n"},
	} {
		f := newFakeAPI(t, map[string]answer{"GET /api/v1/rp/status": {200, c.body}})
		for _, args := range [][]string{{"rp", "status"}, {"rp", "status", "-o", "json"}} {
			r := runCLI(f.env(), args...)
			if r.code != c.code || r.stderr != c.stderr || r.stdout == "" {
				t.Errorf("%s %v: exit %d stderr %q stdout %q", c.name, args, r.code, r.stderr, r.stdout)
			}
		}
	}
	f := newFakeAPI(t, map[string]answer{"GET /api/v1/rp/status": {200, `{"last_run":"2026-03-04T05:06:07Z","runs":3,"vrps":2,"rejected":0,"ok":true,"degraded":false}`}})
	expect(t, runCLI(f.env(), "rp", "status"), 0, ""+
		"last_run  2026-03-04T05:06:07Z\n"+
		"runs      3\n"+
		"vrps      2\n"+
		"rejected  0\n"+
		"ok        true\n"+
		"degraded  false\n")
	// An answer that is not the status JSON is shown and is an error.
	f.answers["GET /api/v1/rp/status"] = answer{200, `["what"]`}
	r := runCLI(f.env(), "rp", "status")
	if r.code != 1 || r.stdout != "what\n" || !strings.Contains(r.stderr, "not the expected JSON") {
		t.Fatalf("unexpected JSON: %+v", r)
	}
}
