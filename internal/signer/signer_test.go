package signer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
)

// signVerify signs a SHA-256 digest with k and checks it with k's public key.
func signVerify(t *testing.T, k Key, msg string) {
	t.Helper()
	d := sha256.Sum256([]byte(msg))
	sig, err := k.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("sign with %s: %v", k.ID(), err)
	}
	if len(sig) != 256 {
		t.Fatalf("signature has %d octets, want 256", len(sig))
	}
	if err := rsa.VerifyPKCS1v15(k.RSAPublicKey(), crypto.SHA256, d[:], sig); err != nil {
		t.Fatalf("signature of %s does not verify: %v", k.ID(), err)
	}
}

// refusals checks that only SHA-256 PKCS#1 v1.5 is signed (RFC 7935 §2).
func refusals(t *testing.T, k Key) {
	t.Helper()
	d := sha256.Sum256([]byte("x"))
	s1 := sha1.Sum([]byte("x"))
	cases := map[string]func() error{
		"pss":    func() error { _, err := k.Sign(rand.Reader, d[:], &rsa.PSSOptions{Hash: crypto.SHA256}); return err },
		"sha1":   func() error { _, err := k.Sign(rand.Reader, s1[:], crypto.SHA1); return err },
		"short":  func() error { _, err := k.Sign(rand.Reader, s1[:], crypto.SHA256); return err },
		"nilopt": func() error { _, err := k.Sign(rand.Reader, d[:], nil); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrAlgorithm) {
			t.Errorf("%s: err = %v, want %v", name, err, ErrAlgorithm)
		}
	}
}

func TestSoftware(t *testing.T) {
	ctx := context.Background()
	s, err := Open(HSMConfig{}, nil)
	if err != nil || s.Kind() != "software" {
		t.Fatalf("Open(empty) = %v, %v; want software", s, err)
	}
	k, err := s.Generate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signVerify(t, k, "software")
	refusals(t, k)
	if want := "software:" + hex.EncodeToString(rpki.SubjectKeyID(k.RSAPublicKey())); k.ID() != want {
		t.Errorf("ID = %q, want %q", k.ID(), want)
	}
	h := k.Handle()
	if !IsSoftwareHandle(h) || IsTokenHandle(h) {
		t.Fatalf("software handle not recognised: %x", h[:4])
	}
	k2, err := s.Load(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if !k2.RSAPublicKey().Equal(k.RSAPublicKey()) || !bytes.Equal(k2.Handle(), h) {
		t.Error("Load(Handle()) gave another key")
	}
	signVerify(t, k2, "reloaded")
	_, err = s.Load(ctx, []byte("pkcs11:id=00"))
	if want := "signer: key pkcs11:id=00 is in a PKCS#11 token; configure [hsm] (module, token_label, pin_file): signer-hsm-not-configured"; !errors.Is(err, ErrNoHSM) || err.Error() != want {
		t.Errorf("software Load of a token handle: %v, want %s", err, want)
	}
	if _, err := s.Load(ctx, []byte("junk")); !errors.Is(err, ErrBadHandle) {
		t.Errorf("software Load of junk: %v, want %v", err, ErrBadHandle)
	}
	if _, err := s.Load(ctx, []byte{0x30, 0x03, 0x02, 0x01, 0x00}); !errors.Is(err, ErrBadHandle) {
		t.Errorf("Load of junk DER: %v, want %v", err, ErrBadHandle)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSoftwareKey(small); !errors.Is(err, ErrBadKey) {
		t.Errorf("RSA 1024: %v, want %v", err, ErrBadKey)
	}
	gen := Software{Gen: func(context.Context) (*rsa.PrivateKey, error) { return small, nil }}
	if _, err := gen.Generate(ctx); !errors.Is(err, ErrBadKey) {
		t.Errorf("Generate from a pool of RSA 1024: %v, want %v", err, ErrBadKey)
	}
}

// openToken opens tok as a KeyStore.
func openToken(t *testing.T, tok testpeers.SoftHSMToken) *PKCS11 {
	t.Helper()
	s, err := Open(HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}, nil)
	if err != nil {
		t.Fatalf("open token: %v", err)
	}
	p, ok := s.(*PKCS11)
	if !ok || p.Kind() != "pkcs11" {
		t.Fatalf("Open with a module gave %T", s)
	}
	return p
}

func TestPKCS11SoftHSM(t *testing.T) {
	ctx := context.Background()
	tok := testpeers.StartSoftHSM(t, "road-test")
	p := openToken(t, tok)
	k, err := p.Generate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signVerify(t, k, "in the token")
	refusals(t, k)
	h := k.Handle()
	if !IsTokenHandle(h) || IsSoftwareHandle(h) || !strings.HasPrefix(string(h), "pkcs11:id=") || len(h) != len("pkcs11:id=")+32 {
		t.Fatalf("handle = %q", h)
	}
	if want := "pkcs11:" + strings.TrimPrefix(string(h), "pkcs11:id="); k.ID() != want {
		t.Errorf("ID = %q, want %q", k.ID(), want)
	}
	ext, sen, err := p.Extractable(k)
	if err != nil || ext || !sen {
		t.Errorf("Extractable = %v, sensitive = %v, err %v; want false, true", ext, sen, err)
	}
	tk := k.(*tokenKey)
	if a, err := p.ctx.GetAttribute(tk.s, crypto11.CkaPrivateExponent); err == nil && a != nil && len(a.Value) > 0 {
		t.Errorf("the token revealed the private exponent (%d octets)", len(a.Value))
	}
	// A certificate signed in the token verifies with its public key.
	certSignedBy(t, k)
	pub := k.RSAPublicKey()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// After reopening, the handle finds the same key, which still signs.
	p = openToken(t, tok)
	defer p.Close()
	k2, err := p.Load(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if !k2.RSAPublicKey().Equal(pub) {
		t.Fatal("reloaded key has another public key")
	}
	signVerify(t, k2, "after reopening")

	// Software handles still load through the token's store.
	soft, err := Software{}.Generate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k3, err := p.Load(ctx, soft.Handle())
	if err != nil || k3.ID() != soft.ID() {
		t.Fatalf("software handle through PKCS11: %v, %v", k3, err)
	}

	if _, err := p.Load(ctx, []byte("pkcs11:id=zz")); !errors.Is(err, ErrBadHandle) {
		t.Errorf("bad hex: %v, want %v", err, ErrBadHandle)
	}
	if _, err := p.Load(ctx, []byte("pkcs11:id=00112233")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v, want %v", err, ErrNotFound)
	}
	if hs, err := p.Handles(ctx); err != nil || len(hs) != 1 || !bytes.Equal(hs[0], h) {
		t.Fatalf("Handles = %q, %v; want [%s]", hs, err, h)
	}
	if err := p.Delete(ctx, h); err != nil {
		t.Fatal(err)
	}
	if hs, err := p.Handles(ctx); err != nil || len(hs) != 0 {
		t.Fatalf("Handles after Delete = %q, %v", hs, err)
	}
	if _, err := p.Load(ctx, h); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Delete: %v, want %v", err, ErrNotFound)
	}
}

// certSignedBy issues a self-signed resource certificate with k and checks
// its signature with k's public key.
func certSignedBy(t *testing.T, k Key) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	ip := rpki.NewIPResources(netip.MustParsePrefix("192.0.2.0/24"))
	tmpl := &rpki.Certificate{SerialNumber: big.NewInt(1), Subject: "HSM", NotBefore: now, NotAfter: now.Add(time.Hour),
		PublicKey: k.RSAPublicKey(), IsCA: true, IP: &ip,
		SIA: rpki.SIA{CARepository: "rsync://h/r/", Manifest: "rsync://h/r/m.mft"}}
	der, err := rpki.CreateCertificate(tmpl, "HSM", k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rpki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(c.RawTBS)
	if err := rsa.VerifyPKCS1v15(k.RSAPublicKey(), crypto.SHA256, d[:], c.Signature); err != nil {
		t.Fatalf("certificate signed in the token does not verify: %v", err)
	}
}

func TestPKCS11Config(t *testing.T) {
	tok := testpeers.StartSoftHSM(t, "road-cfg")
	loose := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(loose, []byte(tok.PIN), 0o644); err != nil {
		t.Fatal(err)
	}
	wrongPIN := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(wrongPIN, []byte("9999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	twoLines := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(twoLines, []byte("1234\n5678\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]HSMConfig{
		"no pin file":    {Module: tok.Module, TokenLabel: tok.Label},
		"pin 0644":       {Module: tok.Module, TokenLabel: tok.Label, PINFile: loose},
		"wrong pin":      {Module: tok.Module, TokenLabel: tok.Label, PINFile: wrongPIN},
		"two lines":      {Module: tok.Module, TokenLabel: tok.Label, PINFile: twoLines},
		"missing pin":    {Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile + ".gone"},
		"unknown token":  {Module: tok.Module, TokenLabel: "nope", PINFile: tok.PINFile},
		"missing module": {Module: "/nonexistent/libpkcs11.so", TokenLabel: tok.Label, PINFile: tok.PINFile},
	}
	for name, cfg := range cases {
		if ks, err := Open(cfg, nil); ks != nil || !errors.Is(err, ErrHSMConfig) {
			t.Errorf("%s: Open = %v, %v; want nil, %v", name, ks, err, ErrHSMConfig)
		}
		s, err := OpenPKCS11(cfg)
		if !errors.Is(err, ErrHSMConfig) {
			t.Errorf("%s: err = %v, want %v", name, err, ErrHSMConfig)
		}
		if s != nil {
			s.Close()
		}
	}
	if _, err := OpenPKCS11(HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: loose}); err == nil ||
		!strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a 0644 PIN file's error should say the fix: %v", err)
	}
}
