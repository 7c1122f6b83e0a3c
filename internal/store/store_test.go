package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestROAsObjectsRevokedHistory(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	v1, _ := vrp.Parse("2001:db8::/32-48 => AS64497")
	v2, _ := vrp.Parse("192.0.2.0/24 => AS64496")
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutCA(&CA{Name: "ca", KeyDER: []byte{1}, CertDER: []byte{2}, CertURI: "rsync://h/r/ca.cer",
			RepoURI: "rsync://h/r/ca/", NextSerial: 7, UpdatedAt: now}); err != nil {
			return err
		}
		id, err := tx.AddROA(v1, "v6", "", now)
		if err != nil {
			return err
		}
		if _, err := tx.AddROA(v2, "v4", "", now); err != nil {
			return err
		}
		if err := tx.PutObject(&Object{URI: "rsync://h/r/ca/x.roa", CA: "ca", Kind: "roa", DER: []byte{3},
			EESerial: "9", NotAfter: now.Add(time.Hour), SigningTime: now, ROAID: id, UpdatedAt: now}); err != nil {
			return err
		}
		if err := tx.Revoke("ca", "5", now, now.Add(-time.Minute)); err != nil {
			return err
		}
		if err := tx.Revoke("ca", "6", now, now.Add(time.Hour)); err != nil {
			return err
		}
		_, err = tx.AppendHistory(now, "admin", "roa-change", "added 2", map[string]int{"n": 2})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx *Tx) error {
		roas, err := tx.ROAs()
		if err != nil {
			return err
		}
		if len(roas) != 2 || roas[0].VRP != v2 || roas[1].VRP != v1 || roas[1].Comment != "v6" {
			t.Errorf("roas = %+v", roas)
		}
		objs, err := tx.Objects("ca")
		if err != nil {
			return err
		}
		if len(objs) != 1 || objs[0].ROAID != roas[1].ID || !objs[0].NotAfter.Equal(now.Add(time.Hour)) {
			t.Errorf("objects = %+v", objs)
		}
		c, err := tx.CA("ca")
		if err != nil || c.NextSerial != 7 || c.RepoURI != "rsync://h/r/ca/" {
			t.Errorf("ca = %+v, %v", c, err)
		}
		if _, err := tx.CA("nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing ca: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// RevokedList drops the expired entry (a write), so run it in Update.
	err = s.Update(ctx, func(tx *Tx) error {
		rl, err := tx.RevokedList("ca", now)
		if err != nil {
			return err
		}
		if len(rl) != 1 || rl[0].Serial != "6" {
			t.Errorf("revoked = %+v", rl)
		}
		return tx.RemoveROA(v1)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The ROA's object loses its reference when the ROA goes (ON DELETE SET NULL).
	_ = s.View(ctx, func(tx *Tx) error {
		objs, _ := tx.Objects("")
		if len(objs) != 1 || objs[0].ROAID != 0 {
			t.Errorf("after remove: %+v", objs)
		}
		return nil
	})
	if err := s.Update(ctx, func(tx *Tx) error { return tx.RemoveROA(v1) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a missing ROA: %v", err)
	}
}

func TestHistoryIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Unix(1800000000, 0).UTC()
	if err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.AppendHistory(now, "a", "init", "first", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE history SET actor = 'x'`, `DELETE FROM history`} {
		err := s.Update(ctx, func(tx *Tx) error { _, err := tx.exec(q); return err })
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
	_ = s.View(ctx, func(tx *Tx) error {
		h, err := tx.History(0)
		if err != nil || len(h) != 1 || h[0].Summary != "first" || string(h[0].Detail) != "{}" || !h[0].At.Equal(now) {
			t.Errorf("history = %+v, %v", h, err)
		}
		return nil
	})
}

func TestUpdateRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	v, _ := vrp.Parse("192.0.2.0/24 => AS1")
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.AddROA(v, "", "", time.Now()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	_ = s.View(ctx, func(tx *Tx) error {
		r, _ := tx.ROAs()
		if len(r) != 0 {
			t.Errorf("rolled-back ROA persisted: %+v", r)
		}
		return nil
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "road.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.SetMeta("k", "v") }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_ = s.View(ctx, func(tx *Tx) error {
		v, err := tx.Meta("k")
		if err != nil || v != "v" {
			t.Errorf("meta after reopen = %q, %v", v, err)
		}
		return nil
	})
}
