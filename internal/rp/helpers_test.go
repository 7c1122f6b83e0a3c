package rp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io/fs"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// testRepo is road's own publication, made by internal/ca over
// internal/store and written by internal/publish, plus a validation cache
// holding a copy of its rsync tree.
type testRepo struct {
	data      string // road-data: publish writes rsync/current and rrdp/ below it
	cache     string // CACHE/HOST:PORT/MODULE is a copy of rsync/current
	rsyncBase string // rsync://127.0.0.1:PORT/repo/
	rrdpBase  string
	tal       TAL
	talPath   string
	pub       *publish.Publisher
	st        *store.Store
	ca        *ca.CA
	now       time.Time
	objs      map[string]store.Object // by URI
}

var testResources = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}

// worldReadableDir is a temporary directory rpki-client (dropping to
// _rpki-client when run as root) can traverse.
func worldReadableDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "road-rp-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o755)
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// buildRepo issues the ROAs at the clock's time and publishes them for the
// rsync base rsync://127.0.0.1:PORT/repo/, below base (a fresh directory
// when empty): base/road-data/rsync/current is the rsync module root.
func buildRepo(t testing.TB, base string, clock func() time.Time, port int, roas ...string) *testRepo {
	t.Helper()
	return buildRepoRRDP(t, base, clock, port, "https://127.0.0.1:8443/rrdp/", roas...)
}

// buildRepoRRDP is buildRepo with the RRDP base URL (notification.xml and
// the snapshot and delta URLs live below it).
func buildRepoRRDP(t testing.TB, base string, clock func() time.Time, port int, rrdpBase string, roas ...string) *testRepo {
	t.Helper()
	if base == "" {
		base = worldReadableDir(t)
	}
	r := &testRepo{data: filepath.Join(base, "road-data"), cache: filepath.Join(base, "cache"),
		rsyncBase: rsyncBaseFor(port), rrdpBase: rrdpBase, now: clock()}
	for _, d := range []string{r.data, r.cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(r.data, "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	c, err := ca.New(ca.Config{RsyncBase: r.rsyncBase, RRDPBase: r.rrdpBase, IP: testResources,
		AS: []rpki.ASRange{{Min: 64496, Max: 64511}}, Clock: clock, Keys: ca.NewKeyPool(0)}, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Init(ctx); err != nil {
		t.Fatal(err)
	}
	r.ca = c
	r.apply(t, roas, nil)
	pub, err := publish.Open(publish.Options{Dir: r.data, RRDPBase: r.rrdpBase, RsyncBase: r.rsyncBase, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	r.pub = pub
	r.publish(t)
	tal, err := c.TAL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.talPath = filepath.Join(r.data, "road.tal")
	if err := os.WriteFile(r.talPath, tal.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	if r.tal, err = LoadTAL(r.talPath); err != nil {
		t.Fatal(err)
	}
	return r
}

func mustVRPs(t testing.TB, ss ...string) vrp.Set {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// apply adds and removes ROAs in one change.
func (r *testRepo) apply(t testing.TB, add, remove []string) {
	t.Helper()
	var adds []ca.NewROA
	for _, v := range mustVRPs(t, add...) {
		adds = append(adds, ca.NewROA{VRP: v})
	}
	err := r.st.Update(context.Background(), func(tx *store.Tx) error {
		_, err := r.ca.ApplyChange(context.Background(), tx, adds, mustVRPs(t, remove...))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// publish writes the store's objects (RRDP and rsync tree) and copies the
// rsync tree into the cache.
func (r *testRepo) publish(t testing.TB) {
	t.Helper()
	r.objs = map[string]store.Object{}
	var pobjs []publish.Object
	if err := r.st.View(context.Background(), func(tx *store.Tx) error {
		list, err := tx.Objects("")
		for _, o := range list {
			r.objs[o.URI] = o
			pobjs = append(pobjs, publish.Object{URI: o.URI, Data: o.DER, Time: o.SigningTime})
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pub.Publish(context.Background(), pobjs); err != nil {
		t.Fatal(err)
	}
	dst := r.cacheRoot()
	os.RemoveAll(dst)
	copyTree(t, r.pub.RsyncRoot(), dst)
}

// cacheRoot is where the rsync base lives in the cache.
func (r *testRepo) cacheRoot() string {
	rel, err := splitRsyncURI(r.rsyncBase)
	if err != nil {
		panic(err)
	}
	return filepath.Join(r.cache, filepath.FromSlash(rel))
}

func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// validate runs the RP over the cache at time at.
func (r *testRepo) validate(t testing.TB, at time.Time) *Result {
	t.Helper()
	res, err := Validate(context.Background(), Options{Cache: r.cache, Clock: func() time.Time { return at }}, []TAL{r.tal})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// file is the cache path of a published URI.
func (r *testRepo) file(uri string) string {
	return filepath.Join(r.cacheRoot(), filepath.FromSlash(strings.TrimPrefix(uri, r.rsyncBase)))
}

// uriOf returns the one published URI with the suffix (e.g. "ca/x.roa").
func (r *testRepo) uriOf(t testing.TB, kind, under string) []string {
	t.Helper()
	var out []string
	for u, o := range r.objs {
		if o.Kind == kind && strings.HasPrefix(u, r.rsyncBase+under) {
			out = append(out, u)
		}
	}
	return out
}

// caInstance returns the resource CA's key and certificate.
func (r *testRepo) caInstance(t testing.TB) (*rsa.PrivateKey, *rpki.Certificate, *store.CA) {
	t.Helper()
	var row *store.CA
	if err := r.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		row, err = tx.CA(ca.CAName)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(row.KeyDER)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := rpki.ParseCertificate(row.CertDER)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey), cert, row
}

// resignManifest rewrites the resource CA's manifest in the cache: edit
// changes it (hashes are then recomputed from the cache for every listed
// file unless keepHash names it), then a fresh EE signs it.
func (r *testRepo) resignManifest(t testing.TB, edit func(*rpki.Manifest), keepHash ...string) {
	t.Helper()
	key, cert, row := r.caInstance(t)
	mftURI := cert.SIA.Manifest
	b, err := os.ReadFile(r.file(mftURI))
	if err != nil {
		t.Fatal(err)
	}
	so, m, err := rpki.ParseManifestObject(b)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	for i, f := range m.Files {
		if strings.Contains(strings.Join(keepHash, " "), f.Name) {
			continue
		}
		data, err := os.ReadFile(r.file(row.RepoURI + f.Name))
		if err == nil {
			m.Files[i].Hash = sha256.Sum256(data)
		}
	}
	m.Number = new(big.Int).Add(m.Number, big.NewInt(1))
	econtent, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	eeKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *so.EE
	tmpl.SerialNumber = big.NewInt(1 << 40)
	tmpl.Subject = fmt.Sprintf("%X", rpki.SubjectKeyID(&eeKey.PublicKey))
	tmpl.PublicKey = &eeKey.PublicKey
	tmpl.NotBefore, tmpl.NotAfter = m.ThisUpdate, m.NextUpdate
	tmpl.Raw, tmpl.RawTBS, tmpl.RawSubjectPublicKeyInfo, tmpl.SKI, tmpl.AKI, tmpl.Signature = nil, nil, nil, nil, nil, nil
	ee, err := rpki.CreateCertificate(&tmpl, cert.Subject, key)
	if err != nil {
		t.Fatal(err)
	}
	der, err := rpki.SignObject(rpki.OIDManifest, econtent, ee, eeKey, m.ThisUpdate)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.file(mftURI), der, 0o644); err != nil {
		t.Fatal(err)
	}
}

// resignCRL replaces the resource CA's CRL in the cache with one whose
// times are given, then re-signs the manifest over it.
func (r *testRepo) resignCRL(t testing.TB, thisUpdate, nextUpdate time.Time, revoke ...*big.Int) {
	t.Helper()
	key, cert, row := r.caInstance(t)
	crlURI := row.RepoURI + rpki.KeyFileName(&key.PublicKey, ".crl")
	b, err := os.ReadFile(r.file(crlURI))
	if err != nil {
		t.Fatal(err)
	}
	old, err := rpki.ParseCRL(b)
	if err != nil {
		t.Fatal(err)
	}
	c := &rpki.CRL{Issuer: cert.Subject, ThisUpdate: thisUpdate, NextUpdate: nextUpdate,
		Number: new(big.Int).Add(old.Number, big.NewInt(1)), Revoked: old.Revoked}
	for _, s := range revoke {
		c.Revoked = append(c.Revoked, rpki.RevokedCert{Serial: s, RevocationTime: thisUpdate})
	}
	der, err := rpki.CreateCRL(c, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.file(crlURI), der, 0o644); err != nil {
		t.Fatal(err)
	}
	r.resignManifest(t, func(*rpki.Manifest) {})
}

// rejections renders the rejections as "REASON URI-relative-to-base" lines.
func (r *testRepo) rejections(res *Result) []string {
	var out []string
	for _, x := range res.Rejected {
		out = append(out, string(x.Reason)+" "+strings.TrimPrefix(x.URI, r.rsyncBase))
	}
	return out
}

func spkiOf(k *rsa.PrivateKey) ([]byte, error) { return x509.MarshalPKIXPublicKey(&k.PublicKey) }

// rsyncBaseFor is rsync://127.0.0.1:PORT/repo/, or rsync://127.0.0.1/repo/
// for port 0.
func rsyncBaseFor(port int) string {
	if port == 0 {
		return "rsync://127.0.0.1/repo/"
	}
	return fmt.Sprintf("rsync://127.0.0.1:%d/repo/", port)
}

// tbsSPKI extracts the SubjectPublicKeyInfo of a certificate the strict
// parser may refuse (encoding/asn1 is lenient enough for the corpus).
func tbsSPKI(t testing.TB, der []byte) []byte {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x509: %v", err)
	}
	return c.RawSubjectPublicKeyInfo
}

// addASPA issues an ASPA object with the resource CA's key into the cache
// as NAME.asa (not yet on the manifest).
func (r *testRepo) addASPA(t testing.TB, name string, customer uint32, providers []uint32, serial int64) string {
	t.Helper()
	key, cert, row := r.caInstance(t)
	eeKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	uri := row.RepoURI + name + ".asa"
	as := &rpki.ASResources{Ranges: []rpki.ASRange{{Min: customer, Max: customer}}}
	ee, err := rpki.CreateCertificate(&rpki.Certificate{SerialNumber: big.NewInt(serial),
		Subject: fmt.Sprintf("%X", rpki.SubjectKeyID(&eeKey.PublicKey)), NotBefore: r.now.Add(-time.Minute),
		NotAfter: r.now.Add(365 * 24 * time.Hour), PublicKey: &eeKey.PublicKey,
		CRLDP: row.RepoURI + rpki.KeyFileName(&key.PublicKey, ".crl"), AIA: row.CertURI,
		SIA: rpki.SIA{SignedObject: uri}, AS: as}, cert.Subject, key)
	if err != nil {
		t.Fatal(err)
	}
	econtent, err := (&rpki.ASPA{CustomerASID: customer, Providers: providers}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	der, err := rpki.SignObject(rpki.OIDASPA, econtent, ee, eeKey, r.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.file(uri), der, 0o644); err != nil {
		t.Fatal(err)
	}
	return name + ".asa"
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
