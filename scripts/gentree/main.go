// Command gentree writes a signed RPKI tree of a chosen size for relying
// party benchmarks (scripts/bench-rp.sh): one TA, -cas CA certificates
// below it, each with ROAs holding -per prefixes, laid out as rpki-client
// keeps its cache (HOST/MODULE/PATH), plus the TAL. One EE key is shared
// by all ROAs of a CA to keep generation quick; relying parties do not
// require one-time keys, and the signature work they do is the same.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

type node struct {
	key    *rsa.PrivateKey
	cert   *rpki.Certificate
	uri    string
	repo   string
	files  map[string][]byte
	serial int64
}

func main() {
	out := flag.String("out", "", "output directory (cache layout and tree.tal)")
	vrps := flag.Int("vrps", 300000, "number of VRPs")
	cas := flag.Int("cas", 1000, "number of CAs below the TA")
	per := flag.Int("per", 10, "prefixes per ROA")
	flag.Parse()
	if *out == "" {
		log.Fatal("gentree: -out is required")
	}
	now := time.Now().UTC().Truncate(time.Second)
	base := "rsync://bench.invalid/repo/"
	ta := newTA(base, now)
	roasPerCA := (*vrps + *cas**per - 1) / (*cas * *per)
	n := 0
	for i := 0; i < *cas; i++ {
		// CA i holds 10.0.0.0/8-style space: one /16 per CA over 10.0.0.0/4 .. as needed.
		first := netip.AddrFrom4([4]byte{byte(16 + i/256), byte(i % 256), 0, 0})
		space := netip.PrefixFrom(first, 16)
		ca := child(ta, fmt.Sprintf("ca%d", i), space, now)
		eeKey := mustKey()
		for j := 0; j < roasPerCA && n < *vrps; j++ {
			var ps []rpki.ROAPrefix
			for k := 0; k < *per && n < *vrps; k++ {
				idx := j**per + k // one /24 per VRP inside the CA's /16
				a := first.As4()
				p := netip.PrefixFrom(netip.AddrFrom4([4]byte{a[0], a[1], byte(idx % 256), 0}), 24)
				// past 256 VRPs a CA repeats its /24s with longer maxLengths
				ps = append(ps, rpki.ROAPrefix{Prefix: p, MaxLength: 24 + idx/256})
				n++
			}
			roa(ca, fmt.Sprintf("r%d", j), uint32(64496+j), ps, eeKey, now)
		}
		finish(ca, *out, base, now)
	}
	finish(ta, *out, base, now)
	tal := &rpki.TAL{URIs: []string{ta.uri}, SPKI: ta.cert.RawSubjectPublicKeyInfo}
	must(os.WriteFile(filepath.Join(*out, "tree.tal"), tal.Encode(), 0o644))
	// rpki-client without network looks for the TA certificate in ta/NAME/.
	must(os.MkdirAll(filepath.Join(*out, "ta", "tree"), 0o755))
	must(os.WriteFile(filepath.Join(*out, "ta", "tree", "ta.cer"), ta.files["../ta.cer"], 0o644))
	fmt.Printf("%d VRPs from %d CAs\n", n, *cas)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func mustKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	return k
}

func name(k *rsa.PrivateKey) string { return fmt.Sprintf("%X", rpki.SubjectKeyID(&k.PublicKey)) }

func (n *node) next() *big.Int { n.serial++; return big.NewInt(n.serial) }

func newTA(base string, now time.Time) *node {
	k := mustKey()
	n := &node{key: k, uri: base + "ta.cer", repo: base + "ta/", files: map[string][]byte{}, serial: 1}
	ip := rpki.NewIPResources(netip.MustParsePrefix("0.0.0.0/0"))
	as := rpki.ASResources{Ranges: []rpki.ASRange{{Min: 1, Max: 4294967294}}}
	tmpl := &rpki.Certificate{SerialNumber: big.NewInt(1), Subject: name(k), NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(1, 0, 0), PublicKey: &k.PublicKey, IsCA: true,
		SIA: rpki.SIA{CARepository: n.repo, Manifest: n.repo + "ta.mft"}, IP: &ip, AS: &as}
	der, err := rpki.CreateCertificate(tmpl, tmpl.Subject, k)
	must(err)
	n.cert, err = rpki.ParseCertificate(der)
	must(err)
	n.files["../ta.cer"] = der
	return n
}

func child(parent *node, nm string, space netip.Prefix, now time.Time) *node {
	k := mustKey()
	n := &node{key: k, uri: parent.repo + nm + ".cer", repo: parent.repo + nm + "/", files: map[string][]byte{}, serial: 1}
	ip := rpki.NewIPResources(space)
	as := rpki.ASResources{Ranges: []rpki.ASRange{{Min: 1, Max: 4294967294}}}
	tmpl := &rpki.Certificate{SerialNumber: parent.next(), Subject: name(k), NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(0, 6, 0), PublicKey: &k.PublicKey, IsCA: true, CRLDP: parent.repo + "ca.crl", AIA: parent.uri,
		SIA: rpki.SIA{CARepository: n.repo, Manifest: n.repo + "ca.mft"}, IP: &ip, AS: &as}
	der, err := rpki.CreateCertificate(tmpl, parent.cert.Subject, parent.key)
	must(err)
	n.cert, err = rpki.ParseCertificate(der)
	must(err)
	parent.files[nm+".cer"] = der
	return n
}

func ee(parent *node, k *rsa.PrivateKey, uri string, from, to time.Time, ip *rpki.IPResources, as *rpki.ASResources) []byte {
	der, err := rpki.CreateCertificate(&rpki.Certificate{SerialNumber: parent.next(), Subject: name(k), NotBefore: from,
		NotAfter: to, PublicKey: &k.PublicKey, CRLDP: parent.repo + "ca.crl", AIA: parent.uri,
		SIA: rpki.SIA{SignedObject: uri}, IP: ip, AS: as}, parent.cert.Subject, parent.key)
	must(err)
	return der
}

func roa(parent *node, nm string, asid uint32, ps []rpki.ROAPrefix, k *rsa.PrivateKey, now time.Time) {
	var pfx []netip.Prefix
	for _, p := range ps {
		pfx = append(pfx, p.Prefix)
	}
	ip := rpki.NewIPResources(pfx...)
	uri := parent.repo + nm + ".roa"
	cert := ee(parent, k, uri, now.Add(-time.Hour), now.AddDate(0, 3, 0), &ip, nil)
	ec, err := (&rpki.ROA{ASID: asid, Prefixes: ps}).Encode()
	must(err)
	der, err := rpki.SignObject(rpki.OIDROA, ec, cert, k, now)
	must(err)
	parent.files[nm+".roa"] = der
}

func finish(n *node, out, base string, now time.Time) {
	crl, err := rpki.CreateCRL(&rpki.CRL{Issuer: n.cert.Subject, ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.Add(48 * time.Hour), Number: big.NewInt(1)}, n.key)
	must(err)
	n.files["ca.crl"] = crl
	m := &rpki.Manifest{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(48 * time.Hour)}
	for nm, data := range n.files {
		if !strings.HasPrefix(nm, "../") {
			m.Files = append(m.Files, rpki.FileAndHash{Name: nm, Hash: sha256.Sum256(data)})
		}
	}
	sortFiles(m.Files)
	ip := &rpki.IPResources{V4: &rpki.IPFamily{Inherit: true}}
	k := mustKey()
	cert := ee(n, k, n.cert.SIA.Manifest, m.ThisUpdate, m.NextUpdate, ip, &rpki.ASResources{Inherit: true})
	ec, err := m.Encode()
	must(err)
	der, err := rpki.SignObject(rpki.OIDManifest, ec, cert, k, now)
	must(err)
	n.files[strings.TrimPrefix(n.cert.SIA.Manifest, n.repo)] = der
	root := filepath.Join(out, "bench.invalid", "repo")
	for nm, data := range n.files {
		p := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(n.repo, base)), nm)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, data, 0o644))
	}
}

func sortFiles(fs []rpki.FileAndHash) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Name < fs[j-1].Name; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}
