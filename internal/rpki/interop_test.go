package rpki_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// interopRepo is a small repository written by this package: a TA, a child
// CA and two ROAs, each publication point with a manifest and a CRL.
type interopRepo struct {
	dir, tal             string
	files                map[string]string // local path -> rsync URI
	roa1, roa2, mft, crl string            // local paths
	caCert, taCert       string
	vrps                 []vrp.VRP
}

func mustVRP(t *testing.T, s string) vrp.VRP {
	t.Helper()
	v, err := vrp.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pubPoint collects the files of one publication point to list on its manifest.
type pubPoint struct {
	dir, uri string
	files    []rpki.FileAndHash
}

func (p *pubPoint) add(t *testing.T, r *interopRepo, name string, der []byte) string {
	path := filepath.Join(p.dir, name)
	writeFile(t, path, der)
	r.files[path] = p.uri + name
	p.files = append(p.files, rpki.FileAndHash{Name: name, Hash: sha256.Sum256(der)})
	return path
}

// finish writes the CRL and the manifest of a publication point.
func (p *pubPoint) finish(t *testing.T, r *interopRepo, issuerName string, issuerKey *rsa.PrivateKey, aia string, serial int64, now time.Time) (crlPath, mftPath string) {
	t.Helper()
	crlDER, err := rpki.CreateCRL(&rpki.CRL{Issuer: issuerName, ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour),
		Number: big.NewInt(1), Revoked: []rpki.RevokedCert{{Serial: big.NewInt(999), RevocationTime: now.Add(-time.Hour)}}}, issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	crlName := rpki.KeyFileName(&issuerKey.PublicKey, ".crl")
	crlPath = p.add(t, r, crlName, crlDER)
	mft := &rpki.Manifest{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour), Files: p.files}
	ec, err := mft.Encode()
	if err != nil {
		t.Fatal(err)
	}
	eeKey := mustKey(t)
	mftName := rpki.KeyFileName(&issuerKey.PublicKey, ".mft")
	ee, err := rpki.CreateCertificate(&rpki.Certificate{
		SerialNumber: big.NewInt(serial), Subject: fmt.Sprintf("%X", rpki.SubjectKeyID(&eeKey.PublicKey)),
		NotBefore: mft.ThisUpdate, NotAfter: mft.NextUpdate, PublicKey: &eeKey.PublicKey,
		CRLDP: p.uri + crlName, AIA: aia, SIA: rpki.SIA{SignedObject: p.uri + mftName},
		IP: &rpki.IPResources{V4: &rpki.IPFamily{Inherit: true}, V6: &rpki.IPFamily{Inherit: true}},
		AS: &rpki.ASResources{Inherit: true},
	}, issuerName, issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	der, err := rpki.SignObject(rpki.OIDManifest, ec, ee, eeKey, now)
	if err != nil {
		t.Fatal(err)
	}
	mftPath = filepath.Join(p.dir, mftName)
	writeFile(t, mftPath, der)
	r.files[mftPath] = p.uri + mftName
	return crlPath, mftPath
}

func buildInteropRepo(t *testing.T, pub string, port int) *interopRepo {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	base := fmt.Sprintf("rsync://127.0.0.1:%d/repo/", port)
	r := &interopRepo{dir: pub, files: map[string]string{}}
	taKey, caKey := mustKey(t), mustKey(t)
	taName, caName := "ROAd-interop-TA", fmt.Sprintf("%X", rpki.SubjectKeyID(&caKey.PublicKey))

	taIP := rpki.NewIPResources(netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("2001:db8::/32"))
	taAS := rpki.ASResources{Ranges: []rpki.ASRange{{Min: 64496, Max: 64511}}}
	taURI := base + "ta.cer"
	ta := &pubPoint{dir: filepath.Join(pub, "ta"), uri: base + "ta/"}
	taDER, err := rpki.CreateCertificate(&rpki.Certificate{
		SerialNumber: big.NewInt(1), Subject: taName, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		PublicKey: &taKey.PublicKey, IsCA: true,
		SIA: rpki.SIA{CARepository: ta.uri, Manifest: ta.uri + rpki.KeyFileName(&taKey.PublicKey, ".mft")},
		IP:  &taIP, AS: &taAS,
	}, taName, taKey)
	if err != nil {
		t.Fatal(err)
	}
	r.taCert = filepath.Join(pub, "ta.cer")
	writeFile(t, r.taCert, taDER)
	r.files[r.taCert] = taURI
	taCert, _ := rpki.ParseCertificate(taDER)
	tal := (&rpki.TAL{Comments: []string{"ROAd interop test"}, URIs: []string{taURI}, SPKI: taCert.RawSubjectPublicKeyInfo}).Encode()
	r.tal = filepath.Join(t.TempDir(), "interop.tal")
	writeFile(t, r.tal, tal)

	ca := &pubPoint{dir: filepath.Join(pub, "ca"), uri: base + "ca/"}
	caCertName := rpki.KeyFileName(&caKey.PublicKey, ".cer")
	caIP := rpki.NewIPResources(netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32"))
	caDER, err := rpki.CreateCertificate(&rpki.Certificate{
		SerialNumber: big.NewInt(2), Subject: caName, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 6, 0),
		PublicKey: &caKey.PublicKey, IsCA: true,
		CRLDP: ta.uri + rpki.KeyFileName(&taKey.PublicKey, ".crl"), AIA: taURI,
		SIA: rpki.SIA{CARepository: ca.uri, Manifest: ca.uri + rpki.KeyFileName(&caKey.PublicKey, ".mft")},
		IP:  &caIP, AS: &rpki.ASResources{Inherit: true},
	}, taName, taKey)
	if err != nil {
		t.Fatal(err)
	}
	r.caCert = ta.add(t, r, caCertName, caDER)
	ta.finish(t, r, taName, taKey, taURI, 3, now)

	// Two ROAs under the CA: an IPv4 one, and a mixed one with IPv6 and maxLength.
	roas := []*rpki.ROA{
		{ASID: 64496, Prefixes: []rpki.ROAPrefix{{Prefix: netip.MustParsePrefix("192.0.2.0/24")}}},
		{ASID: 64497, Prefixes: []rpki.ROAPrefix{{Prefix: netip.MustParsePrefix("2001:db8::/32"), MaxLength: 48},
			{Prefix: netip.MustParsePrefix("192.0.2.128/25"), MaxLength: 26}}},
	}
	for i, roa := range roas {
		ec, err := roa.Encode()
		if err != nil {
			t.Fatal(err)
		}
		var ps []netip.Prefix
		for _, p := range roa.Prefixes {
			ps = append(ps, p.Prefix)
		}
		ip := rpki.NewIPResources(ps...)
		eeKey := mustKey(t)
		name := fmt.Sprintf("roa%d.roa", i+1)
		ee, err := rpki.CreateCertificate(&rpki.Certificate{
			SerialNumber: big.NewInt(int64(10 + i)), Subject: fmt.Sprintf("%X", rpki.SubjectKeyID(&eeKey.PublicKey)),
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 1, 0), PublicKey: &eeKey.PublicKey,
			CRLDP: ca.uri + rpki.KeyFileName(&caKey.PublicKey, ".crl"), AIA: ta.uri + caCertName,
			SIA: rpki.SIA{SignedObject: ca.uri + name}, IP: &ip,
		}, caName, caKey)
		if err != nil {
			t.Fatal(err)
		}
		der, err := rpki.SignObject(rpki.OIDROA, ec, ee, eeKey, now)
		if err != nil {
			t.Fatal(err)
		}
		path := ca.add(t, r, name, der)
		if i == 0 {
			r.roa1 = path
		} else {
			r.roa2 = path
		}
		r.vrps = append(r.vrps, roa.VRPs()...)
	}
	r.crl, r.mft = ca.finish(t, r, caName, caKey, ta.uri+caCertName, 20, now)
	slices.SortFunc(r.vrps, vrp.Compare)
	return r
}

// TestInteropRelyingParties: rpki-client and FORT validate a repository
// written only by this package and output exactly its VRPs; rpki-client's
// file mode accepts each object.
func TestInteropRelyingParties(t *testing.T) {
	testpeers.Require(t, "rpki-client", "fort", "rsync")
	pub := t.TempDir()
	if err := os.Chmod(pub, 0o755); err != nil {
		t.Fatal(err)
	}
	port := testpeers.StartRsyncd(t, pub, "repo")
	repo := buildInteropRepo(t, pub, port)
	want := []vrp.VRP{
		mustVRP(t, "192.0.2.0/24-24 => AS64496"),
		mustVRP(t, "192.0.2.128/25-26 => AS64497"),
		mustVRP(t, "2001:db8::/32-48 => AS64497"),
	}
	if !slices.Equal(repo.vrps, want) {
		t.Fatalf("repo VRPs %v", repo.vrps)
	}
	hosts := []string{fmt.Sprintf("127.0.0.1:%d", port)}
	cache := testpeers.RPKIClientDir(t)
	rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: repo.tal, RsyncOnly: true, Hosts: hosts, CacheDir: cache})
	if !slices.Equal(rc.VRPs, want) {
		t.Fatalf("rpki-client VRPs %v, want %v\n%s", rc.VRPs, want, rc.Log)
	}
	fort := testpeers.RunFort(t, testpeers.FortOptions{TAL: repo.tal, RsyncOnly: true})
	if !slices.Equal(fort.VRPs, want) || fort.ExitCode != 0 {
		t.Fatalf("FORT exit %d VRPs %v, want %v\n%s", fort.ExitCode, fort.VRPs, want, fort.Log)
	}
	// rpki-client 8.2 validates certificates and signed objects in file
	// mode; for CRLs and TALs it only decodes ("Validation:" stays empty).
	checks := []struct {
		path     string
		validate bool
		lines    []string
	}{
		{repo.roa1, true, []string{"asID:                     64496", "1: 192.0.2.0/24 maxlen: 24"}},
		{repo.roa2, true, []string{"asID:                     64497", "1: 192.0.2.128/25 maxlen: 26", "2: 2001:db8::/32 maxlen: 48"}},
		{repo.mft, true, []string{"Manifest Number:          01", "roa1.roa", "roa2.roa"}},
		{repo.caCert, true, []string{"caRepository:             " + repo.files[repo.caCert][:strings.Index(repo.files[repo.caCert], "/ta/")] + "/ca/",
			"1: AS: inherit", "2: IP: 192.0.2.0/24", "3: IP: 2001:db8::/32"}},
		{repo.taCert, true, []string{"2: IP: 192.0.2.0/24", "3: IP: 198.51.100.0/24", "4: IP: 2001:db8::/32", "1: AS: 64496 -- 64511"}},
		{repo.crl, false, []string{"CRL Serial Number:        01", "Serial:     03E7"}},
		{repo.tal, false, []string{"Trust anchor name:        interop", "1: " + repo.files[repo.taCert]}},
	}
	for _, c := range checks {
		file := c.path
		if uri, ok := repo.files[c.path]; ok && c.path != repo.taCert { // the TA is cached under ta/<name>/, not its URI
			file = uri
		}
		out, err := testpeers.RPKIClientFile(t, repo.tal, cache, file)
		if c.validate && (err != nil || !strings.Contains(out, "Validation: OK")) {
			t.Errorf("rpki-client -f %s: %v\n%s", filepath.Base(c.path), err, out)
			continue
		}
		if !c.validate && (strings.Contains(out, "Validation: Failed") || !strings.Contains(out, "File:")) {
			t.Errorf("rpki-client -f %s did not decode it:\n%s", filepath.Base(c.path), out)
			continue
		}
		for _, w := range c.lines {
			if !strings.Contains(out, w) {
				t.Errorf("rpki-client -f %s: no %q in\n%s", filepath.Base(c.path), w, out)
			}
		}
	}
	// The same check fails on a ROA whose signature byte is flipped.
	bad, _ := os.ReadFile(repo.roa2)
	bad[len(bad)-1] ^= 0xff
	badPath := filepath.Join(t.TempDir(), "roa2.roa")
	writeFile(t, badPath, bad)
	if out, err := testpeers.RPKIClientFile(t, repo.tal, cache, badPath); err == nil || strings.Contains(out, "Validation: OK") {
		t.Errorf("rpki-client accepted a corrupted ROA:\n%s", out)
	}
	if _, err := rpki.ParseSignedObject(bad); err == nil {
		t.Error("ParseSignedObject accepted a corrupted ROA")
	}
}

// TestInteropOpenSSL: openssl parses every object and extracts the exact
// eContent from our CMS.
func TestInteropOpenSSL(t *testing.T) {
	testpeers.Require(t, "openssl")
	pub := t.TempDir()
	repo := buildInteropRepo(t, pub, 873)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("openssl", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	for _, obj := range []string{repo.roa1, repo.roa2, repo.mft} {
		ec := filepath.Join(t.TempDir(), "econtent")
		run("cms", "-verify", "-noverify", "-inform", "DER", "-in", obj, "-out", ec, "-binary")
		der, _ := os.ReadFile(obj)
		so, err := rpki.ParseSignedObject(der)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(ec)
		if !bytes.Equal(got, so.EContent) {
			t.Errorf("%s: openssl eContent differs", obj)
		}
		attrs := run("cms", "-cmsout", "-print", "-inform", "DER", "-in", obj)
		for _, w := range []string{"contentType", "messageDigest", "signingTime", "rsaEncryption", "version: 3"} {
			if !strings.Contains(attrs, w) {
				t.Errorf("%s: openssl cms -print lacks %q", obj, w)
			}
		}
	}
	text := run("x509", "-inform", "DER", "-in", repo.caCert, "-noout", "-text")
	for _, w := range []string{"Version: 3 (0x2)", "sha256WithRSAEncryption", "Public-Key: (2048 bit)",
		"X509v3 Basic Constraints: critical", "CA:TRUE", "X509v3 Key Usage: critical", "Certificate Sign, CRL Sign",
		"X509v3 Certificate Policies: critical", "Policy: ipAddr-asNumber", "sbgp-ipAddrBlock: critical",
		"192.0.2.0/24", "2001:db8::/32", "sbgp-autonomousSysNum: critical", "inherit",
		"CA Repository - URI:rsync://", "RPKI Manifest - URI:rsync://", "CA Issuers - URI:rsync://"} {
		if !strings.Contains(text, w) {
			t.Errorf("openssl x509 -text lacks %q:\n%s", w, text)
		}
	}
	crl := run("crl", "-inform", "DER", "-in", repo.crl, "-noout", "-text")
	for _, w := range []string{"Version 2 (0x1)", "X509v3 CRL Number:", "X509v3 Authority Key Identifier:", "Serial Number: 03E7"} {
		if !strings.Contains(crl, w) {
			t.Errorf("openssl crl -text lacks %q:\n%s", w, crl)
		}
	}
	// openssl verifies the child CA under the TA with the RFC 3779 checks.
	pem := func(der string) string {
		p := filepath.Join(t.TempDir(), "c.pem")
		run("x509", "-inform", "DER", "-in", der, "-out", p)
		return p
	}
	out := run("verify", "-x509_strict", "-policy_check", "-explicit_policy", "-policy", "1.3.6.1.5.5.7.14.2",
		"-CAfile", pem(repo.taCert), pem(repo.caCert))
	if !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify: %s", out)
	}
}
