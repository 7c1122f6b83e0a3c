package testpeers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartRsyncdFollowsSymlinkSwap(t *testing.T) {
	Require(t, "rsync")
	root := t.TempDir()
	for _, gen := range []string{"gen1", "gen2"} {
		mkdir(t, filepath.Join(root, gen))
		if err := os.WriteFile(filepath.Join(root, gen, "x.txt"), []byte(gen+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pub := filepath.Join(root, "pub")
	if err := os.Symlink("gen1", pub); err != nil {
		t.Fatal(err)
	}
	port := StartRsyncd(t, pub, "repo")
	fetch := func() string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "x.txt")
		out, err := exec.Command("rsync", "--no-motd", fmt.Sprintf("rsync://127.0.0.1:%d/repo/x.txt", port), dst).CombinedOutput()
		if err != nil {
			t.Fatalf("rsync: %v\n%s", err, out)
		}
		b, _ := os.ReadFile(dst)
		return string(b)
	}
	if got := fetch(); got != "gen1\n" {
		t.Fatalf("before swap: %q", got)
	}
	// Atomic swap as a publisher does it: new symlink, rename over the old one.
	if err := os.Symlink("gen2", pub+".new"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(pub+".new", pub); err != nil {
		t.Fatal(err)
	}
	if got := fetch(); got != "gen2\n" {
		t.Fatalf("after swap: %q", got)
	}
}

// writeTAL writes an RFC 8630 TAL with uri and a fresh RSA public key (for
// which no certificate exists anywhere).
func writeTAL(t *testing.T, dir, name, uri string) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	body := uri + "\n\n" + base64.StdEncoding.EncodeToString(spki) + "\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// An empty rsync module: the TA certificate cannot be fetched, so both RPs
// must report no VRPs — rpki-client with an empty (non-nil) table, FORT with
// exit 22 and no table.
func TestRelyingPartiesOnEmptyRepository(t *testing.T) {
	Require(t, "rpki-client", "fort", "rsync")
	empty := t.TempDir()
	port := StartRsyncd(t, empty, "repo")
	tal := writeTAL(t, t.TempDir(), "empty.tal", fmt.Sprintf("rsync://127.0.0.1:%d/repo/ta/ta.cer", port))

	rc := RunRPKIClient(t, RPKIClientOptions{TAL: tal, RsyncOnly: true, Hosts: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
	if rc.VRPs == nil || len(rc.VRPs) != 0 {
		t.Errorf("rpki-client: VRPs %v, want empty table\n%s", rc.VRPs, rc.Log)
	}
	if !strings.Contains(rc.Log, "ta/empty: load from network failed") {
		t.Errorf("rpki-client log lacks the fetch failure:\n%s", rc.Log)
	}

	fort := RunFort(t, FortOptions{TAL: tal, RsyncOnly: true})
	if fort.ExitCode != 22 || fort.VRPs != nil {
		t.Errorf("fort: exit %d VRPs %v, want 22 and nil\n%s", fort.ExitCode, fort.VRPs, fort.Log)
	}
	if !strings.Contains(fort.Log, "yielded a successful traversal") {
		t.Errorf("fort log lacks the TAL failure:\n%s", fort.Log)
	}
}

// A TAL whose key does not parse: rpki-client exits 1 and writes nothing.
func TestRPKIClientBogusTAL(t *testing.T) {
	Require(t, "rpki-client")
	tal := filepath.Join(t.TempDir(), "bogus.tal")
	if err := os.WriteFile(tal, []byte("rsync://127.0.0.1:9/repo/ta.cer\n\nMIIB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := RunRPKIClient(t, RPKIClientOptions{TAL: tal})
	if r.ExitCode == 0 || r.VRPs != nil || !strings.Contains(r.Log, "could not parse tal file") {
		t.Errorf("exit %d VRPs %v log:\n%s", r.ExitCode, r.VRPs, r.Log)
	}
}

func TestCheckLoopbackTAL(t *testing.T) {
	for tal, ok := range map[string]bool{
		"rsync://127.0.0.1:873/repo/ta.cer\nhttps://[::1]:8443/ta.cer\n\nMIIB\n": true,
		"https://localhost/ta.cer\n\nMIIB\n":                                     true,
		"# comment\nrsync://127.0.0.1/r/ta.cer\n\nrsync://rpki.ripe.net/\n":      true, // after the blank line: key data
		"rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer\n\nMIIB\n":                     false,
		"rsync://127.0.0.1/r/ta.cer\nhttps://192.0.2.1/ta.cer\n\nMIIB\n":         false,
	} {
		if err := checkLoopbackTAL([]byte(tal)); (err == nil) != ok {
			t.Errorf("%q: err=%v, want ok=%v", tal, err, ok)
		}
	}
}
