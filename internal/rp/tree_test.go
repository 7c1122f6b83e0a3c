package rp

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// A hand-built repository deeper than road's own (TA → CA → CA), with
// inherited resources and deliberate faults, made with internal/rpki only.

type tnode struct {
	key     *rsa.PrivateKey
	cert    *rpki.Certificate
	uri     string // where the certificate is published
	repo    string // caRepository
	files   map[string][]byte
	revoked []rpki.RevokedCert
	serial  int64
	mftNum  int64 // the last manifest number finish signed
}

type treeBuilder struct {
	t    *testing.T
	base string // rsync://127.0.0.1:PORT/repo/
	now  time.Time
}

func genKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyName(k *rsa.PrivateKey) string { return fmt.Sprintf("%X", rpki.SubjectKeyID(&k.PublicKey)) }

func (b *treeBuilder) ta(ip rpki.IPResources, as rpki.ASResources) *tnode {
	k := genKey(b.t)
	n := &tnode{key: k, uri: b.base + "ta.cer", repo: b.base + "ta/", files: map[string][]byte{}, serial: 1}
	tmpl := &rpki.Certificate{SerialNumber: big.NewInt(1), Subject: keyName(k), NotBefore: b.now.Add(-time.Hour),
		NotAfter: b.now.Add(24 * time.Hour * 365), PublicKey: &k.PublicKey, IsCA: true,
		SIA: rpki.SIA{CARepository: n.repo, Manifest: n.repo + "ta.mft"}, IP: &ip, AS: &as}
	der, err := rpki.CreateCertificate(tmpl, tmpl.Subject, k)
	if err != nil {
		b.t.Fatal(err)
	}
	if n.cert, err = rpki.ParseCertificate(der); err != nil {
		b.t.Fatal(err)
	}
	n.files["../ta.cer"] = der // written beside the repository directory
	return n
}

func (n *tnode) nextSerial() *big.Int { n.serial++; return big.NewInt(n.serial) }

func (n *tnode) crlURI() string { return n.repo + "ca.crl" }

// child issues a CA certificate named name.cer on parent's publication point.
func (b *treeBuilder) child(parent *tnode, name string, ip *rpki.IPResources, as *rpki.ASResources, notAfter time.Time) *tnode {
	k := genKey(b.t)
	n := &tnode{key: k, uri: parent.repo + name + ".cer", repo: parent.repo + name + "/", files: map[string][]byte{}, serial: 1}
	tmpl := &rpki.Certificate{SerialNumber: parent.nextSerial(), Subject: keyName(k), NotBefore: b.now.Add(-time.Hour),
		NotAfter: notAfter, PublicKey: &k.PublicKey, IsCA: true, CRLDP: parent.crlURI(), AIA: parent.uri,
		SIA: rpki.SIA{CARepository: n.repo, Manifest: n.repo + "ca.mft"}, IP: ip, AS: as}
	der, err := rpki.CreateCertificate(tmpl, parent.cert.Subject, parent.key)
	if err != nil {
		b.t.Fatal(err)
	}
	if n.cert, err = rpki.ParseCertificate(der); err != nil {
		b.t.Fatal(err)
	}
	parent.files[name+".cer"] = der
	return n
}

func (b *treeBuilder) ee(parent *tnode, uri string, notBefore, notAfter time.Time, ip *rpki.IPResources, as *rpki.ASResources) (*rsa.PrivateKey, []byte, *big.Int) {
	k := genKey(b.t)
	serial := parent.nextSerial()
	der, err := rpki.CreateCertificate(&rpki.Certificate{SerialNumber: serial, Subject: keyName(k), NotBefore: notBefore,
		NotAfter: notAfter, PublicKey: &k.PublicKey, CRLDP: parent.crlURI(), AIA: parent.uri,
		SIA: rpki.SIA{SignedObject: uri}, IP: ip, AS: as}, parent.cert.Subject, parent.key)
	if err != nil {
		b.t.Fatal(err)
	}
	return k, der, serial
}

// roa publishes name.roa for asid and the prefixes on parent's point; it
// returns the EE serial.
func (b *treeBuilder) roa(parent *tnode, name string, asid uint32, prefixes ...string) *big.Int {
	r := &rpki.ROA{ASID: asid}
	var ps []netip.Prefix
	for _, s := range prefixes {
		pfx, ml, _ := strings.Cut(s, "-")
		p := netip.MustParsePrefix(pfx)
		m := p.Bits()
		if ml != "" {
			fmt.Sscan(ml, &m)
		}
		r.Prefixes = append(r.Prefixes, rpki.ROAPrefix{Prefix: p, MaxLength: m})
		ps = append(ps, p)
	}
	ip := rpki.NewIPResources(ps...)
	uri := parent.repo + name + ".roa"
	k, ee, serial := b.ee(parent, uri, b.now.Add(-time.Hour), b.now.Add(24*time.Hour*30), &ip, nil)
	econtent, err := r.Encode()
	if err != nil {
		b.t.Fatal(err)
	}
	der, err := rpki.SignObject(rpki.OIDROA, econtent, ee, k, b.now)
	if err != nil {
		b.t.Fatal(err)
	}
	parent.files[name+".roa"] = der
	return serial
}

// finish signs n's CRL and manifest and writes its point below dir.
func (b *treeBuilder) finish(n *tnode, dir string) {
	crl, err := rpki.CreateCRL(&rpki.CRL{Issuer: n.cert.Subject, ThisUpdate: b.now.Add(-time.Hour),
		NextUpdate: b.now.Add(24 * time.Hour), Number: big.NewInt(1), Revoked: n.revoked}, n.key)
	if err != nil {
		b.t.Fatal(err)
	}
	n.files["ca.crl"] = crl
	mftName := strings.TrimPrefix(n.cert.SIA.Manifest, n.repo)
	n.mftNum++
	m := &rpki.Manifest{Number: big.NewInt(n.mftNum), ThisUpdate: b.now.Add(-time.Hour), NextUpdate: b.now.Add(24 * time.Hour)}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range n.files {
			if !strings.HasPrefix(k, "../") && !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		m.Files = append(m.Files, rpki.FileAndHash{Name: name, Hash: sha256Sum(n.files[name])})
	}
	ip, as := inheritAll(n.cert)
	k, ee, _ := b.ee(n, n.cert.SIA.Manifest, m.ThisUpdate, m.NextUpdate, ip, as)
	econtent, err := m.Encode()
	if err != nil {
		b.t.Fatal(err)
	}
	der, err := rpki.SignObject(rpki.OIDManifest, econtent, ee, k, b.now)
	if err != nil {
		b.t.Fatal(err)
	}
	n.files[mftName] = der
	for name, data := range n.files {
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(n.repo, b.base)), name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

func inheritAll(c *rpki.Certificate) (*rpki.IPResources, *rpki.ASResources) {
	var ip *rpki.IPResources
	if c.IP != nil {
		ip = &rpki.IPResources{}
		if c.IP.V4 != nil {
			ip.V4 = &rpki.IPFamily{Inherit: true}
		}
		if c.IP.V6 != nil {
			ip.V6 = &rpki.IPFamily{Inherit: true}
		}
	}
	var as *rpki.ASResources
	if c.AS != nil {
		as = &rpki.ASResources{Inherit: true}
	}
	return ip, as
}

func ipRes(ss ...string) *rpki.IPResources {
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	r := rpki.NewIPResources(ps...)
	return &r
}

// TestDeepTreeAgainstRPKIClientAndFORT: TA → CA1 (inherits everything) →
// CA2 (a subset) with valid and faulty objects; this RP, rpki-client and
// FORT must output the same VRPs, and this RP names every fault.
func TestDeepTreeAgainstRPKIClientAndFORT(t *testing.T) {
	testpeers.Require(t, "rpki-client", "fort", "rsync")
	base := worldReadableDir(t)
	served := filepath.Join(base, "served")
	port := testpeers.StartRsyncd(t, served, "repo")
	b := &treeBuilder{t: t, base: rsyncBaseFor(port), now: time.Now().UTC().Truncate(time.Second)}
	ta := b.ta(*ipRes("10.0.0.0/8", "2001:db8::/32"), rpki.ASResources{Ranges: []rpki.ASRange{{Min: 64496, Max: 64511}}})
	inheritEverything := func() (*rpki.IPResources, *rpki.ASResources) {
		return &rpki.IPResources{V4: &rpki.IPFamily{Inherit: true}, V6: &rpki.IPFamily{Inherit: true}}, &rpki.ASResources{Inherit: true}
	}
	ca1 := b.child(ta, "ca1", ipRes("10.0.0.0/9", "2001:db8::/33"), &rpki.ASResources{Ranges: []rpki.ASRange{{Min: 64496, Max: 64503}}},
		b.now.Add(24*time.Hour*200))
	ip, as := inheritEverything()
	ca2 := b.child(ca1, "ca2", ip, as, b.now.Add(24*time.Hour*100))
	ca5 := b.child(ca2, "ca5", ipRes("10.2.0.0/16"), &rpki.ASResources{Ranges: []rpki.ASRange{{Min: 64500, Max: 64500}}}, b.now.Add(24*time.Hour*50))
	ca3 := b.child(ca1, "ca3", ipRes("11.0.0.0/8"), nil, b.now.Add(24*time.Hour*100)) // outside ca1's resources
	b.child(ta, "ca4", ipRes("10.4.0.0/16"), nil, b.now.Add(-time.Minute))            // expired
	ip, as = inheritEverything()
	caInh := b.child(ta, "cainh", ip, as, b.now.Add(24*time.Hour*100)) // inherits straight from the TA
	b.roa(ta, "ta-roa", 64496, "10.0.0.0/8-9")
	revoked := b.roa(ta, "ta-revoked", 64497, "10.9.0.0/16")
	ta.revoked = append(ta.revoked, rpki.RevokedCert{Serial: revoked, RevocationTime: b.now.Add(-time.Hour)})
	b.roa(ca1, "r1", 64496, "10.1.0.0/16-24", "2001:db8:1::/48")
	b.roa(ca2, "r2", 64500, "10.2.3.0/24", "2001:db8:2::/48")
	b.roa(ca5, "r5", 64500, "10.2.5.0/24")
	b.roa(ca5, "outside", 64500, "10.3.0.0/16")
	b.roa(ca3, "r3", 64501, "11.1.0.0/16")
	b.roa(caInh, "rinh", 64510, "10.200.0.0/16")
	for _, n := range []*tnode{ta, ca1, ca2, ca5, ca3, caInh} {
		b.finish(n, served)
	}
	tal := &rpki.TAL{URIs: []string{ta.uri}, SPKI: ta.cert.RawSubjectPublicKeyInfo}
	talPath := filepath.Join(base, "tree.tal")
	if err := os.WriteFile(talPath, tal.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(base, "cache")
	rel, _ := splitRsyncURI(b.base)
	copyTree(t, served, filepath.Join(cache, filepath.FromSlash(rel)))
	res, err := Validate(t.Context(), Options{Cache: cache}, []TAL{{Name: "tree", TAL: tal}})
	if err != nil {
		t.Fatal(err)
	}
	want := mustVRPs(t, "10.0.0.0/8-9 => AS64496", "10.1.0.0/16-24 => AS64496", "2001:db8:1::/48 => AS64496",
		"10.2.3.0/24 => AS64500", "2001:db8:2::/48 => AS64500", "10.2.5.0/24 => AS64500", "10.200.0.0/16 => AS64510")
	// rpki-client 8.2 (Debian) rejects every CA certificate whose IP
	// resources inherit ("RFC 6487: uncovered IP: (inherit)"), here ca2
	// (and so ca5 below it) and cainh; RFC 3779 §2.2.3.5 allows inherit,
	// FORT 1.5 accepts it, and so does this RP.
	wantRPKIClient := mustVRPs(t, "10.0.0.0/8-9 => AS64496", "10.1.0.0/16-24 => AS64496", "2001:db8:1::/48 => AS64496")
	if got := res.Set(); !slices.Equal(got, want) {
		t.Errorf("VRPs %v\nwant %v", got, want)
	}
	var rj []string
	for _, x := range res.Rejected {
		rj = append(rj, string(x.Reason)+" "+strings.TrimPrefix(x.URI, b.base))
	}
	wantRj := []string{"revoked ta/ta-revoked.roa", "resources-not-encompassed ta/ca1/ca2/ca5/outside.roa",
		"resources-not-encompassed ta/ca1/ca3.cer", "expired ta/ca4.cer"}
	slices.Sort(wantRj)
	slices.Sort(rj)
	if !slices.Equal(rj, wantRj) {
		t.Errorf("rejections %q\nwant %q", rj, wantRj)
	}
	if res.Stats.Certificates != 5 || res.Stats.Manifests != 5 || res.Stats.ROAs != 5 || res.Stats.FailedROAs != 2 || res.Stats.FailedCerts != 2 {
		t.Errorf("stats %+v", res.Stats)
	}
	for _, v := range res.VRPs {
		// min(ROA EE 30 d, manifests and CRLs 24 h): the day.
		if !v.Expires.Equal(b.now.Add(24 * time.Hour)) {
			t.Errorf("%v expires %v", v.VRP, v.Expires)
		}
	}
	rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: talPath, RsyncOnly: true,
		Hosts: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
	if !slices.Equal(vrp.Set(rc.VRPs), wantRPKIClient) {
		t.Errorf("rpki-client: %v\nwant %v\n%s", rc.VRPs, wantRPKIClient, rc.Log)
	}
	fort := testpeers.RunFort(t, testpeers.FortOptions{TAL: talPath, RsyncOnly: true})
	if !slices.Equal(vrp.Set(fort.VRPs), want) {
		t.Errorf("FORT: %v\nwant %v\n%s", fort.VRPs, want, fort.Log)
	}
}
