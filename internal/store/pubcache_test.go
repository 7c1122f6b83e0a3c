package store

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// putObjects stores a CA and, for each uri, an object whose DER is its value.
func putObjects(t *testing.T, s *Store, objs map[string]string) {
	t.Helper()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	err := s.Update(context.Background(), func(tx *Tx) error {
		if err := tx.PutCA(&CA{Name: "ca", KeyDER: []byte{1}, CertDER: []byte{2}, CertURI: "rsync://h/r/ca.cer",
			RepoURI: "rsync://h/r/ca/", UpdatedAt: now}); err != nil {
			return err
		}
		for uri, der := range objs {
			if err := tx.PutObject(&Object{URI: uri, CA: "ca", Kind: "roa", DER: []byte(der), NotAfter: now,
				SigningTime: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func viaCache(t *testing.T, s *Store, c *PublicationCache) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.View(context.Background(), func(tx *Tx) error {
		objs, err := tx.PublicationObjectsVia(c)
		for _, o := range objs {
			if o.Hash != sha256.Sum256(o.DER) {
				t.Errorf("%s: hash does not match DER", o.URI)
			}
			out[o.URI] = string(o.DER)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestObjectsMetaCarriesHashNotDER(t *testing.T) {
	s := openTest(t)
	putObjects(t, s, map[string]string{"rsync://h/r/ca/a.roa": "A", "rsync://h/r/ca/b.roa": "B"})
	err := s.View(context.Background(), func(tx *Tx) error {
		objs, err := tx.ObjectsMeta("ca")
		if err != nil {
			return err
		}
		if len(objs) != 2 || objs[0].URI != "rsync://h/r/ca/a.roa" || objs[0].DER != nil ||
			objs[0].Hash != sha256.Sum256([]byte("A")) || objs[1].Hash != sha256.Sum256([]byte("B")) {
			t.Errorf("ObjectsMeta = %+v", objs)
		}
		der, err := tx.ObjectDER("rsync://h/r/ca/b.roa")
		if string(der) != "B" || err != nil {
			t.Errorf("ObjectDER = %q, %v", der, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A row written before migration 0008 has no hash: the listings compute it
// and Open fills it in.
func TestObjectHashFilledForOldRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "road.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	putObjects(t, s, map[string]string{"rsync://h/r/ca/a.roa": "A"})
	if _, err := s.db.ExecContext(ctx, `UPDATE objects SET hash = NULL`); err != nil {
		t.Fatal(err)
	}
	if got := viaCache(t, s, &PublicationCache{}); got["rsync://h/r/ca/a.roa"] != "A" {
		t.Errorf("before the fill: %v", got)
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var h []byte
	if err := s.db.QueryRowContext(ctx, `SELECT hash FROM objects`).Scan(&h); err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256([]byte("A")); string(h) != string(want[:]) {
		t.Errorf("hash after reopen = %x, want %x", h, want)
	}
}

// The cache gives the same objects as PublicationObjects, takes a changed
// object's new DER, forgets a removed one, and reads an unchanged one from
// memory (shown by changing a DER behind the store's back: its stored hash
// still matches the cached entry).
func TestPublicationObjectsVia(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	putObjects(t, s, map[string]string{"rsync://h/r/ca/a.roa": "A", "rsync://h/r/ca/b.roa": "B"})
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutPublisher(&Publisher{Name: "B", IDCert: []byte{1}, SIABase: "rsync://h/r/B/"}); err != nil {
			return err
		}
		return tx.PutPublished(&PublishedObject{URI: "rsync://h/r/B/x.roa", Publisher: "B", DER: []byte("X"), Hash: "00"})
	}); err != nil {
		t.Fatal(err)
	}
	c := &PublicationCache{}
	first := viaCache(t, s, c)
	var plain []string
	if err := s.View(ctx, func(tx *Tx) error {
		objs, err := tx.PublicationObjects()
		for _, o := range objs {
			plain = append(plain, o.URI+"="+string(o.DER))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for u, d := range first {
		got = append(got, u+"="+d)
	}
	slices.Sort(got)
	slices.Sort(plain)
	if !slices.Equal(got, plain) || len(got) != 3 {
		t.Fatalf("via cache %v, plain %v", got, plain)
	}
	putObjects(t, s, map[string]string{"rsync://h/r/ca/b.roa": "B2"})
	if _, err := s.db.ExecContext(ctx, `DELETE FROM objects WHERE uri = 'rsync://h/r/ca/a.roa'`); err != nil {
		t.Fatal(err)
	}
	putObjects(t, s, map[string]string{"rsync://h/r/ca/c.roa": "C"})
	if _, err := s.db.ExecContext(ctx, `UPDATE objects SET der = 'Z' WHERE uri = 'rsync://h/r/ca/c.roa'`); err == nil {
		// c was never cached: its DER no longer matches its hash.
		if err := s.View(ctx, func(tx *Tx) error { _, err := tx.PublicationObjectsVia(c); return err }); err == nil {
			t.Error("a DER that does not match its stored hash was published")
		}
	}
	putObjects(t, s, map[string]string{"rsync://h/r/ca/c.roa": "C"})
	second := viaCache(t, s, c)
	want := map[string]string{"rsync://h/r/ca/b.roa": "B2", "rsync://h/r/ca/c.roa": "C", "rsync://h/r/B/x.roa": "X"}
	if len(second) != len(want) || second["rsync://h/r/ca/b.roa"] != "B2" || second["rsync://h/r/ca/c.roa"] != "C" ||
		second["rsync://h/r/B/x.roa"] != "X" {
		t.Errorf("after the change: %v, want %v", second, want)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE objects SET der = 'stale' WHERE uri = 'rsync://h/r/ca/b.roa'`); err != nil {
		t.Fatal(err)
	}
	if third := viaCache(t, s, c); third["rsync://h/r/ca/b.roa"] != "B2" {
		t.Errorf("an unchanged object was read again: %q", third["rsync://h/r/ca/b.roa"])
	}
}
