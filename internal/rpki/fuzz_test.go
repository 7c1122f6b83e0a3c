package rpki

import (
	"bytes"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
)

// seedCorpus adds up to max real files with the given extensions.
func seedCorpus(f *testing.F, max int, exts ...string) {
	roots := []string{testshared.Corpus(f, conformanceDir), testshared.Corpus(f, rpkiRSDir), testshared.Corpus(f, rpkiClientRD)}
	n := 0
	for _, root := range roots {
		filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || n >= max {
				return nil
			}
			for _, e := range exts {
				if filepath.Ext(p) == e {
					if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
						f.Add(b)
						n++
					}
				}
			}
			return nil
		})
	}
}

// eContentOf returns the eContent of a signed object, or nil.
func eContentOf(b []byte) []byte {
	so, err := ParseSignedObject(b)
	if err != nil {
		return nil
	}
	return so.EContent
}

func FuzzParseCertificate(f *testing.F) {
	seedCorpus(f, 40, ".cer")
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCertificate(b)
		if err != nil {
			return
		}
		if c.PublicKey == nil || len(c.SKI) != 20 || (c.IP == nil && c.AS == nil) {
			t.Fatalf("accepted certificate without key, SKI or resources")
		}
		if c.IP != nil {
			der, err := c.IP.Encode()
			if err != nil {
				t.Fatalf("re-encode accepted IP resources: %v", err)
			}
			if _, err := ParseIPResources(der); err != nil {
				t.Fatalf("re-parse: %v", err)
			}
		}
	})
}

func FuzzParseCRL(f *testing.F) {
	seedCorpus(f, 40, ".crl")
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCRL(b)
		if err == nil && (c.Number == nil || c.AKI == nil) {
			t.Fatal("accepted CRL without number or AKI")
		}
	})
}

func FuzzParseSignedObject(f *testing.F) {
	seedCorpus(f, 30, ".roa", ".mft")
	f.Fuzz(func(t *testing.T, b []byte) {
		so, err := ParseSignedObject(b)
		if err == nil && (so.EE == nil || so.EE.IsCA) {
			t.Fatal("accepted signed object without EE certificate")
		}
	})
}

// The eContent parsers accept inputs regardless of signatures, so fuzz them
// directly, seeded with real eContents.
func FuzzParseROA(f *testing.F) {
	for _, p := range []string{rpkiClientRD + "roa/Hf1ZR31W9DN5QSF6xJEO5qgH4ac.roa", conformanceDir + "/root/goodROAIPv4PfxesEqualRanges.roa"} {
		if ec := eContentOf(readCorpus(f, p)); ec != nil {
			f.Add(ec)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseROA(b)
		if err != nil {
			return
		}
		der, err := r.Encode()
		if err != nil {
			t.Fatalf("re-encode accepted ROA: %v", err)
		}
		r2, err := ParseROA(der)
		if err != nil || r2.ASID != r.ASID || len(r2.Prefixes) != len(r.Prefixes) {
			t.Fatalf("round trip: %v", err)
		}
		for _, v := range r.VRPs() {
			if err := v.Validate(); err != nil {
				t.Fatalf("invalid VRP %v: %v", v, err)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	for _, p := range []string{rpkiClientRD + "mft/RjQZ5pSL7riIcFGhdm4iFtIalko.mft", conformanceDir + "/root/root.mft"} {
		if ec := eContentOf(readCorpus(f, p)); ec != nil {
			f.Add(ec)
		}
	}
	for _, files := range [][]FileAndHash{nil, {{Name: "a.roa"}, {Name: "b-c_D.crl", Hash: [32]byte{1}}}} {
		m := &Manifest{Number: big.NewInt(7), ThisUpdate: testTime, NextUpdate: testTime.Add(time.Hour), Files: files}
		if der, err := m.Encode(); err == nil {
			f.Add(der)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		der, err := m.Encode()
		if err != nil {
			t.Fatalf("re-encode accepted manifest: %v", err)
		}
		if !bytes.Equal(der, b) {
			t.Fatalf("accepted manifest is not in the canonical DER this package writes")
		}
	})
}

func FuzzParseIPResources(f *testing.F) {
	f.Add(unhex(f, rfc3779B1NoSAFI))
	f.Add(unhex(f, "30 18 30 16 04 02 0001 30 10 30 0e 03 05 02 0a050004 03 05 03 0a050010"))
	f.Add(unhex(f, "30 0b 30 09 04 02 0002 30 03 03 01 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseIPResources(b)
		if err != nil {
			return
		}
		// Only canonical encodings are accepted, so re-encoding is byte-exact.
		der, err := r.Encode()
		if err != nil || !bytes.Equal(der, b) {
			t.Fatalf("accepted non-canonical %x (re-encoded %x, %v)", b, der, err)
		}
	})
}

func FuzzParseASResources(f *testing.F) {
	f.Add(unhex(f, rfc3779CNoRDI))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseASResources(b)
		if err != nil {
			return
		}
		der, err := a.Encode()
		if err != nil || !bytes.Equal(der, b) {
			t.Fatalf("accepted non-canonical %x (re-encoded %x, %v)", b, der, err)
		}
	})
}

func FuzzParseTAL(f *testing.F) {
	seedCorpus(f, 20, ".tal")
	f.Fuzz(func(t *testing.T, b []byte) {
		tal, err := ParseTAL(b)
		if err != nil {
			return
		}
		if _, err := ParseTAL(tal.Encode()); err != nil {
			t.Fatalf("re-parse of encoded TAL: %v", err)
		}
	})
}
