package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/access"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/pubsrv"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updownsrv"
)

// quietBackend answers every call with an empty result and records the
// actors of the changes.
type quietBackend struct {
	actors []string
	quietParent
}

// quietParent is quietBackend's Parent.
type quietParent struct{}

func (quietParent) AddChild(_ context.Context, _, name string, _ []byte, _ string) (*updownsrv.Added, error) {
	return &updownsrv.Added{Child: updownsrv.ChildInfo{Name: name}, ParentResponse: []byte("<parent_response/>")}, nil
}
func (quietParent) Children(context.Context) ([]updownsrv.ChildInfo, error) { return nil, nil }
func (quietParent) SetChildResources(_ context.Context, _, name, _ string) (*updownsrv.ChildInfo, error) {
	return &updownsrv.ChildInfo{Name: name}, nil
}
func (quietParent) RemoveChild(context.Context, string, string) error { return nil }
func (quietParent) AddPublisher(_ context.Context, _, name string, _ []byte) (*pubsrv.Added, error) {
	return &pubsrv.Added{Publisher: pubsrv.PublisherInfo{Name: name}, RepositoryResponse: []byte("<repository_response/>")}, nil
}
func (quietParent) Publishers(context.Context) ([]pubsrv.PublisherInfo, error) { return nil, nil }
func (quietParent) RemovePublisher(context.Context, string, string) error      { return nil }

func (b *quietBackend) Status(context.Context) (*Status, error)            { return &Status{}, nil }
func (b *quietBackend) ROAs(context.Context) ([]proposal.ROAEntry, error)  { return nil, nil }
func (b *quietBackend) Intents(context.Context) ([]proposal.Intent, error) { return nil, nil }
func (b *quietBackend) RPVRPs(context.Context) ([]byte, error)             { return []byte(`{"roas":[]}`), nil }
func (b *quietBackend) RPStatus(context.Context) (*RPStatus, error)        { return &RPStatus{}, nil }
func (b *quietBackend) PublishOverride(_ context.Context, actor, _ string) error {
	b.actors = append(b.actors, actor)
	return nil
}
func (b *quietBackend) BGPPeers(context.Context) (*liveroutes.PeerList, error) {
	return &liveroutes.PeerList{}, nil
}
func (b *quietBackend) Propose(_ context.Context, actor string, _ *proposal.Request) (*proposal.Result, error) {
	b.actors = append(b.actors, actor)
	return &proposal.Result{}, nil
}
func (b *quietBackend) AddIntent(_ context.Context, actor string, _ *proposal.Intent) error {
	b.actors = append(b.actors, actor)
	return nil
}
func (b *quietBackend) RemoveIntent(_ context.Context, actor string, _ *proposal.Intent) error {
	b.actors = append(b.actors, actor)
	return nil
}
func (b *quietBackend) History(context.Context, int) ([]proposal.HistoryEntry, error) {
	return []proposal.HistoryEntry{{ID: 3, Actor: "ops (says: alice)"}, {ID: 2, Actor: "admin:bob"}, {ID: 1, Actor: "road"}}, nil
}
func (b *quietBackend) BGPRoutes(context.Context, string, int) (*liveroutes.RouteList, error) {
	return &liveroutes.RouteList{}, nil
}
func (b *quietBackend) BGPImport(_ context.Context, actor, _ string, body io.Reader) (*liveroutes.ImportResult, error) {
	b.actors = append(b.actors, actor)
	_, err := io.Copy(io.Discard, body)
	return &liveroutes.ImportResult{}, err
}
func (b *quietBackend) BGPRemoveImport(_ context.Context, actor, _ string) error {
	b.actors = append(b.actors, actor)
	return nil
}
func (b *quietBackend) BGPAnalysis(context.Context) (conflict.Analysis, error) {
	return conflict.Analysis{}, nil
}
func (b *quietBackend) BGPSuggestions(context.Context) (conflict.Suggestion, error) {
	return conflict.Suggestion{}, nil
}
func (b *quietBackend) BGPResilience(context.Context) (impact.Resilience, error) {
	return impact.Resilience{}, nil
}
func (b *quietBackend) Expiry(context.Context, time.Duration) (*audit.ExpiryList, error) {
	return &audit.ExpiryList{}, nil
}
func (b *quietBackend) RunAudit(_ context.Context, kind string) (*audit.Result, error) {
	return &audit.Result{Kind: kind}, nil
}
func (b *quietBackend) Audits(context.Context, string, int) ([]audit.Result, error) { return nil, nil }
func (b *quietBackend) RTRWaves(context.Context) (*RTRWaves, error)                 { return &RTRWaves{}, nil }
func (b *quietBackend) RTRPromote(_ context.Context, actor string, _ bool) (*RTRWaves, error) {
	b.actors = append(b.actors, actor)
	return &RTRWaves{}, nil
}
func (b *quietBackend) RTRRollback(_ context.Context, actor string) (*RTRWaves, error) {
	b.actors = append(b.actors, actor)
	return &RTRWaves{}, nil
}
func (b *quietBackend) Changes(context.Context, string, int) ([]proposal.ChangeInfo, error) {
	return nil, nil
}
func (b *quietBackend) Change(_ context.Context, id int64) (*proposal.ChangeInfo, error) {
	return &proposal.ChangeInfo{ID: id}, nil
}
func (b *quietBackend) Approve(_ context.Context, by proposal.Actor, _ int64, _ proposal.Decision) (*proposal.Result, error) {
	b.actors = append(b.actors, by.Name)
	return &proposal.Result{Applied: true}, nil
}
func (b *quietBackend) Reject(_ context.Context, by proposal.Actor, id int64, _ string) (*proposal.ChangeInfo, error) {
	b.actors = append(b.actors, by.Name)
	return &proposal.ChangeInfo{ID: id}, nil
}
func (b *quietBackend) Revert(_ context.Context, actor string, _ *proposal.RevertRequest) (*proposal.Result, error) {
	b.actors = append(b.actors, actor)
	return &proposal.Result{Applied: true}, nil
}

// call is one request of every route: its path, body and the status an
// allowed token gets from quietBackend.
type call struct {
	path, body string
	status     int
}

// calls has one request per route of routeRoles; TestEveryRouteHasARole
// checks it covers every route of the router.
var calls = map[string]call{
	"GET /status":                    {"/status", "", 200},
	"GET /roas":                      {"/roas", "", 200},
	"GET /intents":                   {"/intents", "", 200},
	"GET /history":                   {"/history", "", 200},
	"GET /bgp/routes":                {"/bgp/routes", "", 200},
	"GET /bgp/peers":                 {"/bgp/peers", "", 200},
	"GET /bgp/analysis":              {"/bgp/analysis", "", 200},
	"GET /bgp/suggestions":           {"/bgp/suggestions", "", 200},
	"GET /bgp/resilience":            {"/bgp/resilience", "", 200},
	"GET /expiry":                    {"/expiry", "", 200},
	"GET /audits":                    {"/audits", "", 200},
	"GET /rp/status":                 {"/rp/status", "", 200},
	"GET /rp/vrps":                   {"/rp/vrps", "", 200},
	"POST /roas/proposals":           {"/roas/proposals", `{"add":[],"remove":[]}`, 200},
	"POST /intents":                  {"/intents", `{"prefix":"192.0.2.0/24","origin":64496}`, 201},
	"DELETE /intents":                {"/intents", `{"prefix":"192.0.2.0/24","origin":64496}`, 200},
	"POST /bgp/import":               {"/bgp/import", "192.0.2.0/24 64496\n", 200},
	"DELETE /bgp/imports/{name}":     {"/bgp/imports/rib", "", 200},
	"POST /audits/{kind}":            {"/audits/expiry", "", 200},
	"GET /rtr/waves":                 {"/rtr/waves", "", 200},
	"POST /rtr/waves/promote":        {"/rtr/waves/promote", "", 200},
	"POST /rtr/waves/rollback":       {"/rtr/waves/rollback", "", 200},
	"GET /tokens":                    {"/tokens", "", 200},
	"POST /tokens":                   {"/tokens", `{"name":"added","role":"read-only"}`, 201},
	"DELETE /tokens/{name}":          {"/tokens/victim", "", 200},
	"GET /parents/request":           {"/parents/request", "", 200},
	"GET /parents":                   {"/parents", "", 200},
	"POST /parents/{name}":           {"/parents/A", `{"xml":"<parent_response/>"}`, 201},
	"DELETE /parents/{name}":         {"/parents/A", "", 200},
	"POST /parents/sync":             {"/parents/sync", "{}", 200},
	"GET /ca/roll":                   {"/ca/roll", "", 200},
	"POST /ca/roll":                  {"/ca/roll", "{}", 200},
	"POST /ca/roll/activate":         {"/ca/roll/activate", "{}", 200},
	"POST /identity/roll":            {"/identity/roll", "{}", 200},
	"POST /identity/activate":        {"/identity/activate", "{}", 200},
	"GET /repositories/request":      {"/repositories/request", "", 200},
	"GET /repositories":              {"/repositories", "", 200},
	"POST /repositories/{name}":      {"/repositories/A", `{"xml":"<repository_response/>"}`, 201},
	"DELETE /repositories/{name}":    {"/repositories/A", "", 200},
	"POST /publish/override":         {"/publish/override", `{"reason":"test"}`, 200},
	"POST /tokens/{name}/flag":       {"/tokens/read-only/flag", `{"flagged":true}`, 200},
	"GET /changes":                   {"/changes", "", 200},
	"GET /changes/{id}":              {"/changes/1", "", 200},
	"POST /changes/{id}/approve":     {"/changes/1/approve", `{}`, 200},
	"POST /changes/{id}/reject":      {"/changes/1/reject", `{}`, 200},
	"POST /changes/revert":           {"/changes/revert", `{"last":1}`, 200},
	"GET /children":                  {"/children", "", 200},
	"POST /children":                 {"/children", `{"name":"B","request":"<x/>","resources":"192.0.2.0/25"}`, 201},
	"PUT /children/{name}/resources": {"/children/B/resources", `{"resources":"192.0.2.0/25"}`, 200},
	"DELETE /children/{name}":        {"/children/B", "", 200},
	"GET /publishers":                {"/publishers", "", 200},
	"POST /publishers":               {"/publishers", `{"name":"B","request":"<x/>"}`, 201},
	"DELETE /publishers/{name}":      {"/publishers/B", "", 200},
}

type authFixture struct {
	srv     *httptest.Server
	router  chi.Router
	backend *quietBackend
	tokens  *access.Service
	secrets map[access.Role]string // one token per role, named after it
}

const adminSecret = "the-admin-secret"

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens, err := access.Open(ctx, st, nil, adminSecret)
	if err != nil {
		t.Fatal(err)
	}
	f := &authFixture{backend: &quietBackend{}, tokens: tokens, secrets: map[access.Role]string{access.Admin: adminSecret}}
	for _, role := range []access.Role{access.ReadOnly, access.Operator, access.Approver} {
		if _, f.secrets[role], err = tokens.Add(ctx, "admin", string(role), role); err != nil {
			t.Fatal(err)
		}
	}
	f.router = chi.NewRouter()
	NewServer(f.backend, tokens, nil).Routes(f.router)
	f.srv = httptest.NewServer(f.router)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *authFixture) do(t *testing.T, method, path, auth, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+"/api/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// walk lists "METHOD PATTERN" (under /api/v1) of every route of the router.
func walk(t *testing.T, r chi.Router) []string {
	t.Helper()
	var out []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		p, ok := strings.CutPrefix(route, "/api/v1")
		if !ok {
			t.Errorf("route %s %s outside /api/v1", method, route)
		}
		out = append(out, method+" "+p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryRouteHasARole walks the router: every route is in routeRoles
// (and the role table has no route the router lacks), and every route but
// GET refuses a read-only token with 403 naming the role it needs.
func TestEveryRouteHasARole(t *testing.T) {
	f := newAuthFixture(t)
	routes := walk(t, f.router)
	if len(routes) != len(routeRoles) {
		t.Errorf("the router has %d routes, the role table %d", len(routes), len(routeRoles))
	}
	for _, key := range routes {
		need, ok := routeRoles[key]
		if !ok {
			t.Errorf("%s is not in routeRoles", key)
			continue
		}
		c, ok := calls[key]
		if !ok {
			t.Errorf("%s has no request in calls", key)
			continue
		}
		method, _, _ := strings.Cut(key, " ")
		status, body := f.do(t, method, c.path, "Bearer "+f.secrets[access.ReadOnly], c.body)
		if method == http.MethodGet && need == access.ReadOnly {
			if status != c.status {
				t.Errorf("%s: read-only got %d, want %d", key, status, c.status)
			}
			continue
		}
		want := `{"error":{"code":"forbidden","message":"token read-only has role read-only; ` + key + ` needs the ` +
			string(need) + ` role","details":{"needed":"` + string(need) + `","role":"read-only","token":"read-only"}}}`
		if method == http.MethodGet && need != access.Admin {
			t.Errorf("%s: a read other than token management needs %s", key, need)
		}
		if status != http.StatusForbidden || compact(t, body) != want {
			t.Errorf("%s: read-only got %d %s\nwant 403 %s", key, status, body, want)
		}
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return b.String()
}

// TestRolesStatusCodes: every role against every route, exact statuses.
func TestRolesStatusCodes(t *testing.T) {
	f := newAuthFixture(t)
	for _, role := range access.Roles {
		if _, _, err := f.tokens.Add(context.Background(), "admin", "victim", access.ReadOnly); err != nil {
			t.Fatal(err)
		}
		for key, c := range calls {
			method, _, _ := strings.Cut(key, " ")
			want := http.StatusForbidden
			if role.Allows(routeRoles[key]) {
				want = c.status
			}
			if status, body := f.do(t, method, c.path, "Bearer "+f.secrets[role], c.body); status != want {
				t.Errorf("%s %s: %d %s, want %d", role, key, status, body, want)
			}
		}
		if role != access.Admin {
			if err := f.tokens.Revoke(context.Background(), "admin", "victim"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// what the admin did
	l, _ := f.tokens.List(context.Background())
	var names []string
	for _, tk := range l {
		names = append(names, tk.Name+"="+string(tk.Role)+" by "+tk.CreatedBy)
	}
	if got := strings.Join(names, ", "); got != "added=read-only by admin, admin=admin by road, approver=approver by admin, "+
		"operator=operator by admin, read-only=read-only by admin" {
		t.Errorf("tokens: %s", got)
	}
}

func TestUnauthorized(t *testing.T) {
	f := newAuthFixture(t)
	ctx := context.Background()
	_, secret, err := f.tokens.Add(ctx, "admin", "gone", access.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := f.do(t, "GET", "/status", "Bearer "+secret, ""); status != 200 {
		t.Fatalf("before revoke: %d", status)
	}
	if err := f.tokens.Revoke(ctx, "admin", "gone"); err != nil {
		t.Fatal(err)
	}
	want401 := `{"error":{"code":"unauthorized","message":"missing, unknown or revoked bearer token (the first admin token is road-data/admin.token)"}}`
	for _, auth := range []string{"", "Bearer", "Bearer ", "Basic " + adminSecret, "Bearer wrong", "Bearer " + secret, adminSecret,
		"Bearer " + adminSecret + "x"} {
		status, body := f.do(t, "GET", "/status", auth, "")
		if status != http.StatusUnauthorized || compact(t, body) != want401 {
			t.Errorf("%q: %d %s", auth, status, body)
		}
	}
	for _, auth := range []string{"bearer " + adminSecret, "BEARER " + adminSecret, "Bearer  " + adminSecret + " "} {
		if status, body := f.do(t, "GET", "/status", auth, ""); status != 200 {
			t.Errorf("%q: %d %s", auth, status, body)
		}
	}
	// Unknown paths: 401 without a token, 404 with any valid one.
	if status, _ := f.do(t, "GET", "/nope", "", ""); status != 401 {
		t.Errorf("unknown path without a token: %d", status)
	}
	if status, _ := f.do(t, "GET", "/nope", "Bearer "+f.secrets[access.ReadOnly], ""); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
	if status, _ := f.do(t, "PUT", "/roas", "Bearer "+f.secrets[access.ReadOnly], ""); status != 405 {
		t.Errorf("unknown method: %d", status)
	}
}

// TestActorIsTheTokenName: history records the token's name; X-Road-Actor
// is a remark beside it, shown in history's actor_remark.
func TestActorIsTheTokenName(t *testing.T) {
	f := newAuthFixture(t)
	op := "Bearer " + f.secrets[access.Operator]
	f.do(t, "POST", "/intents", op, calls["POST /intents"].body, "X-Road-Actor", "alice")
	f.do(t, "POST", "/roas/proposals", op, calls["POST /roas/proposals"].body)
	f.do(t, "DELETE", "/bgp/imports/rib", op, "", "X-Road-Actor", "operator")
	f.do(t, "DELETE", "/intents", op, calls["DELETE /intents"].body, "X-Road-Actor", "bad\tremark")
	f.do(t, "POST", "/bgp/import", "Bearer "+adminSecret, "", "X-Road-Actor", strings.Repeat("x", 65))
	want := []string{"operator (says: alice)", "operator", "operator", "operator", "admin"}
	if strings.Join(f.backend.actors, "|") != strings.Join(want, "|") {
		t.Errorf("actors %q, want %q", f.backend.actors, want)
	}
	_, body := f.do(t, "GET", "/history", op, "")
	var h HistoryList
	json.Unmarshal([]byte(body), &h)
	got := ""
	for _, e := range h.Entries {
		got += e.Actor + "/" + e.ActorRemark + " "
	}
	if got != "ops/alice admin/bob road/ " || !strings.Contains(body, `"actor": "ops",`) ||
		strings.Count(body, "actor_remark") != 2 {
		t.Errorf("history %q\n%s", got, body)
	}
}

// TestTokenRoutes: add, list and revoke through the REST routes.
func TestTokenRoutes(t *testing.T) {
	f := newAuthFixture(t)
	admin := "Bearer " + adminSecret
	status, body := f.do(t, "POST", "/tokens", admin, `{"name":"monitor","role":"read-only"}`)
	var nt NewToken
	if err := json.Unmarshal([]byte(body), &nt); status != 201 || err != nil || nt.Name != "monitor" ||
		nt.Role != "read-only" || nt.CreatedBy != "admin" || !strings.HasPrefix(nt.Secret, "road_") {
		t.Fatalf("add: %d %s", status, body)
	}
	if status, _ := f.do(t, "GET", "/roas", "Bearer "+nt.Secret, ""); status != 200 {
		t.Errorf("new token: %d", status)
	}
	for _, c := range []struct{ body, want string }{
		{`{"name":"monitor","role":"read-only"}`, `409 {"error":{"code":"conflict","message":"token monitor exists; revoke it first to replace it"}}`},
		{`{"name":"x","role":"root"}`, `400 {"error":{"code":"bad-request","message":"role \"root\": want one of read-only, operator, approver, admin"}}`},
		{`{"name":"x"}`, `400 {"error":{"code":"bad-request","message":"role \"\": want one of read-only, operator, approver, admin"}}`},
		{`{"name":"x","role":"admin","secret":"mine"}`, `400 {"error":{"code":"bad-request","message":"request body: json: unknown field \"secret\""}}`},
	} {
		status, body := f.do(t, "POST", "/tokens", admin, c.body)
		if got := fmt.Sprintf("%d %s", status, compact(t, body)); got != c.want {
			t.Errorf("%s: %s\nwant %s", c.body, got, c.want)
		}
	}
	status, body = f.do(t, "GET", "/tokens", admin, "")
	if status != 200 || strings.Contains(body, "secret") || strings.Contains(body, nt.Secret) ||
		!strings.Contains(body, `"name": "monitor",`) {
		t.Errorf("list: %d %s", status, body)
	}
	if status, body := f.do(t, "DELETE", "/tokens/monitor", admin, ""); status != 200 || compact(t, body) != `{"revoked":"monitor"}` {
		t.Errorf("revoke: %d %s", status, body)
	}
	if status, _ := f.do(t, "GET", "/roas", "Bearer "+nt.Secret, ""); status != 401 {
		t.Errorf("revoked token: %d", status)
	}
	if status, body := f.do(t, "DELETE", "/tokens/monitor", admin, ""); status != 404 ||
		compact(t, body) != `{"error":{"code":"not-found","message":"no token monitor"}}` {
		t.Errorf("revoke again: %d %s", status, body)
	}
	if status, _ := f.do(t, "DELETE", "/tokens/admin", admin, ""); status != 409 {
		t.Errorf("revoke admin: %d", status)
	}
}
