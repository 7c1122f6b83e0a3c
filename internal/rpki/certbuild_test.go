package rpki

import (
	"crypto/rsa"
	encasn1 "encoding/asn1"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// certSpec describes a certificate field by field so tests can break one
// profile rule at a time.
type certSpec struct {
	omitVersion       bool
	version           int64
	serial            *big.Int
	tbsAlg, outerAlg  encasn1.ObjectIdentifier
	issuer, subject   string
	notBefore, notAft func(*cryptobyte.Builder)
	pub               *rsa.PublicKey
	exts              [][]byte
	trailing          []byte
}

// defaultSpec is the spec CreateCertificate would use for tmpl.
func defaultSpec(t *testing.T, tmpl *Certificate, issuerName string, issuerKey *rsa.PrivateKey) *certSpec {
	t.Helper()
	var b cryptobyte.Builder
	if err := addCertExtensions(&b, tmpl, issuerKey.PublicKey.Equal(tmpl.PublicKey), &issuerKey.PublicKey); err != nil {
		t.Fatal(err)
	}
	all := cryptobyte.String(b.BytesOrPanic())
	var exts [][]byte
	for !all.Empty() {
		var e cryptobyte.String
		if !all.ReadASN1Element(&e, asn1.SEQUENCE) {
			t.Fatal("split extensions")
		}
		exts = append(exts, e)
	}
	return &certSpec{
		version: 2, serial: tmpl.SerialNumber, tbsAlg: oidSHA256WithRSA, outerAlg: oidSHA256WithRSA,
		issuer: issuerName, subject: tmpl.Subject,
		notBefore: func(b *cryptobyte.Builder) { addTime(b, tmpl.NotBefore) },
		notAft:    func(b *cryptobyte.Builder) { addTime(b, tmpl.NotAfter) },
		pub:       tmpl.PublicKey, exts: exts,
	}
}

func (s *certSpec) build(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	var tbs cryptobyte.Builder
	tbs.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if !s.omitVersion {
			b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Int64(s.version) })
		}
		b.AddASN1BigInt(s.serial)
		addAlgorithm(b, s.tbsAlg, true)
		addName(b, s.issuer)
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { s.notBefore(b); s.notAft(b) })
		addName(b, s.subject)
		addSPKI(b, s.pub)
		b.AddASN1(tagExplicit3, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, e := range s.exts {
					b.AddBytes(e)
				}
			})
		})
	})
	der, err := signTBS(tbs.BytesOrPanic(), key)
	if err != nil {
		t.Fatal(err)
	}
	if !s.outerAlg.Equal(oidSHA256WithRSA) { // rewrite the outer AlgorithmIdentifier
		in := cryptobyte.String(der)
		var body, tbsEl cryptobyte.String
		in.ReadASN1(&body, asn1.SEQUENCE)
		body.ReadASN1Element(&tbsEl, asn1.SEQUENCE)
		readAlgorithm(&body)
		var out cryptobyte.Builder
		out.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(tbsEl)
			addAlgorithm(b, s.outerAlg, true)
			b.AddBytes(body)
		})
		der = out.BytesOrPanic()
	}
	return append(der, s.trailing...)
}

// ext builds one raw Extension.
func ext(oid encasn1.ObjectIdentifier, critical bool, value func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	addExtension(&b, oid, critical, value)
	return b.BytesOrPanic()
}

func rawExt(oid encasn1.ObjectIdentifier, critical bool, value []byte) []byte {
	return ext(oid, critical, func(b *cryptobyte.Builder) { b.AddBytes(value) })
}

// extIndex returns the index of the extension with oid in exts.
func extIndex(t *testing.T, exts [][]byte, oid encasn1.ObjectIdentifier) int {
	t.Helper()
	for i, e := range exts {
		s := cryptobyte.String(e)
		var body cryptobyte.String
		var o encasn1.ObjectIdentifier
		if s.ReadASN1(&body, asn1.SEQUENCE) && body.ReadASN1ObjectIdentifier(&o) && o.Equal(oid) {
			return i
		}
	}
	t.Fatalf("no extension %v", oid)
	return -1
}

func generalizedTimeWriter(t time.Time) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) { addGeneralizedTime(b, t) }
}

func rawTimeWriter(tag asn1.Tag, s string) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
	}
}
