package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchStopsWhenTheDatabaseIsGone: a removed data directory or a
// database replaced under road is reported, a present one is not.
func TestWatchStopsWhenTheDatabaseIsGone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string) error
	}{
		{"removed", func(p string) error { return os.RemoveAll(filepath.Dir(p)) }},
		{"replaced", func(p string) error {
			if err := os.WriteFile(p+".new", []byte("x"), 0o600); err != nil {
				return err
			}
			return os.Rename(p+".new", p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", "road.db")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.OnDisk(); err != nil {
				t.Fatalf("fresh database: %v", err)
			}
			if err := tc.damage(path); err != nil {
				t.Fatal(err)
			}
			if err := s.OnDisk(); !errors.Is(err, ErrDatabaseGone) {
				t.Fatalf("OnDisk after %s = %v, want database-gone", tc.name, err)
			}
			if err := s.Watch(context.Background(), time.Millisecond); !errors.Is(err, ErrDatabaseGone) {
				t.Fatalf("Watch after %s = %v, want database-gone", tc.name, err)
			}
		})
	}
}

// TestWatchEndsWithItsContext: an intact database is watched until ctx ends.
func TestWatchEndsWithItsContext(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Watch(ctx, time.Hour); err != nil {
		t.Fatalf("Watch = %v, want nil", err)
	}
}
