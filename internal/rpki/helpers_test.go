package rpki

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"math/big"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testKeysOnce sync.Once
	testKeys     [4]*rsa.PrivateKey
)

// testKey returns one of four RSA-2048 keys generated once per test binary.
func testKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	testKeysOnce.Do(func() {
		for j := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[j] = k
		}
	})
	return testKeys[i]
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// testTime is a fixed clock for deterministic objects.
var testTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testChain is a TA, a child CA and their keys.
type testChain struct {
	taKey, caKey, eeKey *rsa.PrivateKey
	taDER, caDER        []byte
	ta, ca              *Certificate
}

func newTestChain(t testing.TB) *testChain {
	t.Helper()
	c := &testChain{taKey: testKey(t, 0), caKey: testKey(t, 1), eeKey: testKey(t, 2)}
	ip := NewIPResources(pfx("10.0.0.0/8"), pfx("192.0.2.0/24"), pfx("2001:db8::/32"))
	as := ASResources{Ranges: []ASRange{{64496, 64511}}}
	taTmpl := &Certificate{
		SerialNumber: big.NewInt(1), Subject: "ROAd test TA",
		NotBefore: testTime.Add(-time.Hour), NotAfter: testTime.AddDate(1, 0, 0),
		PublicKey: &c.taKey.PublicKey, IsCA: true,
		SIA: SIA{CARepository: "rsync://example.test/repo/ta/",
			Manifest: "rsync://example.test/repo/ta/" + KeyFileName(&c.taKey.PublicKey, ".mft"),
			Notify:   "https://example.test/rrdp/notification.xml"},
		IP: &ip, AS: &as,
	}
	var err error
	if c.taDER, err = CreateCertificate(taTmpl, taTmpl.Subject, c.taKey); err != nil {
		t.Fatal(err)
	}
	if c.ta, err = ParseCertificate(c.taDER); err != nil {
		t.Fatal(err)
	}
	caIP := NewIPResources(pfx("10.0.0.0/16"), pfx("192.0.2.0/24"), pfx("2001:db8::/48"))
	caTmpl := &Certificate{
		SerialNumber: big.NewInt(2), Subject: "ROAd test CA",
		NotBefore: testTime.Add(-time.Hour), NotAfter: testTime.AddDate(0, 6, 0),
		PublicKey: &c.caKey.PublicKey, IsCA: true,
		CRLDP: "rsync://example.test/repo/ta/" + KeyFileName(&c.taKey.PublicKey, ".crl"),
		AIA:   "rsync://example.test/repo/ta/ta.cer",
		SIA: SIA{CARepository: "rsync://example.test/repo/ca/",
			Manifest: "rsync://example.test/repo/ca/" + KeyFileName(&c.caKey.PublicKey, ".mft")},
		IP: &caIP, AS: &ASResources{Inherit: true},
	}
	if c.caDER, err = CreateCertificate(caTmpl, "ROAd test TA", c.taKey); err != nil {
		t.Fatal(err)
	}
	if c.ca, err = ParseCertificate(c.caDER); err != nil {
		t.Fatal(err)
	}
	return c
}

// issueEE issues an EE certificate under the child CA for a signed object.
func (c *testChain) issueEE(t testing.TB, serial int64, uri string, ip *IPResources, as *ASResources) []byte {
	t.Helper()
	der, err := CreateCertificate(&Certificate{
		SerialNumber: big.NewInt(serial), Subject: "ROAd test EE",
		NotBefore: testTime.Add(-time.Hour), NotAfter: testTime.AddDate(0, 1, 0),
		PublicKey: &c.eeKey.PublicKey,
		CRLDP:     "rsync://example.test/repo/ca/" + KeyFileName(&c.caKey.PublicKey, ".crl"),
		AIA:       "rsync://example.test/repo/ta/ca.cer",
		SIA:       SIA{SignedObject: uri}, IP: ip, AS: as,
	}, "ROAd test CA", c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
