// Package datadir guards the files that hold road's secrets: the data
// directory, the database (it holds the TA and CA private keys), the admin
// token and private keys. Prepare runs before anything in the directory is
// opened: it refuses a directory other users may write, warns when they may
// read it, creates the database files 0600 before SQLite opens them (SQLite
// gives its -wal and -shm files the database file's mode) and tightens the
// ones older versions left 0644. Key and token files with loose modes are
// refused with the chmod that fixes them.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// ErrUnsafeMode marks a refusal because of a file's or directory's mode.
var ErrUnsafeMode = errors.New("unsafe-mode")

// DBFiles are the database and its SQLite companions, kept 0600.
var DBFiles = []string{"road.db", "road.db-wal", "road.db-shm"}

// TokenFile is the admin token's name in the data directory.
const TokenFile = "admin.token"

// Prepare creates dir (0700) when missing, checks its mode, makes the
// database files 0600 and checks the key and token files road keeps in it
// (admin.token, tls/*key*) and operatorKeys (the operator's own private key
// files, "" ignored). Warnings go to log.
func Prepare(dir string, log *slog.Logger, operatorKeys ...string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := CheckDir(dir, log); err != nil {
		return err
	}
	if err := createPrivate(filepath.Join(dir, DBFiles[0])); err != nil {
		return err
	}
	for _, name := range DBFiles {
		if err := tighten(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	keys, err := filepath.Glob(filepath.Join(dir, "tls", "*key*"))
	if err != nil {
		return err
	}
	for _, p := range append(keys, filepath.Join(dir, TokenFile)) {
		if err := CheckSecret(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for _, p := range operatorKeys {
		if p == "" {
			continue
		}
		if err := CheckOperatorKey(p); err != nil {
			return err
		}
	}
	return nil
}

// CheckDir refuses a directory that group or others may write (they could
// replace the database or the keys) and warns when they may read it.
func CheckDir(dir string, log *slog.Logger) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
	mode := st.Mode().Perm()
	if mode&0o022 != 0 {
		return fmt.Errorf("data directory %s has mode %04o: %s may write into it and replace road's database and keys; "+
			"fix: chmod 700 %s (%w)", dir, mode, who(mode, 0o020, 0o002), dir, ErrUnsafeMode)
	}
	if mode&0o044 != 0 && log != nil {
		log.Warn("data directory is readable by other users; road keeps its secrets in it 0600, but "+who(mode, 0o040, 0o004)+
			" may list it", "dir", dir, "mode", fmt.Sprintf("%04o", mode), "fix", "chmod 700 "+dir)
	}
	return nil
}

// CheckSecret refuses a key or token file road owns that group or others
// may read or write: its fix is chmod 600. A missing file is an error
// wrapping fs.ErrNotExist.
func CheckSecret(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o: %s may read or change this secret; fix: chmod 600 %s (%w)",
			path, mode, who(mode, 0o070, 0o007), path, ErrUnsafeMode)
	}
	return nil
}

// CheckOperatorKey refuses an operator's private key file that others may
// read or write, or the group may write (a group-readable key, as in Debian's
// ssl-cert group, is accepted).
func CheckOperatorKey(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("private key %s: %w", path, err)
	}
	if mode := st.Mode().Perm(); mode&0o027 != 0 {
		return fmt.Errorf("private key %s has mode %04o: %s may read or change it; fix: chmod 600 %s (or 640 for a key group) (%w)",
			path, mode, who(mode, 0o020, 0o007), path, ErrUnsafeMode)
	}
	return nil
}

// createPrivate creates path empty with mode 0600 unless it exists.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return f.Close()
}

// tighten makes an existing file 0600 (older versions created the database
// 0644); a missing file is left missing.
func tighten(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if st.Mode().Perm() == 0o600 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("data directory: make %s 0600: %w", path, err)
	}
	return nil
}

// who names the users a mode lets in, from its group and other bits.
func who(mode, group, other fs.FileMode) string {
	switch {
	case mode&group != 0 && mode&other != 0:
		return "the group and every user"
	case mode&other != 0:
		return "every user"
	default:
		return "the group"
	}
}
