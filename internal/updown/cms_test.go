package updown

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// newIdentity makes a self-signed BPKI identity like RFC 8183 §5.2.1's,
// valid a day around t0, with a fixed clock.
func newIdentity(t testing.TB, cn string, now time.Time) *Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: t0.Add(-24 * time.Hour), NotAfter: t0.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	id, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Signer{ID: id, Key: key, Now: func() time.Time { return now }}
}

func TestWrapUnwrapRoundTrip(t *testing.T) {
	s := newIdentity(t, "child", t0.Add(500*time.Millisecond))
	xml, err := Marshal(&Message{Sender: "child", Recipient: "parent", Type: TypeList})
	if err != nil {
		t.Fatal(err)
	}
	der, err := Wrap(xml, s)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Unwrap(der, s.ID, t0.Add(2*time.Second), t0.Add(-time.Minute))
	if err != nil {
		t.Fatalf("Unwrap: %v", err)
	}
	if !bytes.Equal(u.XML, xml) || !u.SigningTime.Equal(t0) || u.BER || u.StaleCRL {
		t.Fatalf("got XML %q time %s BER %v stale %v", u.XML, u.SigningTime, u.BER, u.StaleCRL)
	}
	if u.EE.IsCA || !bytes.Equal(u.EE.RawIssuer, s.ID.RawSubject) || !u.EE.NotAfter.Equal(t0.Add(eeLifetime)) {
		t.Fatalf("EE certificate %v issuer %q notAfter %s", u.EE.IsCA, u.EE.Issuer, u.EE.NotAfter)
	}
	m, err := Parse(u.XML)
	if err != nil || summarize(m) != "child>parent list" {
		t.Fatalf("Parse: %v %v", m, err)
	}
}

func TestUnwrapRefusals(t *testing.T) {
	s := newIdentity(t, "child", t0)
	other := newIdentity(t, "someone else", t0)
	xml, _ := Marshal(&Message{Sender: "child", Recipient: "parent", Type: TypeList})
	der, err := Wrap(xml, s)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte)) []byte { b := bytes.Clone(der); f(b); return b }
	xmlAt := bytes.Index(der, []byte(`type="list"`))
	ctAt := bytes.Index(der, oidContentXMLDER())
	cases := []struct {
		name      string
		der       []byte
		id        *x509.Certificate
		now, last time.Time
		want      string
	}{
		{"signature flipped", mutate(func(b []byte) { b[len(b)-1] ^= 1 }), s.ID, t0, time.Time{}, ReasonCMSBadSignature},
		{"content changed", mutate(func(b []byte) { b[xmlAt+6] = 'X' }), s.ID, t0, time.Time{}, ReasonCMSBadSignature},
		{"content type", mutate(func(b []byte) { b[ctAt+len(oidContentXMLDER())-1] = 24 }), s.ID, t0, time.Time{}, ReasonCMSContentType},
		{"wrong identity", der, other.ID, t0, time.Time{}, ReasonCMSWrongIdentity},
		{"no identity", der, nil, t0, time.Time{}, ReasonCMSWrongIdentity},
		{"replayed", der, s.ID, t0, t0.Add(time.Second), ReasonCMSReplay},
		{"from the future", der, s.ID, t0.Add(-MaxFutureSkew - time.Second), time.Time{}, ReasonCMSSigningTime},
		{"EE expired", der, s.ID, t0.Add(eeLifetime + time.Second), time.Time{}, ReasonCMSCertExpired},
		{"identity expired", der, s.ID, t0.Add(-eeLifetime - time.Second), time.Time{}, ReasonCMSCertExpired},
		{"oversize", make([]byte, MaxMessageSize+1), s.ID, t0, time.Time{}, ReasonTooLarge},
		{"not CMS", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, s.ID, t0, time.Time{}, ReasonCMSMalformed},
		{"not BER", []byte("<message/>"), s.ID, t0, time.Time{}, ReasonCMSMalformed},
		{"truncated", der[:len(der)-10], s.ID, t0, time.Time{}, ReasonCMSMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Unwrap(c.der, c.id, c.now, c.last)
			if got := Reason(err); got != c.want {
				t.Fatalf("got %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

// oidContentXMLDER is the DER of id-ct-xml (tag, length, arcs).
func oidContentXMLDER() []byte {
	return []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x1c}
}

// TestCheckIdentityCRL covers §3.1.2 (4) with hand-made CRLs: revoked,
// stale (accepted, reported), from the future, missing, foreign.
func TestCheckIdentityCRL(t *testing.T) {
	s := newIdentity(t, "child", t0)
	xml, _ := Marshal(&Message{Sender: "child", Recipient: "parent", Type: TypeList})
	der, err := Wrap(xml, s)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Unwrap(der, s.ID, t0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	crl := func(signer *Signer, this, next time.Time, revoked ...*big.Int) []byte {
		l := &x509.RevocationList{Number: big.NewInt(7), ThisUpdate: this, NextUpdate: next}
		for _, r := range revoked {
			l.RevokedCertificateEntries = append(l.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: r, RevocationTime: this})
		}
		b, err := x509.CreateRevocationList(rand.Reader, l, signer.ID, signer.Key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	other := newIdentity(t, "other", t0)
	hour := time.Hour
	cases := []struct {
		name      string
		crls      [][]byte
		want      string
		wantStale bool
	}{
		{"current", [][]byte{crl(s, t0.Add(-hour), t0.Add(hour))}, "", false},
		{"stale", [][]byte{crl(s, t0.Add(-2*hour), t0.Add(-hour))}, "", true},
		{"revoked", [][]byte{crl(s, t0.Add(-hour), t0.Add(hour), big.NewInt(5), u.EE.SerialNumber)}, ReasonCMSRevoked, false},
		{"future", [][]byte{crl(s, t0.Add(hour), t0.Add(2*hour))}, ReasonCMSCRL, false},
		{"none", nil, ReasonCMSCRL, false},
		{"only a foreign CRL", [][]byte{crl(other, t0.Add(-hour), t0.Add(hour))}, ReasonCMSCRL, false},
		{"foreign then own", [][]byte{crl(other, t0.Add(-hour), t0.Add(hour)), crl(s, t0.Add(-hour), t0.Add(hour))}, "", false},
		{"garbage", [][]byte{{0x30, 0x00}}, ReasonCMSCRL, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stale, err := checkIdentity(u.EE, c.crls, s.ID, t0)
			if Reason(err) != c.want || stale != c.wantStale {
				t.Fatalf("got %q stale %v (%v), want %q stale %v", Reason(err), stale, err, c.want, c.wantStale)
			}
		})
	}
}

func TestCheckSigningTime(t *testing.T) {
	cases := []struct {
		st, now, last time.Time
		want          string
	}{
		{t0, t0, time.Time{}, ""},
		{t0, t0, t0, ""}, // equal to the last: accepted (§3.1.2 (5))
		{t0, t0, t0.Add(time.Nanosecond), ReasonCMSReplay},
		{t0.Add(MaxFutureSkew), t0, time.Time{}, ""},
		{t0.Add(MaxFutureSkew + time.Second), t0, time.Time{}, ReasonCMSSigningTime},
		{t0.Add(-MaxAge), t0, time.Time{}, ""},
		{t0.Add(-MaxAge - time.Second), t0, time.Time{}, ReasonCMSSigningTime},
	}
	for i, c := range cases {
		if got := Reason(checkSigningTime(c.st, c.now, c.last)); got != c.want {
			t.Errorf("case %d: got %q, want %q", i, got, c.want)
		}
	}
}

// selfSigned is newIdentity's certificate and key valid around now (for
// peers that use the real clock).
func selfSigned(t testing.TB, now time.Time) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "interop"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	id, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return id, key
}
