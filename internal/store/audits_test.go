package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestAudits(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	err := s.Update(ctx, func(tx *Tx) error {
		for i, k := range []string{"expiry", "consistency", "expiry"} {
			st := t0.Add(time.Duration(i) * time.Minute)
			id, err := tx.AppendAudit(&Audit{Kind: k, StartedAt: st, FinishedAt: st.Add(1500 * time.Millisecond),
				OK: i == 1, Summary: fmt.Sprintf("run %d", i)}, map[string]int{"n": i})
			if err != nil {
				return err
			}
			if id != int64(i+1) {
				return fmt.Errorf("id %d, want %d", id, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all, exp, one []Audit
	if err := s.View(ctx, func(tx *Tx) error {
		var err error
		if all, err = tx.Audits("", 0); err != nil {
			return err
		}
		if exp, err = tx.Audits("expiry", 0); err != nil {
			return err
		}
		one, err = tx.Audits("", 1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, a := range all {
		got += fmt.Sprintf("%d %s %s %s %v %s %s|", a.ID, a.Kind, a.StartedAt.Format(time.RFC3339Nano),
			a.FinishedAt.Format(time.RFC3339Nano), a.OK, a.Summary, a.Detail)
	}
	want := `3 expiry 2026-11-22T10:02:00Z 2026-11-22T10:02:01.5Z false run 2 {"n":2}|` +
		`2 consistency 2026-11-22T10:01:00Z 2026-11-22T10:01:01.5Z true run 1 {"n":1}|` +
		`1 expiry 2026-11-22T10:00:00Z 2026-11-22T10:00:01.5Z false run 0 {"n":0}|`
	if got != want {
		t.Fatalf("audits\n got %s\nwant %s", got, want)
	}
	if len(exp) != 2 || exp[0].ID != 3 || exp[1].ID != 1 {
		t.Fatalf("expiry audits %+v", exp)
	}
	if len(one) != 1 || one[0].ID != 3 {
		t.Fatalf("limit 1: %+v", one)
	}
}
