package testpeers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SoftHSMToken is a throwaway SoftHSM v2 token for PKCS#11 tests.
type SoftHSMToken struct {
	Module  string // the PKCS#11 module (libsofthsm2.so)
	Label   string // the token's label
	PIN     string // the user PIN
	PINFile string // a 0600 file holding PIN
	Conf    string // the softhsm2.conf that SOFTHSM2_CONF points at
}

// softHSMModules are where Debian installs the module.
var softHSMModules = []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"}

// StartSoftHSM initialises a token labelled label in its own token directory
// under t.TempDir and points SOFTHSM2_CONF at its configuration (t.Setenv:
// the test may not run in parallel). It skips without softhsm2, and fails
// under CI=true (Require).
func StartSoftHSM(t testing.TB, label string) SoftHSMToken {
	t.Helper()
	Require(t, "softhsm2-util")
	module := ""
	for _, m := range softHSMModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if module == "" {
		Require(t, "libsofthsm2.so")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	text := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	tok := SoftHSMToken{Module: module, Label: label, PIN: "1234", Conf: conf,
		PINFile: filepath.Join(dir, "pin")}
	if err := os.WriteFile(tok.PINFile, []byte(tok.PIN+"\n"), 0o600); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	cmd := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", tok.PIN, "--so-pin", "5678")
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testpeers: softhsm2-util --init-token: %v: %s", err, out)
	}
	return tok
}
