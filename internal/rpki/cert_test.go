package rpki

import (
	"crypto/rand"
	"crypto/rsa"
	encasn1 "encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

func caTemplate(c *testChain) *Certificate {
	ip := NewIPResources(pfx("10.0.0.0/16"))
	return &Certificate{
		SerialNumber: big.NewInt(5), Subject: "child", NotBefore: testTime, NotAfter: testTime.AddDate(1, 0, 0),
		PublicKey: &c.caKey.PublicKey, IsCA: true,
		CRLDP: "rsync://x.test/ta/ta.crl", AIA: "rsync://x.test/ta.cer",
		SIA: SIA{CARepository: "rsync://x.test/ca/", Manifest: "rsync://x.test/ca/ca.mft"}, IP: &ip,
	}
}

func TestCertificateSpecBaseline(t *testing.T) {
	c := newTestChain(t)
	tmpl := caTemplate(c)
	spec := defaultSpec(t, tmpl, "ROAd test TA", c.taKey)
	der := spec.build(t, c.taKey)
	want, err := CreateCertificate(tmpl, "ROAd test TA", c.taKey)
	if err != nil {
		t.Fatal(err)
	}
	// PKCS#1 v1.5 signatures are deterministic: the builder reproduces CreateCertificate exactly.
	if string(der) != string(want) {
		t.Fatal("spec builder differs from CreateCertificate")
	}
	if _, err := ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
}

func TestParseCertificateProfileViolations(t *testing.T) {
	c := newTestChain(t)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	bits := func(b []byte, unused int) func(*cryptobyte.Builder) {
		return func(bb *cryptobyte.Builder) { addBitString(bb, b, unused) }
	}
	cases := []struct {
		name   string
		mutate func(t *testing.T, s *certSpec)
		want   error
		reason string
	}{
		{"v1 (no version)", func(t *testing.T, s *certSpec) { s.omitVersion = true }, ErrProfile, "version missing"},
		{"v2", func(t *testing.T, s *certSpec) { s.version = 1 }, ErrProfile, "want v3"},
		{"serial zero", func(t *testing.T, s *certSpec) { s.serial = big.NewInt(0) }, ErrProfile, "positive"},
		{"serial negative", func(t *testing.T, s *certSpec) { s.serial = big.NewInt(-5) }, ErrProfile, "positive"},
		{"serial 21 octets", func(t *testing.T, s *certSpec) { s.serial = new(big.Int).Lsh(big.NewInt(1), 160) }, ErrProfile, "20 octets"},
		{"sha1WithRSA in TBS", func(t *testing.T, s *certSpec) { s.tbsAlg = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5} }, ErrProfile, "TBS signature algorithm"},
		{"outer algorithm differs", func(t *testing.T, s *certSpec) { s.outerAlg = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5} }, ErrProfile, "signatureAlgorithm"},
		{"1024-bit key", func(t *testing.T, s *certSpec) {
			s.pub = &weak.PublicKey
			s.exts[extIndex(t, s.exts, oidExtSKI)] = ext(oidExtSKI, false, func(b *cryptobyte.Builder) { b.AddASN1OctetString(SubjectKeyID(&weak.PublicKey)) })
		}, ErrProfile, "RSA key of 1024 bits"},
		{"GeneralizedTime before 2050", func(t *testing.T, s *certSpec) { s.notBefore = generalizedTimeWriter(testTime) }, ErrProfile, "before 2050"},
		{"UTCTime without seconds", func(t *testing.T, s *certSpec) { s.notBefore = rawTimeWriter(asn1.UTCTime, "2611231200Z") }, ErrMalformed, "UTCTime"},
		{"UTCTime with offset", func(t *testing.T, s *certSpec) { s.notBefore = rawTimeWriter(asn1.UTCTime, "261123120000+0100") }, ErrMalformed, "UTCTime"},
		{"February 30", func(t *testing.T, s *certSpec) { s.notBefore = rawTimeWriter(asn1.UTCTime, "260230120000Z") }, ErrMalformed, "out of range"},
		{"trailing data", func(t *testing.T, s *certSpec) { s.trailing = []byte{0} }, ErrMalformed, "Certificate"},
		{"no keyUsage", func(t *testing.T, s *certSpec) {
			s.exts = slices.Delete(s.exts, extIndex(t, s.exts, oidExtKeyUsage), extIndex(t, s.exts, oidExtKeyUsage)+1)
		}, ErrProfile, "keyUsage missing"},
		{"keyUsage not critical", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtKeyUsage)] = ext(oidExtKeyUsage, false, bits([]byte{0x06}, 1))
		}, ErrProfile, "criticality"},
		{"CA keyUsage with digitalSignature", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtKeyUsage)] = ext(oidExtKeyUsage, true, bits([]byte{0x86}, 1))
		}, ErrProfile, "keyCertSign|cRLSign only"},
		{"pathLenConstraint", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtBasicConstraints)] = ext(oidExtBasicConstraints, true, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Boolean(true); b.AddASN1Int64(0) })
			})
		}, ErrProfile, "pathLenConstraint"},
		{"explicit critical FALSE", func(t *testing.T, s *certSpec) {
			var b cryptobyte.Builder
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidExtSKI)
				b.AddASN1Boolean(false)
				b.AddASN1(asn1.OCTET_STRING, func(b *cryptobyte.Builder) { b.AddASN1OctetString(SubjectKeyID(s.pub)) })
			})
			s.exts[extIndex(t, s.exts, oidExtSKI)] = b.BytesOrPanic()
		}, ErrMalformed, "DER"},
		{"extKeyUsage present", func(t *testing.T, s *certSpec) {
			s.exts = append(s.exts, ext(encasn1.ObjectIdentifier{2, 5, 29, 37}, false, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 30})
				})
			}))
		}, ErrProfile, "not allowed"},
		{"duplicate SKI", func(t *testing.T, s *certSpec) { s.exts = append(s.exts, s.exts[extIndex(t, s.exts, oidExtSKI)]) }, ErrProfile, "repeated"},
		{"SKI of another key", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtSKI)] = ext(oidExtSKI, false, func(b *cryptobyte.Builder) { b.AddASN1OctetString(SubjectKeyID(&c.eeKey.PublicKey)) })
		}, ErrProfile, "SHA-1 of the key"},
		{"AKI with issuer and serial", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtAKI)] = ext(oidExtAKI, false, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(tagImplicit0, func(b *cryptobyte.Builder) { b.AddBytes(SubjectKeyID(&c.taKey.PublicKey)) })
					b.AddASN1(asn1.Tag(2).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddUint8(1) })
				})
			})
		}, ErrProfile, "authorityCertIssuer"},
		{"two policies", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtCertPolicies)] = ext(oidExtCertPolicies, true, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidPolicyRPKI) })
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 14, 3})
					})
				})
			})
		}, ErrProfile, "more than one policy"},
		{"policies not critical", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtCertPolicies)] = ext(oidExtCertPolicies, false, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidPolicyRPKI) })
				})
			})
		}, ErrProfile, "criticality"},
		{"CRLDP with reasons", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtCRLDP)] = ext(oidExtCRLDP, false, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
							b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
								b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte("rsync://x.test/a.crl")) })
							})
						})
						b.AddASN1(asn1.Tag(1).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte{0x07, 0x80}) })
					})
				})
			})
		}, ErrProfile, "reasons"},
		{"CRLDP https only", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtCRLDP)] = ext(oidExtCRLDP, false, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
							b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
								b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte("https://x.test/a.crl")) })
							})
						})
					})
				})
			})
		}, ErrProfile, "without rsync"},
		{"no SIA manifest", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtSIA)] = ext(oidExtSIA, false, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { addAccessDescription(b, oidADCARepository, "rsync://x.test/ca/") })
			})
		}, ErrProfile, "rpkiManifest"},
		{"rpkiNotify over http", func(t *testing.T, s *certSpec) {
			s.exts[extIndex(t, s.exts, oidExtSIA)] = ext(oidExtSIA, false, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					addAccessDescription(b, oidADCARepository, "rsync://x.test/ca/")
					addAccessDescription(b, oidADManifest, "rsync://x.test/ca/a.mft")
					addAccessDescription(b, oidADNotify, "http://x.test/n.xml")
				})
			})
		}, ErrProfile, "not https"},
		{"IP extension not critical", func(t *testing.T, s *certSpec) {
			der, _ := NewIPResources(pfx("10.0.0.0/16")).Encode()
			s.exts[extIndex(t, s.exts, oidExtIPAddrBlocks)] = rawExt(oidExtIPAddrBlocks, false, der)
		}, ErrProfile, "criticality"},
		{"no resources", func(t *testing.T, s *certSpec) {
			s.exts = slices.Delete(s.exts, extIndex(t, s.exts, oidExtIPAddrBlocks), extIndex(t, s.exts, oidExtIPAddrBlocks)+1)
		}, ErrProfile, "no resource extension"},
		{"no AIA on a child", func(t *testing.T, s *certSpec) {
			s.exts = slices.Delete(s.exts, extIndex(t, s.exts, oidExtAIA), extIndex(t, s.exts, oidExtAIA)+1)
		}, ErrProfile, "CRLDP and AIA required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := defaultSpec(t, caTemplate(c), "ROAd test TA", c.taKey)
			tc.mutate(t, spec)
			_, err := ParseCertificate(spec.build(t, c.taKey))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("got %v, want %v containing %q", err, tc.want, tc.reason)
			}
		})
	}
}

func TestEECertificateProfile(t *testing.T) {
	c := newTestChain(t)
	ip := NewIPResources(pfx("10.0.0.0/24"))
	tmpl := &Certificate{SerialNumber: big.NewInt(9), Subject: "ee", NotBefore: testTime, NotAfter: testTime.Add(time.Hour),
		PublicKey: &c.eeKey.PublicKey, CRLDP: "rsync://x.test/ca/ca.crl", AIA: "rsync://x.test/ca.cer",
		SIA: SIA{SignedObject: "rsync://x.test/ca/a.roa"}, IP: &ip}
	der, err := CreateCertificate(tmpl, "ROAd test CA", c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	ee, err := ParseCertificate(der)
	if err != nil || ee.IsCA || ee.SIA.SignedObject != "rsync://x.test/ca/a.roa" {
		t.Fatalf("%v %+v", err, ee)
	}
	spec := defaultSpec(t, tmpl, "ROAd test CA", c.caKey)
	spec.exts = append([][]byte{ext(oidExtBasicConstraints, true, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {})
	})}, spec.exts...)
	if _, err := ParseCertificate(spec.build(t, c.caKey)); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "must be absent on EE") {
		t.Errorf("EE with basicConstraints: %v", err)
	}
	spec = defaultSpec(t, tmpl, "ROAd test CA", c.caKey)
	spec.exts[extIndex(t, spec.exts, oidExtSIA)] = ext(oidExtSIA, false, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addAccessDescription(b, oidADSignedObject, "rsync://x.test/ca/a.roa")
			addAccessDescription(b, oidADManifest, "rsync://x.test/ca/a.mft")
		})
	})
	if _, err := ParseCertificate(spec.build(t, c.caKey)); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), "EE SIA with CA access methods") {
		t.Errorf("EE with rpkiManifest: %v", err)
	}
}

func TestCreateCertificateRejects(t *testing.T) {
	c := newTestChain(t)
	mut := []func(*Certificate){
		func(x *Certificate) { x.SerialNumber = big.NewInt(0) },
		func(x *Certificate) { x.SerialNumber = new(big.Int).Lsh(big.NewInt(1), 159) },
		func(x *Certificate) { x.Subject = "bad_name" }, // '_' is not PrintableString
		func(x *Certificate) { x.NotAfter = x.NotBefore },
		func(x *Certificate) { x.IP = nil },
		func(x *Certificate) { x.SIA.Manifest = "" },
		func(x *Certificate) { x.CRLDP = "" },
		func(x *Certificate) { x.AIA = "https://x.test/ta.cer" },
		func(x *Certificate) { x.SIA.Notify = "rsync://x.test/n.xml" },
		func(x *Certificate) { x.IP = &IPResources{V4: &IPFamily{}} },
		func(x *Certificate) { x.NotBefore = time.Time{} },
	}
	for i, m := range mut {
		tmpl := caTemplate(c)
		m(tmpl)
		if _, err := CreateCertificate(tmpl, "ROAd test TA", c.taKey); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestSignObjectRejects(t *testing.T) {
	c := newTestChain(t)
	ip := NewIPResources(pfx("10.0.0.0/16"))
	ee := c.issueEE(t, 70, "rsync://x.test/ca/a.roa", &ip, nil)
	if _, err := SignObject(OIDROA, []byte{0x30, 0}, ee, c.eeKey, time.Time{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("zero signing time: %v", err)
	}
	if _, err := SignObject(OIDROA, []byte{0x30, 0}, ee, c.caKey, testTime); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("key not matching the EE: %v", err)
	}
	if _, err := SignObject(OIDROA, []byte{0x30, 0}, c.caDER, c.caKey, testTime); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("CA certificate as signer: %v", err)
	}
}

func TestTimeEncodingAfter2049(t *testing.T) {
	c := newTestChain(t)
	tmpl := caTemplate(c)
	tmpl.NotAfter = time.Date(2061, 3, 4, 5, 6, 7, 0, time.UTC)
	der, err := CreateCertificate(tmpl, "ROAd test TA", c.taKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(der), "\x18\x0f20610304050607Z") || !strings.Contains(string(der), "\x17\x0d"+testTime.Format("060102150405Z")) {
		t.Error("want GeneralizedTime for 2061 and UTCTime for 2026")
	}
	got, err := ParseCertificate(der)
	if err != nil || !got.NotAfter.Equal(tmpl.NotAfter) {
		t.Errorf("%v %v", err, got.NotAfter)
	}
}

func TestSizeBounds(t *testing.T) {
	big := make([]byte, maxObjectSize+1)
	if _, err := ParseCertificate(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("certificate: %v", err)
	}
	if _, err := ParseTAL(make([]byte, maxTALSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("TAL: %v", err)
	}
	if _, err := ParseSignedObject(make([]byte, maxSignedObjectSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("signed object: %v", err)
	}
}
