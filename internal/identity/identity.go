// Package identity is road's BPKI identity: the self-signed certificate and
// key with which it signs RFC 6492 up-down and RFC 8181 publication messages
// and which it hands to parents and repositories in RFC 8183 requests. It is
// unrelated to the RPKI resource certificates of internal/ca (RFC 8183 §5.1:
// the BPKI is a separate trust domain between two parties).
package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	encasn1 "encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
)

// Validity of a new identity certificate. It is the trust anchor the peer
// pins, so it outlives any key roll schedule; an identity roll replaces it.
const (
	Validity = 10 * 8766 * time.Hour
	backdate = 5 * time.Minute // keys: RSA 2048 (signer.KeyBits, RFC 7935 §3.1: the BPKI uses the RPKI's algorithms)
)

// ErrBadIdentity marks a stored identity that cannot be used.
var ErrBadIdentity = errors.New("identity-bad")

// Identity is a BPKI identity: a self-signed CA certificate and its key,
// in software or in an HSM (internal/signer).
type Identity struct {
	Handle string
	Cert   *x509.Certificate
	DER    []byte
	Key    signer.Key
}

// Generate makes a new identity for handle with a software key.
func Generate(handle string, now time.Time) (*Identity, error) {
	return GenerateIn(context.Background(), nil, handle, now)
}

// GenerateIn makes a new identity for handle: an RSA 2048 key in ks (nil:
// software) and a self-signed CA certificate, valid from now-5m for Validity.
func GenerateIn(ctx context.Context, ks signer.KeyStore, handle string, now time.Time) (*Identity, error) {
	key, err := keys(ks).Generate(ctx)
	if err != nil {
		return nil, fmt.Errorf("identity: key: %w", err)
	}
	return selfSign(handle, key, now)
}

// keys is ks, or software keys when nil.
func keys(ks signer.KeyStore) signer.KeyStore {
	if ks == nil {
		return signer.Software{}
	}
	return ks
}

func selfSign(handle string, key signer.Key, now time.Time) (*Identity, error) {
	ski, err := keyID(key.RSAPublicKey())
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject:      pkix.Name{CommonName: handle},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(Validity),
		// RFC 8183 §5.1: the BPKI TA is a CA certificate; it issues the
		// one-time EE certificates of each CMS message (RFC 6492 §3.1.1.4).
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		// Set explicitly: Go ≥ 1.25 would compute a truncated SHA-256,
		// while peers expect RFC 5280 §4.2.1.2 method (1).
		SubjectKeyId:       ski,
		AuthorityKeyId:     ski,
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.RSAPublicKey(), key)
	if err != nil {
		return nil, fmt.Errorf("identity: certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Identity{Handle: handle, Cert: cert, DER: der, Key: key}, nil
}

// keyID is the SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 (1)).
func keyID(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       encasn1.BitString
	}
	if _, err := encasn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.Key.Bytes)
	return sum[:], nil
}

// Signer returns the updown signer of this identity, for RFC 6492 and
// RFC 8181 CMS messages.
func (id *Identity) Signer(clock func() time.Time) *updown.Signer {
	return &updown.Signer{ID: id.Cert, Key: id.Key, Now: clock}
}

// OOB returns the identity as RFC 8183 XML carries it.
func (id *Identity) OOB() oob.Identity {
	o, err := oob.NewIdentity(id.DER)
	if err != nil {
		// The DER was made or checked by this package; parsing it again
		// cannot fail short of memory corruption.
		panic(fmt.Sprintf("identity: own certificate does not parse: %v", err))
	}
	return o
}

// Ensure is EnsureIn with software keys.
func Ensure(ctx context.Context, st *store.Store, handle string, now time.Time) (*Identity, error) {
	return EnsureIn(ctx, st, nil, handle, now)
}

// EnsureIn returns road's active identity, creating and storing one for
// handle, its key in ks (nil: software), when there is none yet. A stored
// identity keeps its handle: the handle is what parents and repositories
// know road by.
func EnsureIn(ctx context.Context, st *store.Store, ks signer.KeyStore, handle string, now time.Time) (*Identity, error) {
	var id *Identity
	err := st.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.Identity("active")
		if err == nil {
			id, err = FromRowIn(ctx, ks, row)
			return err
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if id, err = GenerateIn(ctx, ks, handle, now); err != nil {
			return err
		}
		return tx.PutIdentity(id.Row("active", now))
	})
	if err != nil {
		return nil, err
	}
	return id, nil
}

// Load is LoadIn with software keys.
func Load(ctx context.Context, st *store.Store, state string) (*Identity, error) {
	return LoadIn(ctx, st, nil, state)
}

// LoadIn returns the identity stored in state ("active" or "next"), its
// key found in ks (nil: software), or store.ErrNotFound.
func LoadIn(ctx context.Context, st *store.Store, ks signer.KeyStore, state string) (*Identity, error) {
	var id *Identity
	err := st.View(ctx, func(tx *store.Tx) error {
		row, err := tx.Identity(state)
		if err != nil {
			return err
		}
		id, err = FromRowIn(ctx, ks, row)
		return err
	})
	return id, err
}

// Row is the identity as the store keeps it: the key's handle (the PKCS#8
// DER of a software key, pkcs11:id=HEX of a key in an HSM).
func (id *Identity) Row(state string, now time.Time) store.IdentityRow {
	return store.IdentityRow{Handle: id.Handle, State: state, KeyDER: id.Key.Handle(), CertDER: id.DER, CreatedAt: now}
}

// FromRow is FromRowIn with software keys.
func FromRow(r store.IdentityRow) (*Identity, error) {
	return FromRowIn(context.Background(), nil, r)
}

// FromRowIn reads a stored identity, its key from ks (nil: software), and
// checks that key and certificate belong together.
func FromRowIn(ctx context.Context, ks signer.KeyStore, r store.IdentityRow) (*Identity, error) {
	key, err := keys(ks).Load(ctx, r.KeyDER)
	if err != nil {
		return nil, fmt.Errorf("%w: key: %w", ErrBadIdentity, err)
	}
	cert, err := x509.ParseCertificate(r.CertDER)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrBadIdentity, err)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(key.RSAPublicKey()) {
		return nil, fmt.Errorf("%w: certificate and key do not match", ErrBadIdentity)
	}
	return &Identity{Handle: r.Handle, Cert: cert, DER: r.CertDER, Key: key}, nil
}

// Roll is RollIn with software keys.
func Roll(ctx context.Context, st *store.Store, now time.Time) (*Identity, error) {
	return RollIn(ctx, st, nil, now)
}

// RollIn starts an identity roll: a new key in ks (nil: software) and
// certificate stored as the "next" identity, returned so that a new
// <child_request> or <publisher_request> can be sent. Promote
// (store.Tx.PromoteIdentity) ends it once the peers have the new
// certificate. A roll already under way is returned as it is.
func RollIn(ctx context.Context, st *store.Store, ks signer.KeyStore, now time.Time) (*Identity, error) {
	var id *Identity
	err := st.Update(ctx, func(tx *store.Tx) error {
		if row, err := tx.Identity("next"); err == nil {
			id, err = FromRowIn(ctx, ks, row)
			return err
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		cur, err := tx.Identity("active")
		if err != nil {
			return err
		}
		if id, err = GenerateIn(ctx, ks, cur.Handle, now); err != nil {
			return err
		}
		return tx.PutIdentity(id.Row("next", now))
	})
	return id, err
}
