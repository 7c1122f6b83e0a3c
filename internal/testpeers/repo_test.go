package testpeers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// A minimal valid RPKI repository for the self-tests, made the way
// peers/mkrepo.sh does (one self-signed TA publishing a CRL, a manifest and
// one ROA), with Go's x509 for certificates and CRL and `openssl cms` for
// the RFC 6488 signed objects. Only to prove the RP helpers parse real
// output; the project's CA is tested elsewhere.

var (
	oidSIA             = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}
	oidCARepository    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}
	oidRPKIManifest    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}
	oidSignedObject    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 11}
	oidRPKINotify      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 13}
	oidCertPolicies    = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidRPKIPolicy      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 14, 2}
	oidIPAddrBlocks    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 7}
	oidASIdentifiers   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 8}
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidROAContent      = "1.2.840.113549.1.9.16.1.24"
	oidManifestContent = "1.2.840.113549.1.9.16.1.26"
)

type accessDescription struct {
	Method   asn1.ObjectIdentifier
	Location asn1.RawValue
}

func uriName(uri string) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(uri)} // GeneralName uniformResourceIdentifier
}

func mustDER(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func prefixBits(p netip.Prefix) asn1.BitString {
	a := p.Addr().AsSlice()
	return asn1.BitString{Bytes: a[:(p.Bits()+7)/8], BitLength: p.Bits()}
}

// ipAddrBlocks encodes RFC 3779 §2.2.3 IPAddrBlocks; nil prefixes = inherit.
func ipAddrBlocks(t *testing.T, v4, v6 []netip.Prefix, inherit bool) pkix.Extension {
	type family struct {
		AFI    []byte
		Choice asn1.RawValue
	}
	var fams []family
	for i, ps := range [][]netip.Prefix{v4, v6} {
		afi := []byte{0, byte(i + 1)}
		if inherit {
			fams = append(fams, family{afi, asn1.NullRawValue})
			continue
		}
		if len(ps) == 0 {
			continue
		}
		var addrs []asn1.BitString
		for _, p := range ps {
			addrs = append(addrs, prefixBits(p))
		}
		fams = append(fams, family{afi, asn1.RawValue{FullBytes: mustDER(t, addrs)}})
	}
	return pkix.Extension{Id: oidIPAddrBlocks, Critical: true, Value: mustDER(t, fams)}
}

// asIdentifiers encodes RFC 3779 §3.2.3 with one range, or inherit.
func asIdentifiers(t *testing.T, min, max int, inherit bool) pkix.Extension {
	choice := asn1.NullRawValue
	if !inherit {
		type asRange struct{ Min, Max int }
		choice = asn1.RawValue{FullBytes: mustDER(t, []asRange{{min, max}})}
	}
	inner := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: mustDER(t, choice)}
	return pkix.Extension{Id: oidASIdentifiers, Critical: true, Value: mustDER(t, struct{ ASNum asn1.RawValue }{inner})}
}

func rpkiExtensions(t *testing.T, sia []accessDescription) []pkix.Extension {
	type policy struct{ ID asn1.ObjectIdentifier }
	return []pkix.Extension{
		{Id: oidSIA, Value: mustDER(t, sia)},
		{Id: oidCertPolicies, Critical: true, Value: mustDER(t, []policy{{oidRPKIPolicy}})},
	}
}

// ski is the RFC 6487 §4.8.2 key identifier: SHA-1 of the subjectPublicKey bits.
func ski(t *testing.T, k *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var spki struct {
		Alg asn1.RawValue
		Key asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		t.Fatal(err)
	}
	h := sha1.Sum(spki.Key.Bytes)
	return h[:]
}

type testRepo struct {
	TAL      string    // TAL file
	Pub      string    // the directory served as rsync://127.0.0.1:PORT/repo/
	VRPs     []vrp.VRP // what a correct RP must output
	ROAPath  string    // pub/pp/roa1.roa
	ROAURI   string
	taKey    *rsa.PrivateKey
	taCert   *x509.Certificate
	base     string
	keysDir  string
	nextSeri int64
}

// buildTestRepo writes the repository into pub for rsync base
// rsync://127.0.0.1:PORT/repo; ROA AS64496 for 192.0.2.0/24, 198.51.100.0/22-24, 2001:db8::/32-48.
// A notify URI (https://) goes into the TA's SIA as rpkiNotify (RFC 8182 §3.2).
func buildTestRepo(t *testing.T, pub string, port int, notify ...string) *testRepo {
	t.Helper()
	Require(t, "openssl")
	base := "rsync://127.0.0.1:" + itoa(port) + "/repo"
	r := &testRepo{Pub: pub, base: base, keysDir: t.TempDir(), nextSeri: 1}
	mkdir(t, filepath.Join(pub, "ta"))
	mkdir(t, filepath.Join(pub, "pp"))
	now := time.Now().UTC().Truncate(time.Second)
	var err error
	if r.taKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	ta := &x509.Certificate{
		SerialNumber: big.NewInt(r.serial()), Subject: pkix.Name{CommonName: "Test Trust Anchor"},
		NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId: ski(t, r.taKey),
		ExtraExtensions: append(rpkiExtensions(t, taSIA(base, notify)),
			ipAddrBlocks(t, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/22")},
				[]netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}, false),
			asIdentifiers(t, 64496, 64511, false)),
	}
	der, err := x509.CreateCertificate(rand.Reader, ta, ta, &r.taKey.PublicKey, r.taKey)
	if err != nil {
		t.Fatal(err)
	}
	if r.taCert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pub, "ta", "ta.cer"), der)

	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: now.Add(-5 * time.Minute), NextUpdate: now.Add(24 * time.Hour),
	}, r.taCert, r.taKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pub, "pp", "ta.crl"), crl)

	// RFC 9582 ROA eContent; maxLength omitted when equal to the prefix length.
	type roaAddr struct {
		Address   asn1.BitString
		MaxLength int `asn1:"optional"`
	}
	type roaFamily struct {
		AFI       []byte
		Addresses []roaAddr
	}
	r.VRPs = mustVRPs(t, repoVRPs...)
	var v4, v6 []roaAddr
	var v4p, v6p []netip.Prefix
	for _, v := range r.VRPs {
		a := roaAddr{Address: prefixBits(v.Prefix)}
		if int(v.MaxLen) != v.Prefix.Bits() {
			a.MaxLength = int(v.MaxLen)
		}
		if v.IsV4() {
			v4, v4p = append(v4, a), append(v4p, v.Prefix)
		} else {
			v6, v6p = append(v6, a), append(v6p, v.Prefix)
		}
	}
	roa := mustDER(t, struct {
		ASID   int
		Blocks []roaFamily
	}{64496, []roaFamily{{[]byte{0, 1}, v4}, {[]byte{0, 2}, v6}}})
	r.ROAPath = filepath.Join(pub, "pp", "roa1.roa")
	r.ROAURI = base + "/pp/roa1.roa"
	r.signObject(t, "roa1", oidROAContent, roa, r.ROAPath, ipAddrBlocks(t, v4p, v6p, false))
	r.writeManifest(t, 1)

	spki, err := x509.MarshalPKIXPublicKey(&r.taKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	r.TAL = filepath.Join(t.TempDir(), "test.tal")
	writeFile(t, r.TAL, []byte(base+"/ta/ta.cer\n\n"+base64.StdEncoding.EncodeToString(spki)+"\n"))
	return r
}

func taSIA(base string, notify []string) []accessDescription {
	sia := []accessDescription{{oidCARepository, uriName(base + "/pp/")}, {oidRPKIManifest, uriName(base + "/pp/ta.mft")}}
	for _, n := range notify {
		sia = append(sia, accessDescription{oidRPKINotify, uriName(n)})
	}
	return sia
}

// writeManifest (re)writes pp/ta.mft listing every other file in pp/ (RFC 9286 §4.2).
func (r *testRepo) writeManifest(t *testing.T, number int64) {
	t.Helper()
	type fileAndHash struct {
		File string `asn1:"ia5"`
		Hash asn1.BitString
	}
	entries, err := os.ReadDir(filepath.Join(r.Pub, "pp"))
	if err != nil {
		t.Fatal(err)
	}
	var files []fileAndHash
	for _, e := range entries {
		if e.Name() == "ta.mft" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(r.Pub, "pp", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		files = append(files, fileAndHash{e.Name(), asn1.BitString{Bytes: h[:], BitLength: 256}})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].File < files[j].File })
	now := time.Now().UTC().Truncate(time.Second)
	mft := mustDER(t, struct {
		Number     *big.Int
		ThisUpdate time.Time `asn1:"generalized"`
		NextUpdate time.Time `asn1:"generalized"`
		Alg        asn1.ObjectIdentifier
		Files      []fileAndHash
	}{big.NewInt(number), now.Add(-5 * time.Minute), now.Add(24 * time.Hour), oidSHA256, files})
	r.signObject(t, "mft", oidManifestContent, mft, filepath.Join(r.Pub, "pp", "ta.mft"), ipAddrBlocks(t, nil, nil, true),
		asIdentifiers(t, 0, 0, true))
}

// signObject issues a one-time EE certificate and wraps econtent in a CMS
// SignedData (RFC 6488) with openssl, as peers/mkrepo.sh does.
func (r *testRepo) signObject(t *testing.T, name, contentType string, econtent []byte, out string, resources ...pkix.Extension) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	uri := r.base + "/pp/" + filepath.Base(out)
	ee := &x509.Certificate{
		SerialNumber: big.NewInt(r.serial()), Subject: pkix.Name{CommonName: name + " EE"},
		NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, SubjectKeyId: ski(t, key),
		CRLDistributionPoints: []string{r.base + "/pp/ta.crl"}, IssuingCertificateURL: []string{r.base + "/ta/ta.cer"},
		ExtraExtensions: append(rpkiExtensions(t, []accessDescription{{oidSignedObject, uriName(uri)}}), resources...),
	}
	der, err := x509.CreateCertificate(rand.Reader, ee, r.taCert, &key.PublicKey, r.taKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := filepath.Join(r.keysDir, name+".pem")
	keyPEM := filepath.Join(r.keysDir, name+".key")
	content := filepath.Join(r.keysDir, name+".econtent")
	writeFile(t, certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyPEM, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	writeFile(t, content, econtent)
	cmd := exec.Command("openssl", "cms", "-sign", "-binary", "-nodetach", "-nosmimecap", "-keyid", "-md", "sha256",
		"-econtent_type", contentType, "-signer", certPEM, "-inkey", keyPEM, "-in", content, "-outform", "DER", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms: %v\n%s", err, b)
	}
}

func (r *testRepo) serial() int64 { r.nextSeri++; return r.nextSeri }

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }
