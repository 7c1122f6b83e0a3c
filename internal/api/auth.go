package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/access"
)

// Tokens is what the API asks internal/access: who a bearer secret is, and
// the token management of the admin routes.
type Tokens interface {
	Authenticate(ctx context.Context, secret string) (access.Token, bool, error)
	List(ctx context.Context) ([]access.Token, error)
	Add(ctx context.Context, by, name string, role access.Role) (access.Token, string, error)
	Revoke(ctx context.Context, by, name string) error
	Flag(ctx context.Context, by, name string, flagged bool) error
}

// routeRoles is the least role that may call each route: method and chi
// pattern under /api/v1. A route missing here is refused to every token
// (TestEveryRouteHasARole walks the router so none is forgotten). HEAD is
// looked up as GET.
var routeRoles = map[string]access.Role{
	"GET /status":                access.ReadOnly,
	"GET /roas":                  access.ReadOnly,
	"GET /intents":               access.ReadOnly,
	"GET /history":               access.ReadOnly,
	"GET /bgp/routes":            access.ReadOnly,
	"GET /bgp/peers":             access.ReadOnly,
	"GET /bgp/analysis":          access.ReadOnly,
	"GET /bgp/suggestions":       access.ReadOnly,
	"GET /bgp/resilience":        access.ReadOnly,
	"GET /expiry":                access.ReadOnly,
	"GET /audits":                access.ReadOnly,
	"GET /rp/status":             access.ReadOnly,
	"GET /rp/vrps":               access.ReadOnly,
	"POST /roas/proposals":       access.Operator, // dry runs too: they read the live routes under load
	"POST /intents":              access.Operator,
	"DELETE /intents":            access.Operator,
	"POST /bgp/import":           access.Operator,
	"DELETE /bgp/imports/{name}": access.Operator,
	"POST /audits/{kind}":        access.Operator,
	"GET /rtr/waves":             access.ReadOnly,
	"POST /rtr/waves/rollback":   access.Operator, // back to the set every router had: always safe
	"POST /rtr/waves/promote":    access.Approver, // skips hold times (and with force the health checks)
	"GET /tokens":                access.Admin,
	"POST /tokens":               access.Admin,
	"DELETE /tokens/{name}":      access.Admin,
	"POST /tokens/{name}/flag":   access.Admin,
	"GET /changes":               access.ReadOnly,
	"GET /changes/{id}":          access.ReadOnly,
	"POST /changes/{id}/approve": access.Approver, // never the proposer's own token (proposal.Approve)
	"POST /changes/{id}/reject":  access.Approver,
	"POST /changes/revert":       access.Operator,
	// road as a delegated CA: the RFC 8183 requests and the lists are read,
	// adding and removing a parent or repository is the admin's.
	"GET /parents/request":   access.ReadOnly,
	"GET /parents":           access.ReadOnly,
	"POST /parents/{name}":   access.Admin,
	"DELETE /parents/{name}": access.Admin,
	"POST /parents/sync":     access.Operator,
	// Key rolls (RFC 6489, RFC 8183): new key material is the admin's.
	"GET /ca/roll":                   access.ReadOnly,
	"POST /ca/roll":                  access.Admin,
	"POST /ca/roll/activate":         access.Admin,
	"POST /identity/roll":            access.Admin,
	"POST /identity/activate":        access.Admin,
	"GET /repositories/request":      access.ReadOnly,
	"GET /repositories":              access.ReadOnly,
	"POST /repositories/{name}":      access.Admin,
	"DELETE /repositories/{name}":    access.Admin,
	"POST /publish/override":         access.Admin, // waives the publication invariants (recorded)
	"GET /children":                  access.ReadOnly,
	"POST /children":                 access.Admin,
	"PUT /children/{name}/resources": access.Admin,
	"DELETE /children/{name}":        access.Admin,
	"GET /publishers":                access.ReadOnly,
	"POST /publishers":               access.Admin,
	"DELETE /publishers/{name}":      access.Admin,
}

type identityKey struct{}

// identity is the token a request authenticated as.
func identity(ctx context.Context) access.Token {
	t, _ := ctx.Value(identityKey{}).(access.Token)
	return t
}

// authorize authenticates every request under routes (401 when the bearer
// secret is missing, unknown or revoked) and refuses it (403) when the
// route's role in routeRoles is above the token's. Paths no route matches go
// on to the 404 and 405 answers.
func (s *Server) authorize(routes chi.Routes) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, ok, err := s.authenticate(r)
			if err != nil {
				s.handle(func(*http.Request) (any, int, error) { return nil, 0, err })(w, r)
				return
			}
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="road"`)
				writeError(w, &StatusError{Status: http.StatusUnauthorized, Code: CodeUnauthorized,
					Message: "missing, unknown or revoked bearer token (the first admin token is road-data/admin.token)"})
				return
			}
			if key, found := routeKey(routes, r); found {
				if se := forbidden(tok, key); se != nil {
					writeError(w, se)
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, tok)))
		})
	}
}

// authenticate reads "Authorization: Bearer SECRET" (the scheme's case does
// not matter, RFC 9110 §11.1) and looks the secret up.
func (s *Server) authenticate(r *http.Request) (access.Token, bool, error) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return access.Token{}, false, nil
	}
	return s.tokens.Authenticate(r.Context(), secret)
}

// routeKey is "METHOD PATTERN" of the route r goes to, if any.
func routeKey(routes chi.Routes, r *http.Request) (string, bool) {
	path := chi.RouteContext(r.Context()).RoutePath
	if path == "" {
		path = r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	pattern := routes.Find(chi.NewRouteContext(), method, path)
	return method + " " + pattern, pattern != ""
}

// forbidden is the 403 answer when tok may not call the route key, else nil.
func forbidden(tok access.Token, key string) *StatusError {
	need, listed := routeRoles[key]
	if !listed {
		return &StatusError{Status: http.StatusForbidden, Code: CodeForbidden,
			Message: key + " has no role in the API's role table; no token may call it"}
	}
	if tok.Role.Allows(need) {
		return nil
	}
	return &StatusError{Status: http.StatusForbidden, Code: CodeForbidden,
		Message: fmt.Sprintf("token %s has role %s; %s needs the %s role", tok.Name, tok.Role, key, need),
		Details: map[string]string{"token": tok.Name, "role": string(tok.Role), "needed": string(need)}}
}

// actor names who made a change, for history: the token's name, with what
// the client says in X-Road-Actor as a remark beside it.
func actor(r *http.Request) string {
	name := identity(r.Context()).Name
	if says := remark(r.Header.Get("X-Road-Actor")); says != "" && says != name {
		return name + saysOpen + says + ")"
	}
	return name
}

const saysOpen = " (says: "

// remark is the X-Road-Actor header when it is short and printable, else "".
func remark(h string) string {
	h = strings.TrimSpace(h)
	if len(h) > 64 || strings.IndexFunc(h, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0 {
		return ""
	}
	return h
}

// splitActor reads a history actor back into the token name and the
// client's remark; older entries wrote "admin:REMARK".
func splitActor(s string) (name, says string) {
	if i := strings.Index(s, saysOpen); i > 0 && strings.HasSuffix(s, ")") {
		return s[:i], s[i+len(saysOpen) : len(s)-1]
	}
	if rest, ok := strings.CutPrefix(s, access.AdminName+":"); ok {
		return access.AdminName, rest
	}
	return s, ""
}

// tokenRoutes: adding, listing and revoking tokens (admin only).
func (s *Server) tokenRoutes(r chi.Router) {
	r.Get("/tokens", s.handle(func(r *http.Request) (any, int, error) {
		l, err := s.tokens.List(r.Context())
		out := &TokenList{Tokens: []TokenInfo{}}
		for _, t := range l {
			out.Tokens = append(out.Tokens, tokenInfo(t))
		}
		return out, http.StatusOK, err
	}))
	r.Post("/tokens", s.handle(func(r *http.Request) (any, int, error) {
		var req TokenRequest
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		role, err := access.ParseRole(req.Role)
		if err != nil {
			return nil, 0, err
		}
		t, secret, err := s.tokens.Add(r.Context(), identity(r.Context()).Name, req.Name, role)
		if err != nil {
			return nil, 0, err
		}
		return &NewToken{TokenInfo: tokenInfo(t), Secret: secret}, http.StatusCreated, nil
	}))
	r.Delete("/tokens/{name}", s.handle(func(r *http.Request) (any, int, error) {
		name := chi.URLParam(r, "name")
		return &TokenRevoked{Revoked: name}, http.StatusOK, s.tokens.Revoke(r.Context(), identity(r.Context()).Name, name)
	}))
	r.Post("/tokens/{name}/flag", s.handle(func(r *http.Request) (any, int, error) {
		var req TokenFlag
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		req.Name = chi.URLParam(r, "name")
		return &req, http.StatusOK, s.tokens.Flag(r.Context(), identity(r.Context()).Name, req.Name, req.Flagged)
	}))
}

func tokenInfo(t access.Token) TokenInfo {
	return TokenInfo{Name: t.Name, Role: string(t.Role), CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy, Flagged: t.Flagged}
}
