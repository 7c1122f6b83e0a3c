package access

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
)

var t0 = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRoles(t *testing.T) {
	for _, c := range []struct {
		have, need Role
		ok         bool
	}{
		{ReadOnly, ReadOnly, true}, {ReadOnly, Operator, false}, {Operator, ReadOnly, true},
		{Operator, Approver, false}, {Approver, Operator, true}, {Approver, Admin, false},
		{Admin, Admin, true}, {Admin, Role("root"), false}, {Role("root"), ReadOnly, false},
	} {
		if got := c.have.Allows(c.need); got != c.ok {
			t.Errorf("%s allows %s: %v", c.have, c.need, got)
		}
	}
	if _, err := ParseRole("readonly"); err == nil ||
		err.Error() != `bad-request: role "readonly": want one of read-only, operator, approver, admin` {
		t.Errorf("ParseRole: %v", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	clock := func() time.Time { return t0 }
	s, err := Open(ctx, st, clock, "first-admin-secret")
	if err != nil {
		t.Fatal(err)
	}
	check := func(secret string, want Token, wantOK bool) {
		t.Helper()
		got, ok, err := s.Authenticate(ctx, secret)
		if err != nil || ok != wantOK || got != want {
			t.Errorf("authenticate %q: %+v %v %v", secret, got, ok, err)
		}
	}
	admin := Token{Name: "admin", Role: Admin, CreatedAt: t0, CreatedBy: "road"}
	check("first-admin-secret", admin, true)
	check("wrong", Token{}, false)
	check("", Token{}, false)

	mon, secret, err := s.Add(ctx, "admin", "monitor", ReadOnly)
	if err != nil || mon != (Token{Name: "monitor", Role: ReadOnly, CreatedAt: t0, CreatedBy: "admin"}) ||
		!regexp.MustCompile(`^road_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Fatalf("add: %+v %q %v", mon, secret, err)
	}
	check(secret, mon, true)
	for _, c := range []struct {
		name string
		role Role
		want string
	}{
		{"monitor", Operator, "conflict: token monitor exists; revoke it first to replace it"},
		{"admin", Admin, "conflict: token admin exists; revoke it first to replace it"},
		{"road", Operator, `bad-request: token name "road" is road's own name in history`},
		{"a b", Operator, `bad-request: token name "a b": want 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit`},
		{"ok", "root", `bad-request: role "root": want one of read-only, operator, approver, admin`},
	} {
		if _, _, err := s.Add(ctx, "admin", c.name, c.role); err == nil || err.Error() != c.want {
			t.Errorf("add %s %s: %v", c.name, c.role, err)
		}
	}
	l, err := s.List(ctx)
	if err != nil || len(l) != 2 || l[0] != admin || l[1] != mon {
		t.Fatalf("list: %+v %v", l, err)
	}
	if err := s.Revoke(ctx, "admin", "monitor"); err != nil {
		t.Fatal(err)
	}
	check(secret, Token{}, false)
	if err := s.Revoke(ctx, "admin", "monitor"); err == nil || err.Error() != "not-found: no token monitor" {
		t.Errorf("second revoke: %v", err)
	}
	if e, ok := fault.As(s.Revoke(ctx, "admin", "admin")); !ok || e.Code != fault.Conflict {
		t.Errorf("revoke admin: %v", e)
	}
	var actions []string
	st.View(ctx, func(tx *store.Tx) error {
		h, _ := tx.History(0)
		for _, e := range h {
			actions = append(actions, e.Actor+" "+e.Action+" "+e.Summary)
		}
		return nil
	})
	if len(actions) != 2 || actions[0] != "admin token-revoke token monitor (read-only) revoked" ||
		actions[1] != "admin token-add token monitor (read-only) added" {
		t.Errorf("history %q", actions)
	}

	// A new admin.token replaces the admin token's secret; the old one stops working.
	later := t0.Add(time.Hour)
	s, err = Open(ctx, st, func() time.Time { return later }, "second-admin-secret")
	if err != nil {
		t.Fatal(err)
	}
	check("first-admin-secret", Token{}, false)
	check("second-admin-secret", Token{Name: "admin", Role: Admin, CreatedAt: later, CreatedBy: "road"}, true)
	// The same admin.token keeps the row as it was.
	if s, err = Open(ctx, st, func() time.Time { return later.Add(time.Hour) }, "second-admin-secret"); err != nil {
		t.Fatal(err)
	}
	check("second-admin-secret", Token{Name: "admin", Role: Admin, CreatedAt: later, CreatedBy: "road"}, true)
}
