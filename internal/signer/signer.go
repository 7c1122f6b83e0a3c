// Package signer holds the long-lived private keys of road's CAs and of its
// BPKI identity: in software (PKCS#8 DER that the caller keeps in SQLite, the
// default) or in a PKCS#11 token. Every key is RSA 2048 with e = 65537 and
// signs SHA-256 digests with PKCS#1 v1.5 only (RFC 7935 §2 and §3, RFC 6485).
// One-time EE keys never come here: they stay in software.
package signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/roadrpki/road/internal/rpki"
)

// KeyBits is the RSA modulus size (RFC 7935 §3).
const KeyBits = 2048

// Stable reason codes of this package's errors.
var (
	ErrBadKey       = errors.New("signer-bad-key")       // not an RSA 2048 key with e = 65537
	ErrBadHandle    = errors.New("signer-bad-handle")    // a handle this store cannot read
	ErrNotFound     = errors.New("signer-key-not-found") // no key behind the handle
	ErrAlgorithm    = errors.New("signer-bad-algorithm") // anything but SHA-256 PKCS#1 v1.5
	ErrNoHSM        = errors.New("signer-hsm-not-configured")
	ErrHSMConfig    = errors.New("signer-bad-hsm-config") // module, token label or PIN file unusable
	ErrHSMOperation = errors.New("signer-hsm-failed")     // the token refused or failed an operation
)

// Key is a private key in a KeyStore.
type Key interface {
	crypto.Signer
	// Handle is what the database keeps to find the key again: the PKCS#8
	// DER for a software key, "pkcs11:id=<hex CKA_ID>" for a token key.
	Handle() []byte
	// ID names the key in logs and history without revealing it:
	// "software:<SKI hex>" or "pkcs11:<CKA_ID hex>".
	ID() string
	// RSAPublicKey is the key's public half.
	RSAPublicKey() *rsa.PublicKey
}

// KeyStore makes, finds and destroys keys.
type KeyStore interface {
	// Kind is "software" or "pkcs11".
	Kind() string
	// Generate makes a new key pair and returns it with its handle.
	Generate(ctx context.Context) (Key, error)
	// Load finds the key behind handle. Every store also loads software
	// handles, so keys made before an HSM was configured stay usable.
	Load(ctx context.Context, handle []byte) (Key, error)
	// Delete destroys the key behind handle (a no-op for software keys,
	// whose only copy is the database row the caller deletes).
	Delete(ctx context.Context, handle []byte) error
	// Close releases the store's resources.
	Close() error
}

// Software keeps keys in memory and hands their PKCS#8 DER out as the handle
// for the caller to store. Gen, when set, supplies fresh keys (a pool);
// otherwise keys are generated inline.
type Software struct {
	Gen func(ctx context.Context) (*rsa.PrivateKey, error)
}

// Kind implements KeyStore.
func (Software) Kind() string { return "software" }

// Close implements KeyStore.
func (Software) Close() error { return nil }

// Delete implements KeyStore: the key's only copy is its handle.
func (Software) Delete(context.Context, []byte) error { return nil }

// Generate implements KeyStore.
func (s Software) Generate(ctx context.Context) (Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var k *rsa.PrivateKey
	var err error
	if s.Gen != nil {
		k, err = s.Gen(ctx)
	} else {
		k, err = rsa.GenerateKey(rand.Reader, KeyBits)
	}
	if err != nil {
		return nil, fmt.Errorf("signer: generate: %w", err)
	}
	return NewSoftwareKey(k)
}

// Load implements KeyStore.
func (Software) Load(_ context.Context, handle []byte) (Key, error) {
	return loadSoftware(handle)
}

// IsSoftwareHandle reports whether handle is a PKCS#8 DER key rather than a
// token reference (a DER SEQUENCE starts with 0x30; token handles are text).
func IsSoftwareHandle(handle []byte) bool { return len(handle) > 0 && handle[0] == 0x30 }

func loadSoftware(handle []byte) (Key, error) {
	if IsTokenHandle(handle) {
		return nil, fmt.Errorf("signer: key %s is in a PKCS#11 token; configure [hsm] (module, token_label, pin_file): %w",
			handle, ErrNoHSM)
	}
	if !IsSoftwareHandle(handle) {
		return nil, fmt.Errorf("signer: %q is not a software key: %w", shortHandle(handle), ErrBadHandle)
	}
	k, err := x509.ParsePKCS8PrivateKey(handle)
	if err != nil {
		return nil, fmt.Errorf("signer: software key: %v: %w", err, ErrBadHandle)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signer: software key is %T: %w", k, ErrBadKey)
	}
	return NewSoftwareKey(rk)
}

// NewSoftwareKey wraps an RSA private key as a Key.
func NewSoftwareKey(k *rsa.PrivateKey) (Key, error) {
	if err := checkPublic(&k.PublicKey); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("signer: encode key: %w", err)
	}
	return &softKey{key: k, der: der}, nil
}

type softKey struct {
	key *rsa.PrivateKey
	der []byte
}

func (k *softKey) Public() crypto.PublicKey     { return &k.key.PublicKey }
func (k *softKey) RSAPublicKey() *rsa.PublicKey { return &k.key.PublicKey }
func (k *softKey) Handle() []byte               { return append([]byte(nil), k.der...) }
func (k *softKey) ID() string {
	return "software:" + hex.EncodeToString(rpki.SubjectKeyID(&k.key.PublicKey))
}

func (k *softKey) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := checkOpts(digest, opts); err != nil {
		return nil, err
	}
	return rsa.SignPKCS1v15(r, k.key, crypto.SHA256, digest)
}

// checkOpts admits only SHA-256 digests signed with PKCS#1 v1.5 (RFC 7935
// §2: sha256WithRSAEncryption is the one signature algorithm).
func checkOpts(digest []byte, opts crypto.SignerOpts) error {
	if opts == nil || opts.HashFunc() != crypto.SHA256 {
		return fmt.Errorf("signer: only SHA-256 digests are signed: %w", ErrAlgorithm)
	}
	if _, pss := opts.(*rsa.PSSOptions); pss {
		return fmt.Errorf("signer: RSASSA-PSS is not an RPKI algorithm: %w", ErrAlgorithm)
	}
	if len(digest) != crypto.SHA256.Size() {
		return fmt.Errorf("signer: digest has %d octets, not 32: %w", len(digest), ErrAlgorithm)
	}
	return nil
}

// checkPublic admits RSA 2048 keys with e = 65537 (RFC 7935 §3).
func checkPublic(pub *rsa.PublicKey) error {
	if pub == nil || pub.N.BitLen() != KeyBits || pub.E != 65537 {
		return fmt.Errorf("signer: key is not RSA %d with e = 65537: %w", KeyBits, ErrBadKey)
	}
	return nil
}

// shortHandle shows a handle in an error without leaking key material.
func shortHandle(h []byte) string {
	if IsSoftwareHandle(h) {
		return "<PKCS#8 key>"
	}
	if len(h) > 64 {
		h = h[:64]
	}
	return string(h)
}

// Open returns the KeyStore cfg selects: the PKCS#11 token when cfg.Module
// is set, else software keys drawn from gen (nil: generated inline).
func Open(cfg HSMConfig, gen func(ctx context.Context) (*rsa.PrivateKey, error)) (KeyStore, error) {
	if cfg == (HSMConfig{}) {
		return Software{Gen: gen}, nil
	}
	p, err := OpenPKCS11(cfg)
	if err != nil {
		return nil, err // not a nil *PKCS11 in a non-nil KeyStore
	}
	return p, nil
}
