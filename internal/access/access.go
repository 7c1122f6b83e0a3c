// Package access keeps the named API tokens and their roles. A token is a
// name, a role and the SHA-256 of a random secret shown once when it is
// added; the secret itself is never stored. Authenticate compares a
// presented secret's hash with every token's in constant time. The token of
// the data directory's admin.token is the first admin, named "admin".
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/store"
)

// Role is what a token may do. Each role may do everything the roles
// before it in Roles may.
type Role string

// The roles, least to most.
const (
	// ReadOnly may read (GET and HEAD) and nothing else: monitoring.
	ReadOnly Role = "read-only"
	// Operator may also change what road publishes and knows: ROA
	// proposals, intents, route imports, audits.
	Operator Role = "operator"
	// Approver may also approve the changes of others, once changes need
	// approval (the routes that approve will need this role).
	Approver Role = "approver"
	// Admin may do everything, managing tokens included.
	Admin Role = "admin"
)

// Roles lists the roles from least to most.
var Roles = []Role{ReadOnly, Operator, Approver, Admin}

// rank is r's place in Roles, -1 for an unknown role.
func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}

// Allows reports whether r may do what needs the role need.
func (r Role) Allows(need Role) bool {
	return need.rank() >= 0 && r.rank() >= need.rank()
}

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.rank() >= 0 {
		return r, nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fault.Invalidf("role %q: want one of %s", s, strings.Join(names, ", "))
}

// Names of the tokens road itself keeps.
const (
	AdminName = "admin" // the token of admin.token
	RoadName  = "road"  // road's own changes in history; no token has it
)

// validName: a name is the actor in history, so it is short and plain.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Token is a named token without its secret.
type Token struct {
	Name      string
	Role      Role
	CreatedAt time.Time
	CreatedBy string
	// Flagged: every change this token proposes needs a second token's
	// approval (the two-person rule, internal/proposal).
	Flagged bool
}

// Service manages the tokens in the store.
type Service struct {
	st    *store.Store
	clock func() time.Time
}

// Open returns the service over st and makes adminSecret (admin.token's)
// the secret of the admin token named "admin", replacing an older one.
func Open(ctx context.Context, st *store.Store, clock func() time.Time, adminSecret string) (*Service, error) {
	if clock == nil {
		clock = time.Now
	}
	s := &Service{st: st, clock: clock}
	if adminSecret == "" {
		return nil, errors.New("access: empty admin secret")
	}
	hash := digest(adminSecret)
	err := st.Update(ctx, func(tx *store.Tx) error {
		old, err := tx.Token(AdminName)
		if err == nil && old.Role == string(Admin) && subtle.ConstantTimeCompare(old.SecretHash, hash) == 1 {
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.PutToken(store.Token{Name: AdminName, Role: string(Admin), SecretHash: hash,
			CreatedAt: s.clock(), CreatedBy: RoadName})
	})
	if err != nil {
		return nil, fmt.Errorf("access: admin token: %w", err)
	}
	return s, nil
}

func digest(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Authenticate returns the token whose secret is secret; ok is false when
// there is none (unknown or revoked). Every token's hash is compared, in
// constant time.
func (s *Service) Authenticate(ctx context.Context, secret string) (tok Token, ok bool, err error) {
	hash := digest(secret)
	var all []store.Token
	err = s.st.View(ctx, func(tx *store.Tx) error {
		all, err = tx.Tokens()
		return err
	})
	if err != nil {
		return Token{}, false, err
	}
	for _, t := range all {
		if subtle.ConstantTimeCompare(t.SecretHash, hash) == 1 {
			tok, ok = token(t), true
		}
	}
	return tok, ok, nil
}

func token(t store.Token) Token {
	return Token{Name: t.Name, Role: Role(t.Role), CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy, Flagged: t.Flagged}
}

// List returns every token by name.
func (s *Service) List(ctx context.Context) ([]Token, error) {
	var out []Token
	err := s.st.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Tokens()
		for _, t := range all {
			out = append(out, token(t))
		}
		return err
	})
	return out, err
}

// Add creates the token name with role on behalf of the token by and
// returns it with its secret, which is not kept and cannot be shown again.
func (s *Service) Add(ctx context.Context, by, name string, role Role) (Token, string, error) {
	if !validName.MatchString(name) {
		return Token{}, "", fault.Invalidf("token name %q: want 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit", name)
	}
	if name == RoadName {
		return Token{}, "", fault.Invalidf("token name %q is road's own name in history", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", err
	}
	secret := "road_" + base64.RawURLEncoding.EncodeToString(raw)
	t := store.Token{Name: name, Role: string(role), SecretHash: digest(secret), CreatedAt: s.clock(), CreatedBy: by}
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Token(name); err == nil {
			return fault.New(fault.Conflict, fmt.Sprintf("token %s exists; revoke it first to replace it", name), nil)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.PutToken(t); err != nil {
			return err
		}
		_, err := tx.AppendHistory(t.CreatedAt, by, "token-add", fmt.Sprintf("token %s (%s) added", name, role),
			map[string]string{"name": name, "role": string(role)})
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	return token(t), secret, nil
}

// Revoke deletes the token name on behalf of the token by; requests with
// its secret are refused from then on. admin.token's token is replaced by
// replacing that file, not revoked.
func (s *Service) Revoke(ctx context.Context, by, name string) error {
	if name == AdminName {
		return fault.New(fault.Conflict, "token admin is the data directory's admin.token; to replace it, "+
			"delete that file and restart road", nil)
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		t, err := tx.Token(name)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("no token %s", name)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteToken(name); err != nil {
			return err
		}
		_, err = tx.AppendHistory(s.clock(), by, "token-revoke", fmt.Sprintf("token %s (%s) revoked", name, t.Role),
			map[string]string{"name": name, "role": t.Role})
		return err
	})
}

// Flag sets or clears the flag of the token name on behalf of the token by
// (a suspected stolen secret, a new operator): while it is set, each of its
// changes waits for another token's approval.
func (s *Service) Flag(ctx context.Context, by, name string, flagged bool) error {
	return s.st.Update(ctx, func(tx *store.Tx) error {
		err := tx.FlagToken(name, flagged)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("no token %s", name)
		}
		if err != nil {
			return err
		}
		action, what := "token-flag", "flagged: its changes need a second approver"
		if !flagged {
			action, what = "token-unflag", "no longer flagged"
		}
		_, err = tx.AppendHistory(s.clock(), by, action, fmt.Sprintf("token %s %s", name, what), map[string]string{"name": name})
		return err
	})
}
