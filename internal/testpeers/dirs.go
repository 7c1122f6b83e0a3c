package testpeers

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rpkiClientUser is the account rpki-client switches to when started as root.
const rpkiClientUser = "_rpki-client"

// RPKIClientDir returns a new empty directory under /tmp that rpki-client can
// use after dropping privileges (mode 0755, owned by _rpki-client when run as
// root; t.TempDir's parents are 0700 and would be refused). Use it for a
// persistent RPKIClientOptions.CacheDir. Removed in t.Cleanup.
func RPKIClientDir(t testing.TB) string {
	t.Helper()
	d := traversableDir(t, "testpeers-rpki-client-")
	chownToRPKIClient(t, d)
	return d
}

// traversableDir makes a 0755 directory under /tmp (whose parents are all
// world-traversable), removed in t.Cleanup.
func traversableDir(t testing.TB, prefix string) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", prefix)
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	return d
}

// chownToRPKIClient gives path to _rpki-client when running as root (no-op otherwise).
func chownToRPKIClient(t testing.TB, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup(rpkiClientUser)
	if err != nil {
		t.Fatalf("testpeers: rpki-client drops root privileges to %s, which does not exist: %v", rpkiClientUser, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		t.Fatalf("testpeers: user %s has non-numeric ids %q/%q", rpkiClientUser, u.Uid, u.Gid)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatalf("testpeers: chown %s: %v", path, err)
	}
}

// copyFile copies src to dst with the given mode.
func copyFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	if err := os.Chmod(dst, mode); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
}

// checkLoopbackTAL refuses a TAL whose URIs point off the machine: the
// system TALs in /etc/tals show how easily a test could fetch from the RIRs.
func checkLoopbackTAL(tal []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(tal))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			break // RFC 8630 §2.2: URIs end at the first empty line
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || u.Host == "" {
			continue // the RP will reject it itself; nothing to fetch
		}
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("%w: TAL URI %q is not on loopback", ErrFailed, line)
		}
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// rehashedCADir returns ca when it is a directory (assumed `openssl rehash`ed),
// else a new directory holding a copy of the PEM file, rehashed.
func rehashedCADir(t testing.TB, ca string) string {
	t.Helper()
	st, err := os.Stat(ca)
	if err != nil {
		t.Fatalf("testpeers: TLS CA: %v", err)
	}
	if st.IsDir() {
		return ca
	}
	Require(t, "openssl")
	d := filepath.Join(t.TempDir(), "ca")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	copyFile(t, ca, filepath.Join(d, "ca.pem"), 0o644)
	if out, err := exec.Command("openssl", "rehash", d).CombinedOutput(); err != nil {
		t.Fatalf("testpeers: openssl rehash: %v\n%s", err, out)
	}
	return d
}
