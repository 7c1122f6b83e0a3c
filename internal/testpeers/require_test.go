package testpeers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// recordingTB captures Skip/Fatal instead of ending the goroutine.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                           {}
func (r *recordingTB) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recordingTB) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	const missing = "testpeers-no-such-tool"
	t.Setenv("CI", "")
	r := &recordingTB{TB: t}
	Require(r, "sh", missing)
	if r.skipped == "" || r.failed != "" {
		t.Errorf("without CI: skipped=%q failed=%q", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recordingTB{TB: t}
	Require(r, missing)
	if r.failed == "" || r.skipped != "" {
		t.Errorf("CI=true: skipped=%q failed=%q", r.skipped, r.failed)
	}
	r = &recordingTB{TB: t}
	Require(r, "sh")
	if r.failed != "" || r.skipped != "" {
		t.Errorf("present tool: skipped=%q failed=%q", r.skipped, r.failed)
	}
}

func TestFreePortIsLoopbackAndFree(t *testing.T) {
	p := FreePort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("port %d", p)
	}
}

// A PEM file becomes a directory with the CA and its OpenSSL subject-hash
// link (what libcurl's CApath needs); a directory is used as is.
func TestRehashedCADir(t *testing.T) {
	Require(t, "openssl")
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Loopback CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	dir := rehashedCADir(t, pemFile)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	hashLink := regexp.MustCompile(`^[0-9a-f]{8}\.0$`)
	var names []string
	found := false
	for _, e := range entries {
		names = append(names, e.Name())
		found = found || hashLink.MatchString(e.Name())
	}
	if !found {
		t.Errorf("no hash link in %v", names)
	}
	if got := rehashedCADir(t, dir); got != dir {
		t.Errorf("directory: got %q, want %q", got, dir)
	}
}
