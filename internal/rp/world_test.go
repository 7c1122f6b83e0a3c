package rp

import (
	"bytes"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/rrdp"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/vrp"
)

// worldRRDP serves several RRDP repositories (/NAME/...) over TLS; each
// can be made to cut its snapshots in half or to never answer.
type worldRRDP struct {
	mu     sync.Mutex
	files  map[string][]byte
	mode   map[string]string // repository name -> "", "truncate", "hang", "drop"
	serial map[string]uint64
	srv    *httptest.Server
}

func newWorldRRDP(t *testing.T) *worldRRDP {
	w := &worldRRDP{files: map[string][]byte{}, mode: map[string]string{}, serial: map[string]uint64{}}
	w.srv = httptest.NewTLSServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *worldRRDP) serve(rw http.ResponseWriter, req *http.Request) {
	name, _, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
	w.mu.Lock()
	body, ok := w.files[req.URL.Path]
	mode := w.mode[name]
	w.mu.Unlock()
	switch {
	case mode == "hang":
		<-req.Context().Done() // never answers; the client's deadline ends it
		return
	case mode == "drop":
		if c, _, err := http.NewResponseController(rw).Hijack(); err == nil {
			c.Close() // closes every connection without an answer
		}
		return
	case !ok:
		http.NotFound(rw, req)
		return
	case mode == "truncate" && strings.HasSuffix(req.URL.Path, "snapshot.xml"):
		body = body[:len(body)/2]
	}
	rw.Write(body)
}

func (w *worldRRDP) setMode(name, mode string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mode[name] = mode
}

func (w *worldRRDP) notifyURI(name string) string {
	return w.srv.URL + "/" + name + "/notification.xml"
}

// publish serves objs (rsync URI -> content) as the next serial of
// repository name: a snapshot and a notification without deltas.
func (w *worldRRDP) publish(name string, objs map[string][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.serial[name]++
	h := rrdp.Header{Session: fmt.Sprintf("00000000-0000-4000-8000-%012x", len(name)), Serial: w.serial[name]}
	var snap bytes.Buffer
	e := rrdp.StartSnapshot(&snap, h)
	for _, u := range slices.Sorted(maps.Keys(objs)) {
		e.Publish(u, nil, objs[u])
	}
	e.Close()
	path := fmt.Sprintf("/%s/%d/snapshot.xml", name, h.Serial)
	w.files[path] = snap.Bytes()
	var n bytes.Buffer
	rrdp.WriteNotification(&n, &rrdp.Notification{Header: h, Snapshot: rrdp.FileRef{URI: w.srv.URL + path, Hash: sha256.Sum256(snap.Bytes())}})
	w.files["/"+name+"/notification.xml"] = n.Bytes()
}

// objectsOf are a node's files as RRDP publishes them.
func objectsOf(n *tnode, except ...string) map[string][]byte {
	out := map[string][]byte{}
	for name, data := range n.files {
		if !strings.HasPrefix(name, "../") && !slices.Contains(except, name) {
			out[n.repo+name] = data
		}
	}
	return out
}

// worldCA issues a CA certificate name.cer on parent's point for a
// repository of its own (caRepository repo, rpkiNotify notify or none).
func worldCA(t *testing.T, b *treeBuilder, parent *tnode, name, repo, notify string, ip *rpki.IPResources) *tnode {
	k := genKey(t)
	n := &tnode{key: k, uri: parent.repo + name + ".cer", repo: repo, files: map[string][]byte{}, serial: 1}
	tmpl := &rpki.Certificate{SerialNumber: parent.nextSerial(), Subject: keyName(k), NotBefore: b.now.Add(-time.Hour),
		NotAfter: b.now.Add(24 * time.Hour * 100), PublicKey: &k.PublicKey, IsCA: true, CRLDP: parent.crlURI(), AIA: parent.uri,
		SIA: rpki.SIA{CARepository: repo, Manifest: repo + "ca.mft", Notify: notify}, IP: ip,
		// AS resources too: rpki-client wants both RFC 3779 extensions on
		// the manifest EE, inheriting.
		AS: &rpki.ASResources{Ranges: []rpki.ASRange{{Min: 65000, Max: 65100}}}}
	der, err := rpki.CreateCertificate(tmpl, parent.cert.Subject, parent.key)
	if err != nil {
		t.Fatal(err)
	}
	if n.cert, err = rpki.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	parent.files[name+".cer"] = der
	return n
}

// TestLoopbackWorld is issue 8's fetching acceptance on loopback: a TA
// over rsync (its TAL's https URI answers 404 first), A RRDP-only, B
// rsync-only, C RRDP whose snapshot later breaks halfway (rsync takes
// over), D below B whose RRDP repository stops answering and later serves
// a broken state (its last valid copy is used until it expires), and a
// damaged file in A's cache that heals within the run. rpki-client 9.5
// over the same world (its own cache) gives the same VRPs at every step
// but the hanging one (it would wait out its own timeout).
func TestLoopbackWorld(t *testing.T) {
	testpeers.Require(t, "rsync")
	base := t.TempDir()
	dirTA, dirB, dirC := filepath.Join(base, "ta"), filepath.Join(base, "b"), filepath.Join(base, "c")
	for _, d := range []string{dirTA, dirB, dirC} {
		os.MkdirAll(d, 0o755)
	}
	p1, p2, p3 := testpeers.StartRsyncd(t, dirTA, "ta"), testpeers.StartRsyncd(t, dirB, "b"), testpeers.StartRsyncd(t, dirC, "c")
	w := newWorldRRDP(t)
	mod := func(p int, m string) string { return fmt.Sprintf("rsync://127.0.0.1:%d/%s/", p, m) }
	t0 := time.Now().UTC().Truncate(time.Second)
	bTA := &treeBuilder{t: t, base: mod(p1, "ta"), now: t0}
	ta := bTA.ta(*ipRes("10.0.0.0/8"), rpki.ASResources{Ranges: []rpki.ASRange{{Min: 65000, Max: 65100}}})
	a := worldCA(t, bTA, ta, "a", mod(p1, "a"), w.notifyURI("a"), ipRes("10.1.0.0/16"))
	b := worldCA(t, bTA, ta, "b", mod(p2, "b"), "", ipRes("10.2.0.0/16"))
	c := worldCA(t, bTA, ta, "c", mod(p3, "c"), w.notifyURI("c"), ipRes("10.3.0.0/16"))
	bA, bB, bC := &treeBuilder{t: t, base: a.repo, now: t0}, &treeBuilder{t: t, base: b.repo, now: t0}, &treeBuilder{t: t, base: c.repo, now: t0}
	// D's manifest and CRL expire 12 h before everyone else's.
	bD := &treeBuilder{t: t, base: mod(p1, "d"), now: t0.Add(-12 * time.Hour)}
	d := worldCA(t, bD, b, "d", bD.base, w.notifyURI("d"), ipRes("10.2.128.0/17"))
	bA.roa(a, "a1", 65001, "10.1.0.0/16")
	bB.roa(b, "b1", 65002, "10.2.0.0/16")
	bC.roa(c, "c1", 65003, "10.3.0.0/16")
	bD.roa(d, "d1", 65004, "10.2.128.0/17")
	bTA.finish(ta, dirTA)
	bA.finish(a, t.TempDir())
	bB.finish(b, dirB)
	bC.finish(c, dirC)
	bD.finish(d, t.TempDir())
	w.publish("a", objectsOf(a))
	w.publish("c", objectsOf(c))
	w.publish("d", objectsOf(d))

	tal := &rpki.TAL{URIs: []string{w.srv.URL + "/ta/ta.cer", ta.uri}, SPKI: ta.cert.RawSubjectPublicKeyInfo}
	cache := filepath.Join(base, "cache")
	peer := worldRPKIClient(t, w, tal, base, w.srv.Listener.Addr().String(), p1, p2, p3)
	run := func(at time.Time) *Result {
		t.Helper()
		f := &Fetcher{Concurrency: 4, Timeout: 3 * time.Second, Retries: 1, Backoff: -1,
			RRDP:  &RRDPClient{HTTP: w.srv.Client(), Cache: cache},
			Rsync: &RsyncClient{Cache: cache, Timeout: 10 * time.Second}}
		res, err := Validate(t.Context(), Options{Cache: cache, Clock: func() time.Time { return at }, Fetch: f},
			[]TAL{{Name: "world", TAL: tal}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	check := func(step string, res *Result, wantVRPs []string, wantRj []string, wantFetch FetchStats) {
		t.Helper()
		if got, want := res.Set(), mustVRPs(t, wantVRPs...); !slices.Equal(got, want) {
			t.Errorf("%s: VRPs %v\nwant %v", step, got, want)
		}
		var rj []string
		for _, x := range res.Rejected {
			rj = append(rj, string(x.Reason)+" "+x.URI)
		}
		slices.Sort(rj)
		slices.Sort(wantRj)
		if !slices.Equal(rj, wantRj) {
			t.Errorf("%s: rejections %q\nwant %q", step, rj, wantRj)
		}
		if res.Fetch != wantFetch {
			t.Errorf("%s: fetch %+v\nwant %+v", step, res.Fetch, wantFetch)
		}
	}
	all := []string{"10.1.0.0/16 => AS65001", "10.2.0.0/16 => AS65002", "10.3.0.0/16 => AS65003", "10.2.128.0/17 => AS65004"}

	// 1: everything answers.
	res := run(t0)
	check("first run", res, all, nil, FetchStats{RRDPSynced: 3, RRDPSnapshots: 3, RsyncSynced: 2})
	peer("first run", res, t0)

	// 2: C publishes c2 but its RRDP snapshot breaks halfway: rsync takes
	// over. A file of A's cache is damaged: the snapshot heals it.
	bC.roa(c, "c2", 65033, "10.3.128.0/17-24")
	delete(c.files, "ca.mft") // signed anew (number 2, a minute later), not listed on itself
	(&treeBuilder{t: t, base: c.repo, now: t0.Add(time.Minute)}).finish(c, dirC)
	w.publish("c", objectsOf(c))
	w.setMode("c", "truncate")
	damaged := filepath.Join(repoDir(cache, a.cert.SIA.Notify), fmt.Sprintf("127.0.0.1:%d", p1), "a", "a1.roa")
	if err := os.WriteFile(damaged, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	withC2 := append(slices.Clone(all), "10.3.128.0/17-24 => AS65033")
	cBroken := "rrdp-malformed " + c.cert.SIA.Notify
	res = run(t0)
	check("C breaks, A damaged", res, withC2, []string{cBroken},
		FetchStats{RRDPSynced: 2, RRDPFailed: 1, RRDPResyncs: 1, RsyncSynced: 3, Retries: 1})
	peer("C breaks", res, t0)

	// 3: D never answers: its cached tree still validates.
	w.setMode("d", "hang")
	dFailed := []string{cBroken, "fetch-timeout " + d.cert.SIA.Notify, "rsync-fetch-failed " + bD.base}
	check("D hangs", run(t0), withC2, dFailed,
		FetchStats{RRDPSynced: 1, RRDPFailed: 2, RsyncSynced: 3, RsyncFailed: 1, Retries: 2})

	// 3b: D drops every connection: the same, and rpki-client 9.5 (which
	// would wait out its own timeout on the hanging server) agrees.
	w.setMode("d", "drop")
	res = run(t0)
	check("D drops", res, withC2, []string{cBroken, "rrdp-fetch-failed " + d.cert.SIA.Notify, "rsync-fetch-failed " + bD.base},
		FetchStats{RRDPSynced: 1, RRDPFailed: 2, RsyncSynced: 3, RsyncFailed: 1, Retries: 3}) // no deadline cuts D's retries short
	peer("D drops", res, t0)

	// 4: D answers with a state missing d1.roa: the last valid copy keeps d1.
	w.setMode("d", "")
	w.publish("d", objectsOf(d, "d1.roa"))
	res = run(t0)
	check("D broken", res, withC2, []string{cBroken, "file-missing " + d.repo + "d1.roa", "rsync-fetch-failed " + bD.base},
		FetchStats{RRDPSynced: 2, RRDPSnapshots: 1, RRDPFailed: 1, RRDPResyncs: 1, RsyncSynced: 3, RsyncFailed: 1, Retries: 2, KeptPPs: 1})
	if res.Lenient[LenientLastValid] != 1 {
		t.Errorf("leniencies %v", res.Lenient)
	}
	peer("D broken", res, t0)

	// 5: 13 h later D's last valid manifest has expired, and d1 with it.
	res = run(t0.Add(13 * time.Hour))
	peer("D expired", res, t0.Add(13*time.Hour))
	check("D expired", res, slices.DeleteFunc(slices.Clone(withC2), func(s string) bool { return strings.Contains(s, "AS65004") }),
		[]string{cBroken, "manifest-stale " + d.cert.SIA.Manifest, "rsync-fetch-failed " + bD.base},
		FetchStats{RRDPSynced: 2, RRDPFailed: 1, RRDPResyncs: 1, RsyncSynced: 3, RsyncFailed: 1, Retries: 2})
}

// worldRPKIClient returns a check that runs rpki-client 9.5 (Debian 13
// chroot) over the same world, with its own persistent cache, at the given
// evaluation time (-P), and compares its VRPs with road's. Without the
// chroot the check is skipped, unless CI=true.
func worldRPKIClient(t *testing.T, w *worldRRDP, tal *rpki.TAL, base, httpsHost string, ports ...int) func(string, *Result, time.Time) {
	if os.Getenv("CI") != "true" {
		p, ok := os.Getenv("ROAD_TRIXIE"), true
		if p == "" {
			p, ok = testshared.Lookup("peers/trixie.sh")
		}
		if _, err := os.Stat(p); !ok || err != nil {
			t.Log("no trixie.sh: road's VRPs are not compared with rpki-client 9.5")
			return func(string, *Result, time.Time) {}
		}
	}
	testpeers.TrixieScript(t) // under CI=true: fails when missing
	talPath := filepath.Join(base, "world.tal")
	caPath := filepath.Join(base, "tls-ca.pem")
	if err := os.WriteFile(talPath, tal.Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	hosts := []string{httpsHost}
	for _, p := range ports {
		hosts = append(hosts, fmt.Sprintf("127.0.0.1:%d", p))
	}
	cacheDir := testpeers.RPKIClientDir(t)
	return func(step string, res *Result, at time.Time) {
		t.Helper()
		rc := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: talPath, TLSCAFile: caPath, CacheDir: cacheDir,
			Hosts: hosts, Trixie: true, Extra: []string{"-P", strconv.FormatInt(at.Unix(), 10)}})
		if got := vrp.Set(rc.VRPs); !slices.Equal(got, res.Set()) {
			t.Errorf("%s: rpki-client 9.5 %v\nroad %v\n%s", step, got, res.Set(), rc.Log)
		}
	}
}
