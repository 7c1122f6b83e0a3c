package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	mon := Token{Name: "monitor", Role: "read-only", SecretHash: []byte{1, 2}, CreatedAt: now, CreatedBy: "admin"}
	adm := Token{Name: "admin", Role: "admin", SecretHash: []byte{3}, CreatedAt: now, CreatedBy: "road"}
	err := s.Update(ctx, func(tx *Tx) error {
		for _, tk := range []Token{mon, adm} {
			if err := tx.PutToken(tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx *Tx) error {
		l, err := tx.Tokens()
		if err != nil || !reflect.DeepEqual(l, []Token{adm, mon}) {
			t.Errorf("tokens %+v %v", l, err)
		}
		if tk, err := tx.Token("monitor"); err != nil || !reflect.DeepEqual(tk, mon) {
			t.Errorf("monitor %+v %v", tk, err)
		}
		if _, err := tx.Token("nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("nobody: %v", err)
		}
		return nil
	})
	adm.SecretHash = []byte{4}
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutToken(adm); err != nil { // replaces by name
			return err
		}
		if err := tx.DeleteToken("monitor"); err != nil {
			return err
		}
		if err := tx.DeleteToken("monitor"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		if err := tx.PutToken(Token{Name: "x", Role: "admin", SecretHash: []byte{4}, CreatedAt: now}); err == nil {
			t.Error("two tokens with one secret")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx *Tx) error {
		if l, err := tx.Tokens(); err != nil || !reflect.DeepEqual(l, []Token{adm}) {
			t.Errorf("after delete %+v %v", l, err)
		}
		return nil
	})
}
