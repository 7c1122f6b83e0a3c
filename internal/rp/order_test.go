package rp

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

// childWithKey issues a CA certificate named name.cer for an existing key
// and publication point: the same CA certified twice.
func (b *treeBuilder) childWithKey(parent, n *tnode, name string, ip *rpki.IPResources) {
	tmpl := &rpki.Certificate{SerialNumber: parent.nextSerial(), Subject: keyName(n.key), NotBefore: b.now.Add(-time.Hour),
		NotAfter: b.now.Add(24 * time.Hour * 100), PublicKey: &n.key.PublicKey, IsCA: true, CRLDP: parent.crlURI(), AIA: parent.uri,
		SIA: rpki.SIA{CARepository: n.repo, Manifest: n.repo + "ca.mft"}, IP: ip}
	der, err := rpki.CreateCertificate(tmpl, parent.cert.Subject, parent.key)
	if err != nil {
		b.t.Fatal(err)
	}
	c, err := rpki.ParseCertificate(der)
	if err != nil {
		b.t.Fatal(err)
	}
	if n.cert == nil || len(ip.Prefixes()) > len(n.cert.IP.Prefixes()) {
		n.cert = c // the child signs its objects as the wider certificate's subject (same key, same name)
	}
	parent.files[name+".cer"] = der
}

// TestSameKeyCertifiedTwice: a CA key certified twice, once with fewer
// resources. Whichever certificate is read first, the ROA only the wider
// one holds is valid (RFC 6487 §7.2: a valid path exists).
func TestSameKeyCertifiedTwice(t *testing.T) {
	for _, order := range [][2]string{{"a-narrow", "b-wide"}, {"b-narrow", "a-wide"}} {
		for _, workers := range []int{1, 4} {
			t.Run(order[0]+"/"+order[1], func(t *testing.T) {
				dir := t.TempDir()
				b := &treeBuilder{t: t, base: "rsync://example.net/repo/", now: time.Now().UTC().Truncate(time.Second)}
				ta := b.ta(*ipRes("10.0.0.0/8"), rpki.ASResources{Ranges: []rpki.ASRange{{Min: 64496, Max: 64511}}})
				k := genKey(t)
				child := &tnode{key: k, uri: ta.repo + "child.cer", repo: ta.repo + "child/", files: map[string][]byte{}, serial: 1}
				b.childWithKey(ta, child, order[0], ipRes("10.1.0.0/16"))
				b.childWithKey(ta, child, order[1], ipRes("10.0.0.0/9"))
				b.roa(child, "in-both", 64496, "10.1.0.0/16")
				b.roa(child, "wide-only", 64497, "10.2.0.0/16")
				b.finish(ta, dir)
				b.finish(child, dir)
				tal := &rpki.TAL{URIs: []string{ta.uri}, SPKI: ta.cert.RawSubjectPublicKeyInfo}
				cache := filepath.Join(dir, "cache")
				rel, _ := splitRsyncURI(b.base)
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if e.Name() != "cache" {
						copyTree(t, filepath.Join(dir, e.Name()), filepath.Join(cache, filepath.FromSlash(rel), e.Name()))
					}
				}
				res, err := Validate(t.Context(), Options{Cache: cache, Workers: workers}, []TAL{{Name: "t", TAL: tal}})
				if err != nil {
					t.Fatal(err)
				}
				want := mustVRPs(t, "10.1.0.0/16 => AS64496", "10.2.0.0/16 => AS64497")
				if got := res.Set(); !slices.Equal(got, want) {
					t.Errorf("workers %d: VRPs %v, want %v; rejected %+v", workers, got, want, res.Rejected)
				}
			})
		}
	}
}
