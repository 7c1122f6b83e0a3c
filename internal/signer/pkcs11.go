package signer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"github.com/roadrpki/road/internal/datadir"
)

// handlePrefix starts the handle of a token key; the CKA_ID follows in hex.
const handlePrefix = "pkcs11:id="

// maxPINFile bounds the PIN file read (a PIN is a short line).
const maxPINFile = 4096

// HSMConfig selects a PKCS#11 token ([hsm] in road.toml).
type HSMConfig struct {
	Module     string // path of the PKCS#11 module (.so)
	TokenLabel string // CKA_LABEL of the token
	PINFile    string // file holding the user PIN, mode 0600
}

// PKCS11 is a KeyStore in a PKCS#11 token: keys are generated on the token,
// sensitive and not extractable, and sign there.
type PKCS11 struct {
	ctx *crypto11.Context
}

// OpenPKCS11 opens the token cfg names and logs in with the PIN from
// cfg.PINFile, which must not be readable by group or others.
func OpenPKCS11(cfg HSMConfig) (*PKCS11, error) {
	if cfg.Module == "" || cfg.TokenLabel == "" || cfg.PINFile == "" {
		return nil, fmt.Errorf("signer: [hsm] needs module, token_label and pin_file: %w", ErrHSMConfig)
	}
	pin, err := readPIN(cfg.PINFile)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.Module); err != nil {
		return nil, fmt.Errorf("signer: PKCS#11 module: %v: %w", err, ErrHSMConfig)
	}
	c, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel, Pin: pin})
	if err != nil {
		return nil, fmt.Errorf("signer: open token %q with %s: %v: %w", cfg.TokenLabel, cfg.Module, err, ErrHSMConfig)
	}
	return &PKCS11{ctx: c}, nil
}

func readPIN(path string) (string, error) {
	if err := datadir.CheckSecret(path); err != nil {
		return "", fmt.Errorf("signer: PIN file: %v: %w", err, ErrHSMConfig)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("signer: PIN file: %v: %w", err, ErrHSMConfig)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPINFile+1))
	if err != nil {
		return "", fmt.Errorf("signer: PIN file: %v: %w", err, ErrHSMConfig)
	}
	pin := strings.TrimRight(string(b), "\r\n")
	if len(b) > maxPINFile || pin == "" || strings.ContainsAny(pin, "\r\n") {
		return "", fmt.Errorf("signer: PIN file %s must hold one line: %w", path, ErrHSMConfig)
	}
	return pin, nil
}

// Kind implements KeyStore.
func (*PKCS11) Kind() string { return "pkcs11" }

// Close logs out and releases the module.
func (p *PKCS11) Close() error { return p.ctx.Close() }

// Generate implements KeyStore: an RSA 2048 key pair on the token with a
// random CKA_ID, its private half sign-only, sensitive and never extractable.
func (p *PKCS11) Generate(ctx context.Context) (Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	label := []byte("road-" + hex.EncodeToString(id[:4]))
	pub, err := crypto11.NewAttributeSetWithIDAndLabel(id, label)
	if err != nil {
		return nil, fmt.Errorf("signer: %v: %w", err, ErrHSMOperation)
	}
	priv := pub.Copy()
	_ = pub.Set(crypto11.CkaEncrypt, false)
	for _, a := range []struct {
		t crypto11.AttributeType
		v bool
	}{{crypto11.CkaSensitive, true}, {crypto11.CkaExtractable, false}, {crypto11.CkaDecrypt, false},
		{crypto11.CkaSign, true}, {pkcs11.CKA_PRIVATE, true}} {
		if err := priv.Set(a.t, a.v); err != nil {
			return nil, fmt.Errorf("signer: %v: %w", err, ErrHSMOperation)
		}
	}
	s, err := p.ctx.GenerateRSAKeyPairWithAttributes(pub, priv, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("signer: generate on token: %v: %w", err, ErrHSMOperation)
	}
	return newTokenKey(s, id)
}

// Load implements KeyStore; software handles load as software keys.
func (p *PKCS11) Load(ctx context.Context, handle []byte) (Key, error) {
	if IsSoftwareHandle(handle) {
		return loadSoftware(handle)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, id, err := p.find(handle)
	if err != nil {
		return nil, err
	}
	return newTokenKey(s, id)
}

// Delete implements KeyStore: it destroys both halves on the token.
func (p *PKCS11) Delete(ctx context.Context, handle []byte) error {
	if IsSoftwareHandle(handle) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s, _, err := p.find(handle)
	if err != nil {
		return err
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("signer: delete %s: %v: %w", handle, err, ErrHSMOperation)
	}
	return nil
}

func (p *PKCS11) find(handle []byte) (crypto11.Signer, []byte, error) {
	id, err := ParseTokenHandle(handle)
	if err != nil {
		return nil, nil, err
	}
	found, err := p.ctx.FindKeyPairs(id, nil)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("signer: find %s: %v: %w", handle, err, ErrHSMOperation)
	case len(found) == 0:
		return nil, nil, fmt.Errorf("signer: no key pair %s on the token: %w", handle, ErrNotFound)
	case len(found) > 1:
		return nil, nil, fmt.Errorf("signer: %d key pairs share %s on the token: %w", len(found), handle, ErrHSMOperation)
	}
	return found[0], id, nil
}

// Handles lists the handles of every key pair on the token, sorted (for
// status and tests: which keys road left there).
func (p *PKCS11) Handles(ctx context.Context) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := p.ctx.FindAllKeyPairs()
	if err != nil {
		return nil, fmt.Errorf("signer: list key pairs: %v: %w", err, ErrHSMOperation)
	}
	var out [][]byte
	for _, s := range all {
		a, err := p.ctx.GetAttribute(s, crypto11.CkaId)
		if err != nil || a == nil {
			return nil, fmt.Errorf("signer: CKA_ID of a key pair: %v: %w", err, ErrHSMOperation)
		}
		out = append(out, []byte(handlePrefix+hex.EncodeToString(a.Value)))
	}
	slices.SortFunc(out, bytes.Compare)
	return out, nil
}

// ParseTokenHandle returns the CKA_ID of a token key's handle.
func ParseTokenHandle(handle []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(handle, []byte(handlePrefix))
	if !ok || len(rest) == 0 || len(rest) > 128 {
		return nil, fmt.Errorf("signer: %q is not a PKCS#11 handle: %w", shortHandle(handle), ErrBadHandle)
	}
	id, err := hex.DecodeString(string(rest))
	if err != nil {
		return nil, fmt.Errorf("signer: %q is not a PKCS#11 handle: %w", shortHandle(handle), ErrBadHandle)
	}
	return id, nil
}

// IsTokenHandle reports whether handle names a key in a PKCS#11 token.
func IsTokenHandle(handle []byte) bool { return bytes.HasPrefix(handle, []byte(handlePrefix)) }

func newTokenKey(s crypto11.Signer, id []byte) (Key, error) {
	pub, ok := s.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("signer: token key %x is %T: %w", id, s.Public(), ErrBadKey)
	}
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	return &tokenKey{s: s, id: id, pub: pub}, nil
}

// tokenKey signs on the token.
type tokenKey struct {
	s   crypto11.Signer
	id  []byte
	pub *rsa.PublicKey
}

func (k *tokenKey) Public() crypto.PublicKey     { return k.pub }
func (k *tokenKey) RSAPublicKey() *rsa.PublicKey { return k.pub }
func (k *tokenKey) Handle() []byte               { return []byte(handlePrefix + hex.EncodeToString(k.id)) }
func (k *tokenKey) ID() string                   { return "pkcs11:" + hex.EncodeToString(k.id) }

func (k *tokenKey) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := checkOpts(digest, opts); err != nil {
		return nil, err
	}
	sig, err := k.s.Sign(rand.Reader, digest, crypto.SHA256) // CKM_RSA_PKCS over the DigestInfo
	if err != nil {
		return nil, fmt.Errorf("signer: sign with %s: %v: %w", k.ID(), err, ErrHSMOperation)
	}
	return sig, nil
}

// Extractable reports the token's CKA_EXTRACTABLE and CKA_SENSITIVE of a
// token key (for status and tests): a safe key is (false, true).
func (p *PKCS11) Extractable(k Key) (extractable, sensitive bool, err error) {
	tk, ok := k.(*tokenKey)
	if !ok {
		return true, false, nil
	}
	attrs, err := p.ctx.GetAttributes(tk.s, []crypto11.AttributeType{crypto11.CkaExtractable, crypto11.CkaSensitive})
	if err != nil {
		return false, false, fmt.Errorf("signer: attributes of %s: %v: %w", k.ID(), err, ErrHSMOperation)
	}
	ext, sen := attrs[crypto11.CkaExtractable], attrs[crypto11.CkaSensitive]
	if ext == nil || sen == nil {
		return false, false, fmt.Errorf("signer: %s lacks CKA_EXTRACTABLE or CKA_SENSITIVE: %w", k.ID(), ErrHSMOperation)
	}
	return isTrue(ext.Value), isTrue(sen.Value), nil
}

func isTrue(v []byte) bool { return len(v) == 1 && v[0] != 0 }
