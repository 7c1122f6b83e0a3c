package datadir

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func mkdir(t *testing.T, perm os.FileMode) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return dir
}

// TestDatabaseFilesPrivate: in a 0755 directory under umask 0, the database
// and the -wal and -shm files SQLite creates are 0600, and Prepare warns
// about the directory naming its mode.
func TestDatabaseFilesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := mkdir(t, 0o755)
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	if err := Prepare(dir, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), `mode=0755`) ||
		!strings.Contains(logged.String(), `fix="chmod 700 `+dir+`"`) {
		t.Fatalf("warning: %s", logged.String())
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "road.db")+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE TABLE t(x); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	for _, name := range DBFiles {
		if m := mode(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", name, m)
		}
	}
}

// TestTightensOldFiles: database files an older version left 0644 become 0600.
func TestTightensOldFiles(t *testing.T) {
	dir := mkdir(t, 0o700)
	for _, name := range DBFiles {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, 0o644)
	}
	var logged bytes.Buffer
	if err := Prepare(dir, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	if logged.Len() != 0 {
		t.Fatalf("a 0700 directory is no warning: %s", logged.String())
	}
	for _, name := range DBFiles {
		if m := mode(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", name, m)
		}
	}
}

func TestRefusesWritableDirectory(t *testing.T) {
	for perm, want := range map[os.FileMode]string{
		0o777: " has mode 0777: the group and every user may write into it",
		0o770: " has mode 0770: the group may write into it",
		0o757: " has mode 0757: every user may write into it",
	} {
		dir := mkdir(t, perm)
		err := Prepare(dir, nil)
		wantMsg := "data directory " + dir + want + " and replace road's database and keys; fix: chmod 700 " + dir + " (unsafe-mode)"
		if err == nil || err.Error() != wantMsg || !errors.Is(err, ErrUnsafeMode) {
			t.Errorf("%04o: %v\nwant %s", perm, err, wantMsg)
		}
		if _, err := os.Stat(filepath.Join(dir, "road.db")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%04o: road.db created in a refused directory (%v)", perm, err)
		}
	}
}

func TestRefusesLooseSecrets(t *testing.T) {
	for _, c := range []struct {
		file string
		perm os.FileMode
		want string
	}{
		{"admin.token", 0o644, " has mode 0644: the group and every user may read or change this secret; fix: chmod 600 "},
		{"admin.token", 0o640, " has mode 0640: the group may read or change this secret; fix: chmod 600 "},
		{"tls/server-key.pem", 0o604, " has mode 0604: every user may read or change this secret; fix: chmod 600 "},
	} {
		dir := mkdir(t, 0o750)
		p := filepath.Join(dir, c.file)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, c.perm)
		err := Prepare(dir, nil)
		if want := p + c.want + p + " (unsafe-mode)"; err == nil || err.Error() != want {
			t.Errorf("%s %04o: %v\nwant %s", c.file, c.perm, err, want)
		}
		os.Chmod(p, 0o600)
		if err := Prepare(dir, nil); err != nil {
			t.Errorf("%s 0600: %v", c.file, err)
		}
	}
}

func TestOperatorKeys(t *testing.T) {
	dir := mkdir(t, 0o700)
	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for perm, ok := range map[os.FileMode]bool{0o600: true, 0o640: true, 0o400: true, 0o644: false, 0o660: false, 0o602: false} {
		os.Chmod(key, perm)
		err := Prepare(dir, nil, "", key)
		if ok != (err == nil) {
			t.Errorf("%04o: %v", perm, err)
		}
		if !ok && (!errors.Is(err, ErrUnsafeMode) || !strings.Contains(err.Error(), "fix: chmod 600 "+key)) {
			t.Errorf("%04o: %v", perm, err)
		}
	}
	if err := Prepare(dir, nil, filepath.Join(dir, "missing.pem")); err == nil ||
		!strings.Contains(err.Error(), "missing.pem: stat") {
		t.Errorf("missing key: %v", err)
	}
}
