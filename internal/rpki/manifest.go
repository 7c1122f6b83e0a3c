package rpki

import (
	encasn1 "encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// FileAndHash is one manifest entry: a file name and the SHA-256 of the file.
type FileAndHash struct {
	Name string
	Hash [32]byte
}

// Manifest is the RFC 9286 §4.2 eContent.
type Manifest struct {
	Number                 *big.Int
	ThisUpdate, NextUpdate time.Time
	Files                  []FileAndHash
}

// validManifestFileName checks RFC 9286 §4.2.2: [a-zA-Z0-9_-]+ then a
// single "." and a three-letter lowercase extension.
func validManifestFileName(name string) bool {
	if len(name) < 5 || len(name) > 255 || name[len(name)-4] != '.' {
		return false
	}
	for i := 0; i < len(name)-4; i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	for i := len(name) - 3; i < len(name); i++ {
		if c := name[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Encode returns the eContent DER: version omitted, GeneralizedTime
// thisUpdate/nextUpdate, sha256 fileHashAlg, files in the given order.
func (m *Manifest) Encode() ([]byte, error) {
	switch {
	case m.Number == nil || m.Number.Sign() < 0 || m.Number.BitLen() > 159:
		return nil, invalidf("manifest number must be non-negative and fit 20 octets (RFC 9286 §4.2.1)")
	case !m.NextUpdate.After(m.ThisUpdate) || !encodableTime(m.ThisUpdate) || !encodableTime(m.NextUpdate):
		return nil, invalidf("manifest nextUpdate must be after thisUpdate (RFC 9286 §4.2.1)")
	case len(m.Files) > maxManifestFiles:
		return nil, invalidf("manifest with %d files", len(m.Files))
	}
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if !validManifestFileName(f.Name) || seen[f.Name] {
			return nil, invalidf("manifest file name %q invalid or repeated", f.Name)
		}
		seen[f.Name] = true
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(m.Number)
		addGeneralizedTime(b, m.ThisUpdate)
		addGeneralizedTime(b, m.NextUpdate)
		b.AddASN1ObjectIdentifier(oidSHA256)
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, f := range m.Files {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(f.Name)) })
					addBitString(b, f.Hash[:], 0)
				})
			}
		})
	})
	return b.Bytes()
}

// ParseManifest parses the eContent strictly (RFC 9286 §4.2).
func ParseManifest(eContent []byte) (*Manifest, error) {
	if len(eContent) > maxSignedObjectSize {
		return nil, fmt.Errorf("%w: manifest", ErrTooLarge)
	}
	in := cryptobyte.String(eContent)
	var seq, list cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() {
		return nil, malformed("Manifest")
	}
	if seq.PeekASN1Tag(tagExplicit0) {
		return nil, profilef("manifest version present (must be the omitted DEFAULT 0, RFC 9286 §4.2.1)")
	}
	m := &Manifest{}
	var err error
	if m.Number, err = readSerial(&seq, "manifestNumber", true); err != nil {
		return nil, err
	}
	if m.ThisUpdate, err = readGeneralizedTime(&seq); err != nil {
		return nil, err
	}
	if m.NextUpdate, err = readGeneralizedTime(&seq); err != nil {
		return nil, err
	}
	if !m.NextUpdate.After(m.ThisUpdate) {
		return nil, profilef("manifest nextUpdate not after thisUpdate (RFC 9286 §4.2.1)")
	}
	var alg encasn1.ObjectIdentifier
	if !seq.ReadASN1ObjectIdentifier(&alg) {
		return nil, malformed("fileHashAlg")
	}
	if !alg.Equal(oidSHA256) {
		return nil, profilef("fileHashAlg %v is not SHA-256", alg)
	}
	if !seq.ReadASN1(&list, asn1.SEQUENCE) || !seq.Empty() {
		return nil, malformed("fileList")
	}
	seen := map[string]bool{}
	for !list.Empty() {
		if len(m.Files) >= maxManifestFiles {
			return nil, fmt.Errorf("%w: manifest with more than %d files", ErrTooLarge, maxManifestFiles)
		}
		var fh, name cryptobyte.String
		if !list.ReadASN1(&fh, asn1.SEQUENCE) || !fh.ReadASN1(&name, asn1.IA5String) {
			return nil, malformed("FileAndHash")
		}
		hash, err := readOctetAlignedBitString(&fh)
		if err != nil || !fh.Empty() {
			return nil, malformed("FileAndHash hash")
		}
		if len(hash) != 32 {
			return nil, profilef("manifest hash of %d octets", len(hash))
		}
		if !validManifestFileName(string(name)) {
			return nil, profilef("manifest file name %q (RFC 9286 §4.2.2)", name)
		}
		if seen[string(name)] {
			return nil, profilef("manifest lists %q twice", name)
		}
		seen[string(name)] = true
		f := FileAndHash{Name: string(name)}
		copy(f.Hash[:], hash)
		m.Files = append(m.Files, f)
	}
	return m, nil
}
