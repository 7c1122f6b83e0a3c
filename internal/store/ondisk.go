package store

import (
	"context"
	"fmt"
	"os"
	"time"
)

// ErrDatabaseGone is returned by Watch when the database file road opened is
// no longer at its path: deleted (its data directory removed) or replaced.
// Writes to an unlinked SQLite file still succeed and are lost at exit, so
// a daemon must stop rather than accept changes it cannot keep.
var ErrDatabaseGone = fmt.Errorf("database-gone")

// OnDisk reports whether the file opened as the database is still the one at
// its path.
func (s *Store) OnDisk() error {
	if s.path == "" || s.opened == nil {
		return nil // an in-memory database
	}
	now, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrDatabaseGone, s.path, err)
	}
	if !os.SameFile(s.opened, now) {
		return fmt.Errorf("%w: %s was replaced by another file", ErrDatabaseGone, s.path)
	}
	return nil
}

// Watch checks OnDisk every interval until ctx ends (nil) or the database is
// gone (the error).
func (s *Store) Watch(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.OnDisk(); err != nil {
			return err
		}
	}
}
