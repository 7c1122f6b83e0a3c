package main

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/proposal"
)

func (b *stubBackend) ROAs(context.Context) ([]proposal.ROAEntry, error) { return nil, nil }

// TestTokensAgainstRealServer: token add prints the secret alone on the
// last line, the new token works with its role, list never shows secrets,
// revoke makes it 401; all with exact outputs and exit codes.
func TestTokensAgainstRealServer(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	r := chi.NewRouter()
	b := &stubBackend{}
	api.NewServer(b, realTokens(t, "tok", func() time.Time { return t0 }), nil).Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	as := func(token string) func(string) string {
		return func(k string) string { return map[string]string{"ROAD_SERVER": srv.URL, "ROAD_TOKEN": token}[k] }
	}
	res := runCLI(as("tok"), "token", "add", "monitor", "--role", "read-only")
	m := regexp.MustCompile(`^token monitor \(read-only\) created; its secret, shown only now:\n(road_[A-Za-z0-9_-]{43})\n$`).
		FindStringSubmatch(res.stdout)
	if res.code != 0 || m == nil {
		t.Fatalf("add: %+v", res)
	}
	// what the acceptance script does: grep -oE '[A-Za-z0-9_-]{20,}' | tail -1
	runs := regexp.MustCompile(`[A-Za-z0-9_-]{20,}`).FindAllString(res.stdout, -1)
	if secret := m[1]; runs[len(runs)-1] != secret {
		t.Fatalf("the last long run is %q, not the secret", runs[len(runs)-1])
	}
	mon := as(m[1])
	expect(t, runCLI(mon, "roa", "list"), 0, "no ROAs\n")
	res = runCLI(mon, "roa", "add", "192.0.2.0/24 => AS64496")
	if res.code != 2 || res.stderr != "roactl: server refused (403 forbidden): token monitor has role read-only; "+
		"POST /roas/proposals needs the operator role (details: {\"needed\":\"operator\",\"role\":\"read-only\",\"token\":\"monitor\"})\n" ||
		len(b.proposals) != 0 {
		t.Fatalf("read-only roa add: %+v, backend saw %v", res, b.proposals)
	}
	if res := runCLI(mon, "token", "list"); res.code != 2 || !strings.Contains(res.stderr, "403 forbidden") {
		t.Fatalf("read-only token list: %+v", res)
	}

	expect(t, runCLI(as("tok"), "token", "list"), 0, ""+
		"NAME     ROLE       CREATED               CREATED-BY\n"+
		"admin    admin      2026-03-04T05:06:07Z  road\n"+
		"monitor  read-only  2026-03-04T05:06:07Z  admin\n")
	res = runCLI(as("tok"), "token", "list", "-o", "json")
	if res.code != 0 || strings.Contains(res.stdout, "secret") || !strings.Contains(res.stdout, `"created_by": "admin"`) {
		t.Fatalf("list json: %+v", res)
	}
	res = runCLI(as("tok"), "-o", "json", "token", "add", "ops", "--role", "operator")
	if res.code != 0 || !regexp.MustCompile(`"secret": "road_[A-Za-z0-9_-]{43}"`).MatchString(res.stdout) {
		t.Fatalf("add json: %+v", res)
	}
	expect(t, runCLI(as("tok"), "token", "revoke", "monitor"), 0, "revoked token monitor\n")
	res = runCLI(mon, "roa", "list")
	if res.code != 2 || !strings.Contains(res.stderr, "401 unauthorized") {
		t.Fatalf("revoked: %+v", res)
	}
	expect(t, runCLI(as("tok"), "token", "revoke", "monitor", "-o", "json"), 2, "")
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"token", "add", "x"}, "roactl: token add needs --role read-only|operator|approver|admin\n"},
		{[]string{"token", "add", "x", "--role", "root"}, "roactl: --role \"root\": want read-only, operator, approver or admin\n"},
		{[]string{"token", "add"}, "roactl: usage: roactl token add NAME --role read-only|operator|approver|admin\n"},
		{[]string{"token", "revoke"}, "roactl: usage: roactl token revoke NAME\n"},
	} {
		if res := runCLI(as("tok"), c.args...); res.code != 2 || res.stderr != c.err {
			t.Errorf("%q: %+v", c.args, res)
		}
	}
}

// TestHistoryActorRemark: the table shows the client's remark beside the
// token name.
func TestHistoryActorRemark(t *testing.T) {
	f := newFakeAPI(t, map[string]answer{"GET /api/v1/history": {200, `{"entries":[` +
		`{"id":2,"at":"2026-03-04T05:06:07Z","actor":"ops","actor_remark":"alice","action":"intent-add","summary":"intent 192.0.2.0/24 AS64496"},` +
		`{"id":1,"at":"2026-03-04T05:06:07Z","actor":"road","action":"init","summary":"created"}]}`}})
	expect(t, runCLI(f.env(), "history"), 0, ""+
		"ID  AT                    ACTOR              ACTION      SUMMARY\n"+
		"2   2026-03-04T05:06:07Z  ops (says: alice)  intent-add  intent 192.0.2.0/24 AS64496\n"+
		"1   2026-03-04T05:06:07Z  road               init        created\n")
}
