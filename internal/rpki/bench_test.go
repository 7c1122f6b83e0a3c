package rpki

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"testing"
	"time"
)

// BenchmarkIssueROA: one EE certificate plus the signed ROA (two RSA-2048
// signatures), the CA's cost per ROA.
func BenchmarkIssueROA(b *testing.B) {
	c := newTestChain(b)
	roa := &ROA{ASID: 64496, Prefixes: []ROAPrefix{{Prefix: pfx("10.0.0.0/16"), MaxLength: 24}}}
	ip := NewIPResources(pfx("10.0.0.0/16"))
	for i := 0; b.Loop(); i++ {
		ec, err := roa.Encode()
		if err != nil {
			b.Fatal(err)
		}
		ee := c.issueEE(b, int64(100+i), "rsync://x.test/ca/a.roa", &ip, nil)
		if _, err := SignObject(OIDROA, ec, ee, c.eeKey, testTime); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseROAObject: full parse and CMS signature check of one ROA,
// the relying party's cost per ROA.
func BenchmarkParseROAObject(b *testing.B) {
	c := newTestChain(b)
	roa := &ROA{ASID: 64496, Prefixes: []ROAPrefix{{Prefix: pfx("10.0.0.0/16"), MaxLength: 24}}}
	ip := NewIPResources(pfx("10.0.0.0/16"))
	ec, _ := roa.Encode()
	der, err := SignObject(OIDROA, ec, c.issueEE(b, 100, "rsync://x.test/ca/a.roa", &ip, nil), c.eeKey, testTime)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(der)))
	for b.Loop() {
		if _, _, err := ParseROAObject(der); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkManifest10k: encode and parse a manifest listing 10,000 files.
func BenchmarkManifest10k(b *testing.B) {
	m := &Manifest{Number: big.NewInt(1), ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour)}
	for i := range 10000 {
		m.Files = append(m.Files, FileAndHash{Name: fmt.Sprintf("obj%05d.roa", i), Hash: sha256.Sum256([]byte{byte(i)})})
	}
	for b.Loop() {
		der, err := m.Encode()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseManifest(der); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseIPResources(b *testing.B) {
	der := unhex(b, rfc3779B1NoSAFI)
	for b.Loop() {
		if _, err := ParseIPResources(der); err != nil {
			b.Fatal(err)
		}
	}
}
