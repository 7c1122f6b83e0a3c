package rp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/vrp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// t0 is when the pinned-clock repositories are issued.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var testROAs = []string{"192.0.2.0/24 => AS64496", "198.51.100.0/24-25 => AS64497", "2001:db8::/32 => AS64498",
	"2001:db8:100::/40 => AS4200000000", "203.0.113.0/24 => AS0", "2001:db8:200::/40-48 => AS64499",
	"192.0.2.128/25-32 => AS64500"}

func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

// pinnedRepo is a private copy (cache only) of one repository issued at
// t0 with testROAs, built once per test binary: RSA key generation
// dominates the cost.
func pinnedRepo(t *testing.T) *testRepo {
	t.Helper()
	sharedOnce.Do(func() {
		sharedRepo = buildRepo(sharedT{t}, sharedDir, fixedClock(t0), 8873, testROAs...)
	})
	if sharedRepo == nil {
		t.Fatal("shared repository failed to build")
	}
	c := *sharedRepo
	c.cache = t.TempDir()
	copyTree(t, sharedRepo.cacheRoot(), c.cacheRoot())
	return &c
}

var (
	sharedOnce sync.Once
	sharedRepo *testRepo
	sharedDir  string
)

// sharedT lets the shared repository outlive the test that builds it:
// cleanups go to TestMain's list.
type sharedT struct{ *testing.T }

func (s sharedT) Cleanup(f func()) { sharedCleanups = append(sharedCleanups, f) }

var sharedCleanups []func()

func TestMain(m *testing.M) {
	flag.Parse()
	d, err := os.MkdirTemp("", "road-rp-shared-")
	if err != nil {
		panic(err)
	}
	os.Chmod(d, 0o755)
	sharedDir = d
	code := m.Run()
	for i := len(sharedCleanups) - 1; i >= 0; i-- {
		sharedCleanups[i]()
	}
	os.RemoveAll(d)
	os.Exit(code)
}

func equalSets(a, b vrp.Set) bool { return slices.Equal(a, b) }

func TestRoadPublicationYieldsExactlyTheConfiguredVRPs(t *testing.T) {
	r := pinnedRepo(t)
	res := r.validate(t, t0.Add(time.Hour))
	want := mustVRPs(t, testROAs...)
	if got := res.Set(); !equalSets(got, want) {
		t.Fatalf("VRPs %v\nwant %v", got, want)
	}
	if len(res.Rejected) != 0 {
		t.Fatalf("rejected: %v", r.rejections(res))
	}
	wantStats := Stats{TALs: 1, Certificates: 2, Manifests: 2, CRLs: 2, ROAs: len(testROAs), VRPs: len(testROAs)}
	if res.Stats != wantStats {
		t.Errorf("stats %+v, want %+v", res.Stats, wantStats)
	}
	// Effective expiry: the manifests and CRLs (24 h) expire first.
	for _, v := range res.VRPs {
		if v.TA != "road" || !v.Expires.Equal(t0.Add(24*time.Hour)) {
			t.Errorf("%v: ta %q expires %v, want road %v", v.VRP, v.TA, v.Expires, t0.Add(24*time.Hour))
		}
	}
}

func TestGoldenJSON(t *testing.T) {
	r := pinnedRepo(t)
	res := r.validate(t, t0.Add(time.Hour))
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "road.json", buf.Bytes())
	buf.Reset()
	if err := res.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "road.csv", buf.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

// roaURI is the published URI of the ROA for s.
func (r *testRepo) roaURI(t *testing.T, s string) string {
	t.Helper()
	v := mustVRPs(t, s)[0]
	for u, o := range r.objs {
		if o.Kind != "roa" {
			continue
		}
		_, roa, err := rpki.ParseROAObject(o.DER)
		if err != nil {
			t.Fatal(err)
		}
		if vs := roa.VRPs(); len(vs) == 1 && vs[0] == v {
			return u
		}
	}
	t.Fatalf("no ROA for %s", s)
	return ""
}

func (r *testRepo) rel(uri string) string { return strings.TrimPrefix(uri, r.rsyncBase) }

func flipLastByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptions damages one thing in a copy of road's publication and
// checks the exact rejections and the VRPs that survive.
func TestCorruptions(t *testing.T) {
	all := mustVRPs(t, testROAs...)
	without := func(s string) vrp.Set {
		v := mustVRPs(t, s)[0]
		return slices.DeleteFunc(slices.Clone(all), func(x vrp.VRP) bool { return x == v })
	}
	victim := "198.51.100.0/24-25 => AS64497"
	at := t0.Add(2 * time.Hour)
	cases := []struct {
		name    string
		damage  func(t *testing.T, r *testRepo)
		at      time.Time
		want    vrp.Set
		rejects func(r *testRepo) []string
	}{
		{"ROA byte flipped (manifest hash no longer matches)", func(t *testing.T, r *testRepo) {
			flipLastByte(t, r.file(r.roaURI(t, victim)))
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"hash-mismatch " + r.rel(r.roaURI(t, victim))} }},
		{"ROA signature byte flipped, manifest re-signed over it", func(t *testing.T, r *testRepo) {
			flipLastByte(t, r.file(r.roaURI(t, victim)))
			r.resignManifest(t, func(*rpki.Manifest) {})
		}, at, without(victim), func(r *testRepo) []string { return []string{"bad-signature " + r.rel(r.roaURI(t, victim))} }},
		{"ROA dropped from the manifest (file still present, unused)", func(t *testing.T, r *testRepo) {
			name := filepath.Base(r.roaURI(t, victim))
			r.resignManifest(t, func(m *rpki.Manifest) {
				m.Files = slices.DeleteFunc(m.Files, func(f rpki.FileAndHash) bool { return f.Name == name })
			})
		}, at, without(victim), func(r *testRepo) []string { return nil }},
		{"listed ROA deleted from the repository", func(t *testing.T, r *testRepo) {
			if err := os.Remove(r.file(r.roaURI(t, victim))); err != nil {
				t.Fatal(err)
			}
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"file-missing " + r.rel(r.roaURI(t, victim))} }},
		{"listed ROA replaced by a symlink to an identical copy outside the cache", func(t *testing.T, r *testRepo) {
			p := r.file(r.roaURI(t, victim))
			outside := filepath.Join(t.TempDir(), "x.roa")
			b, _ := os.ReadFile(p)
			os.WriteFile(outside, b, 0o644)
			os.Remove(p)
			if err := os.Symlink(outside, p); err != nil {
				t.Fatal(err)
			}
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"file-missing " + r.rel(r.roaURI(t, victim))} }},
		{"listed ROA replaced by a FIFO (must not block)", func(t *testing.T, r *testRepo) {
			p := r.file(r.roaURI(t, victim))
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"file-missing " + r.rel(r.roaURI(t, victim))} }},
		{"manifest expired", func(t *testing.T, r *testRepo) {
			r.resignManifest(t, func(m *rpki.Manifest) { m.NextUpdate = t0.Add(time.Hour) })
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"manifest-stale " + r.caMft(t)} }},
		{"manifest not yet valid", func(t *testing.T, r *testRepo) {
			r.resignManifest(t, func(m *rpki.Manifest) { m.ThisUpdate = t0.Add(3 * time.Hour) })
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"manifest-not-yet-valid " + r.caMft(t)} }},
		{"manifest byte flipped", func(t *testing.T, r *testRepo) {
			flipLastByte(t, r.file(r.rsyncBase+r.caMft(t)))
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"manifest-invalid " + r.caMft(t)} }},
		{"CRL stale", func(t *testing.T, r *testRepo) {
			r.resignCRL(t, t0.Add(-time.Minute), t0.Add(time.Hour))
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"crl-stale " + r.caCRL(t)} }},
		{"CRL revokes a ROA", func(t *testing.T, r *testRepo) {
			so, _, _ := rpki.ParseROAObject(r.objs[r.roaURI(t, victim)].DER)
			r.resignCRL(t, t0.Add(-time.Minute), t0.Add(24*time.Hour), so.EE.SerialNumber)
		}, at, without(victim), func(r *testRepo) []string { return []string{"revoked " + r.rel(r.roaURI(t, victim))} }},
		{"CRL revokes the manifest EE", func(t *testing.T, r *testRepo) {
			r.resignManifest(t, func(*rpki.Manifest) {}) // its EE has serial 1<<40
			r.resignCRL(t, t0.Add(-time.Minute), t0.Add(24*time.Hour), big.NewInt(1<<40))
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"revoked " + r.caMft(t)} }},
		{"CA manifest missing", func(t *testing.T, r *testRepo) {
			if err := os.Remove(r.file(r.rsyncBase + r.caMft(t))); err != nil {
				t.Fatal(err)
			}
		}, at, vrp.Set{}, func(r *testRepo) []string { return []string{"manifest-missing " + r.caMft(t)} }},
		{"CA certificate byte flipped, TA manifest re-signed is not possible: hash mismatch", func(t *testing.T, r *testRepo) {
			_, _, row := r.caInstance(t)
			flipLastByte(t, r.file(row.CertURI))
		}, at, vrp.Set{}, func(r *testRepo) []string {
			_, _, row := r.caInstance(t)
			return []string{"hash-mismatch " + r.rel(row.CertURI)}
		}},
		{"validation before the TA's notBefore", func(t *testing.T, r *testRepo) {}, t0.Add(-time.Hour), vrp.Set{},
			func(r *testRepo) []string { return []string{"not-yet-valid ta/ta.cer"} }},
		{"validation after the manifests' nextUpdate", func(t *testing.T, r *testRepo) {}, t0.Add(25 * time.Hour), vrp.Set{},
			func(r *testRepo) []string { return []string{"manifest-stale " + r.taMft(t)} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := pinnedRepo(t)
			c.damage(t, r)
			res := r.validate(t, c.at)
			if got := res.Set(); !equalSets(got, c.want) {
				t.Errorf("VRPs %v\nwant %v", got, c.want)
			}
			if got, want := r.rejections(res), c.rejects(r); !slices.Equal(got, want) {
				t.Errorf("rejections %q\nwant %q\n%+v", got, want, res.Rejected)
			}
		})
	}
}

func (r *testRepo) caMft(t *testing.T) string {
	_, cert, _ := r.caInstance(t)
	return r.rel(cert.SIA.Manifest)
}

func (r *testRepo) caCRL(t *testing.T) string {
	key, _, row := r.caInstance(t)
	return r.rel(row.RepoURI + rpki.KeyFileName(&key.PublicKey, ".crl"))
}

func (r *testRepo) taMft(t *testing.T) string {
	b, err := os.ReadFile(r.file(r.rsyncBase + "ta/ta.cer"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := rpki.ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	return r.rel(c.SIA.Manifest)
}

func TestEffectiveExpiryIsTheEarliestOnTheChain(t *testing.T) {
	r := pinnedRepo(t)
	crlNext := t0.Add(3 * time.Hour)
	r.resignCRL(t, t0.Add(-time.Minute), crlNext)
	res := r.validate(t, t0.Add(time.Hour))
	if len(res.VRPs) != len(testROAs) || len(res.Rejected) != 0 {
		t.Fatalf("VRPs %d, rejected %v", len(res.VRPs), r.rejections(res))
	}
	for _, v := range res.VRPs {
		if !v.Expires.Equal(crlNext) {
			t.Errorf("%v expires %v, want the CRL's nextUpdate %v", v.VRP, v.Expires, crlNext)
		}
	}
}

func TestTALKeyMismatch(t *testing.T) {
	r := pinnedRepo(t)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := spkiOf(k)
	if err != nil {
		t.Fatal(err)
	}
	tal := TAL{Name: "other", TAL: &rpki.TAL{URIs: r.tal.TAL.URIs, SPKI: spki}}
	res, err := Validate(context.Background(), Options{Cache: r.cache, Clock: fixedClock(t0.Add(time.Hour))}, []TAL{tal, r.tal})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.rejections(res); !slices.Equal(got, []string{"ta-key-mismatch ta/ta.cer"}) {
		t.Errorf("rejections %q", got)
	}
	if got := res.Set(); !equalSets(got, mustVRPs(t, testROAs...)) {
		t.Errorf("the second TAL must still validate: %v", got)
	}
	if res.Stats.TALs != 1 || res.Stats.FailedTALs != 1 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestMissingTA(t *testing.T) {
	r := pinnedRepo(t)
	res, err := Validate(context.Background(), Options{Cache: t.TempDir(), Clock: fixedClock(t0)}, []TAL{r.tal})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) != 1 || res.Rejected[0].Reason != ReasonTAMissing || len(res.VRPs) != 0 {
		t.Errorf("got %+v", res)
	}
}

func TestCancelledContext(t *testing.T) {
	r := pinnedRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Validate(ctx, Options{Cache: r.cache}, []TAL{r.tal}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}

func TestDepthBound(t *testing.T) {
	r := pinnedRepo(t)
	res, err := Validate(context.Background(), Options{Cache: r.cache, Clock: fixedClock(t0.Add(time.Hour)), MaxDepth: 0}, []TAL{r.tal})
	if err != nil || len(res.VRPs) != len(testROAs) {
		t.Fatalf("default depth: %v %v", err, res)
	}
	// MaxDepth 1 is the least that reaches road's CA (TA → CA).
	o := Options{Cache: r.cache, Clock: fixedClock(t0.Add(time.Hour)), MaxCAs: 1}
	res, err = Validate(context.Background(), o, []TAL{r.tal})
	if err != nil {
		t.Fatal(err)
	}
	_, _, row := r.caInstance(t)
	if got := r.rejections(res); !slices.Equal(got, []string{"too-many " + r.rel(row.CertURI)}) || len(res.VRPs) != 0 {
		t.Errorf("MaxCAs 1: %q %v", got, res.VRPs)
	}
}

func TestRejectErrorWrapping(t *testing.T) {
	err := error(reject(ReasonExpired, "x %d", 1))
	if !errors.Is(err, ErrRejected) || ReasonOf(err) != ReasonExpired || err.Error() != "expired: x 1" {
		t.Errorf("%v", err)
	}
	if ReasonOf(errors.New("plain")) != "" {
		t.Error("plain error has a reason")
	}
}

// TestASPAs: ASPA objects on road's publication point become one provider
// set per customer (the union of its objects); one for a customer AS the
// CA does not hold is rejected.
func TestASPAs(t *testing.T) {
	r := pinnedRepo(t)
	names := []string{
		r.addASPA(t, "AS64496-a", 64496, []uint32{65001, 65002}, 1<<41),
		r.addASPA(t, "AS64496-b", 64496, []uint32{65002, 65003}, 1<<41+1),
		r.addASPA(t, "AS64500", 64500, []uint32{0}, 1<<41+2),
		r.addASPA(t, "AS65000", 65000, []uint32{65001}, 1<<41+3), // not held by the CA
	}
	r.resignManifest(t, func(m *rpki.Manifest) {
		for _, n := range names {
			m.Files = append(m.Files, rpki.FileAndHash{Name: n})
		}
	})
	res := r.validate(t, t0.Add(time.Hour))
	var got []string
	for _, a := range res.ASPAs {
		got = append(got, fmt.Sprintf("AS%d => %v until %s (%s)", a.Customer, a.Providers, a.Expires.Format(time.RFC3339), a.TA))
	}
	want := []string{"AS64496 => [65001 65002 65003] until 2026-03-02T12:00:00Z (road)",
		"AS64500 => [0] until 2026-03-02T12:00:00Z (road)"}
	if !slices.Equal(got, want) {
		t.Errorf("ASPAs %q\nwant %q", got, want)
	}
	_, _, row := r.caInstance(t)
	if rj := r.rejections(res); !slices.Equal(rj, []string{"resources-not-encompassed " + r.rel(row.RepoURI) + "AS65000.asa"}) {
		t.Errorf("rejections %q", rj)
	}
	if res.Stats.ASPAs != 3 || res.Stats.FailedASPAs != 1 || res.Stats.Ignored != 0 || len(res.VRPs) != len(testROAs) {
		t.Errorf("stats %+v", res.Stats)
	}
	var buf bytes.Buffer
	res.WriteJSON(&buf)
	if !strings.Contains(buf.String(), `"aspas": [
		{
			"customer_asid": 64496,
			"expires": 1772452800,
			"providers": [
				65001,
				65002,
				65003
			]
		},`) {
		t.Errorf("JSON aspas:\n%s", buf.String())
	}
}

// TestManifestReplay: with a manifest state, an older manifest served
// after a newer one was validated fails its publication point (RFC 9286
// §4.2.1); the same manifest again, or a newer one, passes.
func TestManifestReplay(t *testing.T) {
	r := pinnedRepo(t)
	state := filepath.Join(t.TempDir(), "manifests.json")
	run := func(at time.Time) *Result {
		t.Helper()
		res, err := Validate(context.Background(), Options{Cache: r.cache, Clock: fixedClock(at), ManifestState: state}, []TAL{r.tal})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	at := t0.Add(time.Hour)
	mftPath := r.file(r.rsyncBase + r.caMft(t))
	old, err := os.ReadFile(mftPath)
	if err != nil {
		t.Fatal(err)
	}
	if res := run(at); len(res.VRPs) != len(testROAs) || len(res.Rejected) != 0 {
		t.Fatalf("first run: %v", r.rejections(res))
	}
	if res := run(at); len(res.VRPs) != len(testROAs) || len(res.Rejected) != 0 {
		t.Fatalf("same manifest again: %v", r.rejections(res))
	}
	// A newer manifest (number+1, later thisUpdate) is accepted ...
	r.resignManifest(t, func(m *rpki.Manifest) { m.ThisUpdate = m.ThisUpdate.Add(time.Minute) })
	if res := run(at); len(res.VRPs) != len(testROAs) || len(res.Rejected) != 0 {
		t.Fatalf("newer manifest: %v", r.rejections(res))
	}
	// ... and then the old one, replayed, is not.
	if err := os.WriteFile(mftPath, old, 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(at)
	if got := r.rejections(res); !slices.Equal(got, []string{"manifest-not-newer " + r.caMft(t)}) || len(res.VRPs) != 0 {
		t.Fatalf("replayed manifest: %q %v", got, res.VRPs)
	}
	// A re-signed manifest with a higher number but an older thisUpdate neither.
	r.resignManifest(t, func(m *rpki.Manifest) {
		m.Number.Add(m.Number, big.NewInt(5))
		m.ThisUpdate = m.ThisUpdate.Add(-time.Minute)
	})
	if got := r.rejections(run(at)); !slices.Equal(got, []string{"manifest-not-newer " + r.caMft(t)}) {
		t.Fatalf("older thisUpdate: %q", got)
	}
}

func TestReasonsListsEveryCode(t *testing.T) {
	src, err := os.ReadFile("reason.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := strings.Count(string(src), " Reason = \"")
	rs := Reasons()
	seen := map[Reason]bool{}
	for _, r := range rs {
		if r == "" || seen[r] || strings.ToLower(string(r)) != string(r) || strings.Contains(string(r), " ") {
			t.Errorf("bad or repeated reason %q", r)
		}
		seen[r] = true
	}
	if len(rs) != consts {
		t.Errorf("Reasons() has %d codes, reason.go declares %d", len(rs), consts)
	}
}
