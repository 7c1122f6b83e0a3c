package rp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
)

const rrdpCorpusOBSD = obsdRegress + "/rrdp/"
const rrdpCorpusRS = "rpki-rs/test-data/rrdp/"

// openCorpus opens rel below ../shared/corpus (testshared.Corpus).
func openCorpus(t *testing.T, rel string) *os.File {
	t.Helper()
	f, err := os.Open(testshared.Corpus(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseNotificationCorpus(t *testing.T) {
	for _, c := range []struct {
		file           string
		session        string
		serial         uint64
		deltas         int
		first, last    uint64
		snapshotPrefix string
	}{
		{rrdpCorpusOBSD + "notification.xml", "8fe05c2e-047d-49e7-8398-cd4250a572b1", 50550, 0, 0, 0, "https://rpki.example.com/8fe05c2e"},
		{rrdpCorpusRS + "ripe-notification.xml", "", 0, 0, 0, 0, "https://"},
		{rrdpCorpusRS + "ripe-notification-unsorted.xml", "", 0, 0, 0, 0, "https://"},
		{rrdpCorpusRS + "ripe-notification-with-gaps.xml", "", 0, 0, 0, 0, "https://"},
	} {
		n, err := parseNotification(openCorpus(t, c.file), 100000)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if c.session != "" && (n.Session != c.session || n.Serial != c.serial || len(n.Deltas) != 101 ||
			fmt.Sprintf("%X", n.Snapshot.Hash) != "AE52F78BCB1B258A1DA924122971B0FDDFCE4C01B2B2DBA59C9B28EF1D94C02B") {
			t.Errorf("%s: %s %d", c.file, n.Session, n.Serial)
		}
		if !strings.HasPrefix(n.Snapshot.URI, c.snapshotPrefix) || len(n.Deltas) == 0 ||
			!slices.IsSortedFunc(n.Deltas, func(a, b deltaRef) int { return int(a.Serial - b.Serial) }) {
			t.Errorf("%s: snapshot %s, %d deltas", c.file, n.Snapshot.URI, len(n.Deltas))
		}
		t.Logf("%s: session %s serial %d, deltas %d..%d (%d), contiguous from %d: %v", filepath.Base(c.file), n.Session, n.Serial,
			n.Deltas[0].Serial, n.Deltas[len(n.Deltas)-1].Serial, len(n.Deltas), n.Deltas[0].Serial-1, deltasContinue(n, n.Deltas[0].Serial-1))
	}
}

func TestRRDPAttackInputsRejected(t *testing.T) {
	for _, f := range []string{rrdpCorpusOBSD + "xxe.xml", rrdpCorpusOBSD + "billion_lol.xml", rrdpCorpusRS + "lolz-notification.xml"} {
		_, err := parseNotification(openCorpus(t, f), 100)
		if ReasonOf(err) != ReasonRRDPMalformed || !strings.Contains(err.Error(), "DOCTYPE") {
			t.Errorf("%s: %v", f, err)
		}
		_, err = parseSnapshot(openCorpus(t, f), 1<<20, 100, func(rrdpElement) error { return nil })
		if ReasonOf(err) != ReasonRRDPMalformed {
			t.Errorf("%s as snapshot: %v", f, err)
		}
	}
}

func TestParseSnapshotAndDeltaCorpus(t *testing.T) {
	for _, c := range []struct {
		file            string
		delta           bool
		publish, withdr int
	}{
		{rrdpCorpusOBSD + "snapshot.xml", false, 3, 0},
		{rrdpCorpusOBSD + "delta.xml", true, 3, 1},
		{rrdpCorpusRS + "ripe-snapshot.xml", false, 277, 0},
		{rrdpCorpusRS + "ripe-delta.xml", true, 65, 1},
	} {
		var pub, wd int
		fn := func(el rrdpElement) error {
			if el.Withdraw {
				wd++
			} else {
				pub++
			}
			return nil
		}
		var h rrdpHeader
		var err error
		if c.delta {
			h, err = parseDelta(openCorpus(t, c.file), 1<<20, 1<<20, fn)
		} else {
			h, err = parseSnapshot(openCorpus(t, c.file), 1<<20, 1<<20, fn)
		}
		if err != nil || pub+wd == 0 || (c.publish >= 0 && (pub != c.publish || wd != c.withdr)) {
			t.Errorf("%s: %v (%d publish, %d withdraw)", c.file, err, pub, wd)
			continue
		}
		t.Logf("%s: session %s serial %d: %d publish, %d withdraw", filepath.Base(c.file), h.Session, h.Serial, pub, wd)
	}
}

func TestRRDPParserRejects(t *testing.T) {
	const hdr = `<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="9df4b597-af9e-4dca-bdda-719cce2c4e28" serial="2">`
	for name, doc := range map[string]string{
		"bad version":     `<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="2" session_id="9df4b597-af9e-4dca-bdda-719cce2c4e28" serial="2"></snapshot>`,
		"bad session":     `<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="x" serial="2"></snapshot>`,
		"serial 0":        `<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="9df4b597-af9e-4dca-bdda-719cce2c4e28" serial="0"></snapshot>`,
		"other namespace": `<snapshot xmlns="urn:x" version="1" session_id="9df4b597-af9e-4dca-bdda-719cce2c4e28" serial="2"></snapshot>`,
		"foreign attr":    hdr + `<publish uri="rsync://h/m/a.cer" x="1">AAAA</publish></snapshot>`,
		"withdraw":        hdr + `<withdraw uri="rsync://h/m/a.cer" hash="` + strings.Repeat("0", 64) + `"/></snapshot>`,
		"bad base64":      hdr + `<publish uri="rsync://h/m/a.cer">A*AA</publish></snapshot>`,
		"child element":   hdr + `<publish uri="rsync://h/m/a.cer"><x/></publish></snapshot>`,
		"http uri":        hdr + `<publish uri="http://h/m/a.cer">AAAA</publish></snapshot>`,
		"trailing":        hdr + `</snapshot><x/>`,
		"truncated":       hdr + `<publish uri="rsync://h/m/a.cer">AAAA`,
		"pi":              `<?foo bar?>` + hdr + `</snapshot>`,
	} {
		_, err := parseSnapshot(strings.NewReader(doc), 1<<20, 100, func(rrdpElement) error { return nil })
		if ReasonOf(err) != ReasonRRDPMalformed {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := hdr + `<publish uri="rsync://h/m/a.cer">` + strings.Repeat("AAAA", 1000) + `</publish></snapshot>`
	if _, err := parseSnapshot(strings.NewReader(big), 100, 100, func(rrdpElement) error { return nil }); ReasonOf(err) != ReasonTooLarge {
		t.Errorf("oversized object: %v", err)
	}
	many := hdr
	for i := range 20 {
		many += fmt.Sprintf(`<publish uri="rsync://h/m/%d.cer">AAAA</publish>`, i)
	}
	many += `</snapshot>`
	if _, err := parseSnapshot(strings.NewReader(many), 100, 10, func(rrdpElement) error { return nil }); ReasonOf(err) != ReasonTooLarge {
		t.Errorf("too many elements: %v", err)
	}
}

// rrdpServer serves a publisher's RRDP files over TLS, with hooks to
// tamper with answers and count requests.
type rrdpServer struct {
	srv      *httptest.Server
	handler  atomic.Value // http.Handler
	tamper   atomic.Value // func(path string, body []byte) []byte
	requests atomic.Int64
}

func newRRDPServer(t *testing.T) *rrdpServer {
	s := &rrdpServer{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h, _ := s.handler.Load().(http.Handler)
		if h == nil {
			http.NotFound(w, r)
			return
		}
		f, _ := s.tamper.Load().(func(string, []byte) []byte)
		if f == nil {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r.Clone(r.Context()))
		body := f(r.URL.Path, rec.Body.Bytes())
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case logs a handshake error
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *rrdpServer) setTamper(f func(path string, body []byte) []byte) { s.tamper.Store(f) }

// TestRRDPClientAgainstRoadPublisher: the client follows internal/publish's
// real RRDP output over HTTPS: snapshot first, then a delta, then nothing;
// a corrupted delta falls back to the snapshot, a corrupted snapshot
// changes nothing in the cache; the RP validates exactly the configured
// VRPs from what was fetched.
func TestRRDPClientAgainstRoadPublisher(t *testing.T) {
	s := newRRDPServer(t)
	clock := time.Now
	r := buildRepoRRDP(t, "", clock, 8873, s.srv.URL+"/rrdp/", testROAs...)
	s.handler.Store(r.pub.Handler())
	notify := r.pub.NotificationURI()
	cache := t.TempDir()
	c := &RRDPClient{HTTP: s.srv.Client(), Cache: cache}
	ctx := context.Background()

	res, err := c.Sync(ctx, notify)
	if err != nil {
		t.Fatal(err)
	}
	session, serial := r.pub.State()
	if !res.Snapshot || res.Deltas != 0 || res.Session != session || res.Serial != serial || res.Objects != len(r.objs) {
		t.Fatalf("first sync %+v, want snapshot %s/%d with %d objects", res, session, serial, len(r.objs))
	}
	check := func(want []string) {
		t.Helper()
		// Validate with the client: it syncs again (unchanged) once per run.
		v, err := Validate(ctx, Options{Cache: cache, RRDP: c}, []TAL{r.tal})
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Set(); !slices.Equal(got, mustVRPs(t, want...)) || len(v.Rejected) != 0 || v.Stats.RRDPSynced != 1 {
			t.Fatalf("VRPs %v (rejected %v, stats %+v)\nwant %v", got, r.rejections(v), v.Stats, want)
		}
	}
	check(testROAs)

	// A change: the client applies it as one delta.
	r.apply(t, []string{"198.51.100.128/25 => AS64497"}, []string{"203.0.113.0/24 => AS0"})
	r.publish(t)
	res, err = c.Sync(ctx, notify)
	if err != nil || res.Snapshot || res.Deltas != 1 || res.Serial != serial+1 || res.Objects != len(r.objs) {
		t.Fatalf("second sync %+v %v", res, err)
	}
	want2 := append(slices.DeleteFunc(slices.Clone(testROAs), func(s string) bool { return s == "203.0.113.0/24 => AS0" }),
		"198.51.100.128/25 => AS64497")
	check(want2)
	if _, err := os.Stat(filepath.Join(repoDir(cache, notify), "127.0.0.1:8873/repo/ca/203-0-113-0_24-24_AS0.roa")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("withdrawn ROA still in the cache: %v", err)
	}
	if _, err := os.Stat(filepath.Join(repoDir(cache, notify), "127.0.0.1:8873/repo/ca/198-51-100-128_25-25_AS64497.roa")); err != nil {
		t.Errorf("added ROA not in the repository tree: %v", err)
	}

	// Nothing new.
	if res, err = c.Sync(ctx, notify); err != nil || !res.Unchanged {
		t.Fatalf("third sync %+v %v", res, err)
	}

	// A corrupted delta (its hash no longer matches): the snapshot is used.
	r.apply(t, []string{"192.0.2.0/25 => AS64496"}, nil)
	r.publish(t)
	want3 := append(slices.Clone(want2), "192.0.2.0/25 => AS64496")
	s.setTamper(func(path string, body []byte) []byte {
		if strings.HasSuffix(path, "/delta.xml") || strings.Contains(path, "delta") {
			return bytes.Replace(body, []byte("<publish"), []byte("<publish "), 1)
		}
		return body
	})
	if res, err = c.Sync(ctx, notify); err != nil || !res.Snapshot || res.Deltas != 0 {
		t.Fatalf("sync with a bad delta %+v %v", res, err)
	}
	check(want3)

	// A corrupted snapshot and delta: the fetch fails, the cache stays.
	r.apply(t, []string{"192.0.2.128/25 => AS64496"}, nil)
	r.publish(t)
	s.setTamper(func(path string, body []byte) []byte {
		if strings.HasSuffix(path, ".xml") && !strings.HasSuffix(path, "notification.xml") {
			return append(body, ' ')
		}
		return body
	})
	if _, err = c.Sync(ctx, notify); ReasonOf(err) != ReasonRRDPHash {
		t.Fatalf("sync with bad snapshot: %v", err)
	}
	v, err := Validate(ctx, Options{Cache: cache}, []TAL{r.tal})
	if err != nil || !slices.Equal(v.Set(), mustVRPs(t, want3...)) {
		t.Fatalf("cache changed after a failed fetch: %v %v", err, v.Set())
	}
	s.setTamper(nil)
	if res, err = c.Sync(ctx, notify); err != nil || res.Deltas != 1 {
		t.Fatalf("recovery %+v %v", res, err)
	}
	check(append(slices.Clone(want3), "192.0.2.128/25 => AS64496"))
}

func TestRRDPClientRefusals(t *testing.T) {
	s := newRRDPServer(t)
	r := buildRepoRRDP(t, "", time.Now, 8873, s.srv.URL+"/rrdp/", testROAs[:1]...)
	s.handler.Store(r.pub.Handler())
	notify := r.pub.NotificationURI()
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		tamper func(string, []byte) []byte
		client func(*RRDPClient)
		uri    string
		want   Reason
	}{
		{"http notification", nil, nil, strings.Replace(notify, "https://", "http://", 1), ReasonBadURI},
		{"404", nil, nil, notify + "x", ReasonRRDPFetch},
		{"notification too large", nil, func(c *RRDPClient) { c.MaxNotification = 100 }, notify, ReasonTooLarge},
		{"snapshot too large", nil, func(c *RRDPClient) { c.MaxSnapshot = 1000 }, notify, ReasonTooLarge},
		{"object too large", nil, func(c *RRDPClient) { c.MaxObject = 100 }, notify, ReasonTooLarge},
		{"snapshot on another host", func(p string, b []byte) []byte {
			if strings.HasSuffix(p, "notification.xml") {
				return bytes.Replace(b, []byte(`<snapshot uri="https://127.0.0.1`), []byte(`<snapshot uri="https://localhost`), 1)
			}
			return b
		}, nil, notify, ReasonRRDPOutside},
		{"snapshot hash", func(p string, b []byte) []byte {
			if strings.Contains(p, "snapshot") {
				return append(b, '\n')
			}
			return b
		}, nil, notify, ReasonRRDPHash},
		{"snapshot serial differs", func(p string, b []byte) []byte {
			if strings.HasSuffix(p, "notification.xml") {
				return bytes.Replace(b, []byte(` serial="1"`), []byte(` serial="7"`), 1)
			}
			return b
		}, nil, notify, ReasonRRDPSession},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.setTamper(c.tamper)
			defer s.setTamper(nil)
			cl := &RRDPClient{HTTP: s.srv.Client(), Cache: t.TempDir()}
			if c.client != nil {
				c.client(cl)
			}
			_, err := cl.Sync(ctx, c.uri)
			if ReasonOf(err) != c.want {
				t.Fatalf("err %v, want %s", err, c.want)
			}
			if _, err := os.Stat(repoDir(cl.Cache, c.uri)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("repository tree written after a failure: %v", err)
			}
			if _, err := os.Stat(repoStatePath(cl.Cache, c.uri)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state written after a failure: %v", err)
			}
		})
	}
	// An untrusted server certificate fails the fetch.
	cl := RRDPClient{HTTP: &http.Client{}, Cache: t.TempDir()}
	if _, err := cl.Sync(ctx, notify); ReasonOf(err) != ReasonRRDPFetch {
		t.Errorf("untrusted TLS: %v", err)
	}
}

// TestFetchTA: the TA certificate comes over HTTPS into the cache, and an
// answer with another key (or not a certificate) leaves the cached one.
func TestFetchTA(t *testing.T) {
	tal, err := LoadTAL(fixtureTAL)
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(fixtureCache, "127.0.0.1/repo/ta/ta.cer"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(testshared.Corpus(t, conformanceDir+"/root.cer"))
	if err != nil {
		t.Fatal(err)
	}
	var serve atomic.Value
	serve.Store(good)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(serve.Load().([]byte))
	}))
	defer srv.Close()
	cache := t.TempDir()
	c := &RRDPClient{HTTP: srv.Client(), Cache: cache}
	uri := srv.URL + "/ta/ta.cer"
	path := filepath.Join(cache, strings.TrimPrefix(srv.URL, "https://"), "ta", "ta.cer")
	if err := c.FetchTA(context.Background(), uri, 1<<20, tal.TAL.SPKI); err != nil {
		t.Fatal(err)
	}
	for _, c2 := range []struct {
		body []byte
		want Reason
	}{{other, ReasonTAKeyMismatch}, {[]byte("not a certificate"), ReasonMalformed}} {
		serve.Store(c2.body)
		if err := c.FetchTA(context.Background(), uri, 1<<20, tal.TAL.SPKI); ReasonOf(err) != c2.want {
			t.Errorf("got %v, want %s", err, c2.want)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, good) {
			t.Errorf("cached TA replaced: %v", err)
		}
	}
	serve.Store(good)
	if err := c.FetchTA(context.Background(), uri, 100, tal.TAL.SPKI); ReasonOf(err) != ReasonTooLarge {
		t.Errorf("size bound: %v", err)
	}
}
