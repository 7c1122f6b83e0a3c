package pubsrv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/pubproto"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/updown"
)

type testID struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

func newTestID(t testing.TB, name string, now time.Time) *testID {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testID{cert: c, key: key}
}

func (id *testID) oob(t testing.TB) oob.Identity {
	o, err := oob.NewIdentity(id.cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	t    *testing.T
	now  time.Time
	st   *store.Store
	srv  *Server
	road *testID
	pubs int
}

func (e *env) clock() time.Time { return e.now }

func newEnv(t *testing.T, rsyncBase string) *env {
	e := &env{t: t, now: t0}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "road.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st, e.road = st, newTestID(t, "A", t0)
	e.srv = New(Config{Store: st, Identity: e.road.oob(t), Signer: &updown.Signer{ID: e.road.cert, Key: e.road.key, Now: e.clock},
		ServiceBase: "http://127.0.0.1:8080/", RsyncBase: rsyncBase, RRDPNotify: "https://127.0.0.1:8443/rrdp/notification.xml",
		Publish: func(context.Context) error { e.pubs++; return nil }, Clock: e.clock})
	return e
}

func (e *env) add(name string) *testID {
	e.t.Helper()
	id := newTestID(e.t, name+"-id", e.now)
	req, err := oob.EmitPublisherRequest(oob.PublisherRequest{PublisherHandle: name, PublisherBPKI: id.oob(e.t)})
	if err != nil {
		e.t.Fatal(err)
	}
	added, err := e.srv.AddPublisher(context.Background(), "admin", name, req)
	if err != nil {
		e.t.Fatal(err)
	}
	rr, err := oob.ParseRepositoryResponse(added.RepositoryResponse, oob.Options{RFCOnly: true})
	if err != nil {
		e.t.Fatal(err)
	}
	if rr.ServiceURI != "http://127.0.0.1:8080/rfc8181/"+name || rr.PublisherHandle != name ||
		rr.SIABase != e.srv.cfg.RsyncBase+name+"/" || rr.RRDPNotificationURI != "https://127.0.0.1:8443/rrdp/notification.xml" ||
		!bytes.Equal(rr.RepositoryBPKI.DER, e.road.cert.Raw) {
		e.t.Fatalf("repository_response %+v", rr)
	}
	return id
}

func (e *env) wrapXML(id *testID, xml []byte) []byte {
	e.t.Helper()
	der, err := updown.Wrap(xml, &updown.Signer{ID: id.cert, Key: id.key, Now: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	return der
}

func (e *env) wrap(id *testID, pdus ...pubproto.PDU) []byte {
	e.t.Helper()
	xml, err := pubproto.Emit(pubproto.Message{Type: pubproto.Query, PDUs: pdus})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.wrapXML(id, xml)
}

// send posts a query and verifies the reply with road's identity.
func (e *env) send(name string, body []byte) (int, pubproto.Message) {
	e.t.Helper()
	e.now = e.now.Add(time.Second)
	status, resp := e.srv.Handle(context.Background(), name, body)
	u, err := updown.Unwrap(resp, e.road.cert, e.now, time.Time{})
	if err != nil {
		e.t.Fatalf("reply does not verify with road's identity: %v", err)
	}
	m, err := pubproto.Parse(u.XML, pubproto.Options{})
	if err != nil || m.Type != pubproto.Reply {
		e.t.Fatalf("reply: %v %+v", err, m)
	}
	return status, m
}

func (e *env) published() map[string]string {
	out := map[string]string{}
	e.st.View(context.Background(), func(tx *store.Tx) error {
		l, err := tx.PublicationObjects()
		for _, o := range l {
			out[o.URI] = string(o.DER)
		}
		return err
	})
	return out
}

const base = "rsync://127.0.0.1:8873/repo/"

func pub(tag, uri, content, hash string) pubproto.PDU {
	return pubproto.PDU{Kind: pubproto.Publish, Tag: tag, URI: uri, Content: []byte(content), Hash: hash}
}

func wd(tag, uri, hash string) pubproto.PDU {
	return pubproto.PDU{Kind: pubproto.Withdraw, Tag: tag, URI: uri, Hash: hash}
}

// TestPublishWithdrawList: an exchange with exact replies and stored objects.
func TestPublishWithdrawList(t *testing.T) {
	e := newEnv(t, base)
	b := e.add("B")
	mft, roa := base+"B/x.mft", base+"B/sub/y.roa"
	status, m := e.send("B", e.wrap(b, pub("1", mft, "M1", ""), pub("2", roa, "R1", "")))
	if status != http.StatusOK || !m.Success || e.pubs != 1 {
		t.Fatalf("publish: %d %+v (publishes %d)", status, m, e.pubs)
	}
	_, m = e.send("B", e.wrap(b, pubproto.PDU{Kind: pubproto.List}))
	if len(m.List) != 2 || m.List[1].URI != mft || m.List[1].Hash != hashOf([]byte("M1")) || m.List[0].URI != roa {
		t.Fatalf("list: %+v", m.List)
	}
	_, m = e.send("B", e.wrap(b, pub("3", mft, "M2", hashOf([]byte("M1"))), wd("4", roa, hashOf([]byte("R1")))))
	if !m.Success {
		t.Fatalf("replace and withdraw: %+v", m)
	}
	if got := e.published(); len(got) != 1 || got[mft] != "M2" {
		t.Fatalf("stored %v", got)
	}
	infos, _ := e.srv.Publishers(context.Background())
	if len(infos) != 1 || infos[0].Objects != 1 || infos[0].SIABase != base+"B/" || !infos[0].LastContact.Equal(e.now.Add(-time.Second)) {
		t.Fatalf("publishers %+v", infos)
	}
	if err := e.srv.RemovePublisher(context.Background(), "admin", "B"); err != nil || len(e.published()) != 0 || e.pubs != 3 {
		t.Fatalf("remove: %v, left %v, publishes %d", err, e.published(), e.pubs)
	}
}

// TestPDUFailuresAreAllOrNothing: the first failing PDU is reported with
// its tag, code and a copy; nothing of the query is stored.
func TestPDUFailuresAreAllOrNothing(t *testing.T) {
	e := newEnv(t, base)
	b := e.add("B")
	e.add("C")
	mft := base + "B/x.mft"
	e.send("B", e.wrap(b, pub("0", mft, "M1", "")))
	pubs := e.pubs
	fresh := pub("ok", base+"B/new.roa", "N", "")
	cases := []struct {
		name string
		pdu  pubproto.PDU
		code string
	}{
		{"another publisher's space", pub("bad", base+"C/x.roa", "X", ""), pubproto.PermissionFailure},
		{"road's own CA", pub("bad", base+"ca/x.roa", "X", ""), pubproto.PermissionFailure},
		{"a file road cannot serve", pub("bad", base+"B/x.txt", "X", ""), pubproto.PermissionFailure},
		{"a dot directory", pub("bad", base+"B/../ca/x.roa", "X", ""), pubproto.PermissionFailure},
		{"publish over an object without its hash", pub("bad", mft, "M2", ""), pubproto.ObjectAlreadyPresent},
		{"publish with a hash where there is none", pub("bad", base+"B/none.roa", "X", hashOf([]byte("X"))), pubproto.NoObjectPresent},
		{"withdraw of nothing", wd("bad", base+"B/none.roa", hashOf([]byte("X"))), pubproto.NoObjectPresent},
		{"withdraw with a wrong hash", wd("bad", mft, hashOf([]byte("other"))), pubproto.NoObjectMatchingHash},
		{"publish with a wrong hash", pub("bad", mft, "M2", hashOf([]byte("other"))), pubproto.NoObjectMatchingHash},
		{"an object over the size quota", pub("bad", base+"B/big.roa", string(make([]byte, MaxObjectSize+1)), ""), pubproto.OtherError},
	}
	for _, c := range cases {
		status, m := e.send("B", e.wrap(b, fresh, c.pdu))
		if status != http.StatusOK || len(m.Errors) != 1 || m.Errors[0].Code != c.code || m.Errors[0].Tag != "bad" ||
			m.Errors[0].Failed == nil || m.Errors[0].Failed.URI != c.pdu.URI {
			t.Errorf("%s: %d %+v", c.name, status, m.Errors)
		}
		if got := e.published(); len(got) != 1 || got[mft] != "M1" || e.pubs != pubs {
			t.Errorf("%s: stored %v", c.name, got)
		}
	}
}

// TestRefusedBeforeAuthentication: HTTP 400, a signed report_error with the
// exact code and reason, nothing stored, the replay bound kept.
func TestRefusedBeforeAuthentication(t *testing.T) {
	e := newEnv(t, base)
	b := e.add("B")
	stranger := newTestID(t, "x", t0)
	e.send("B", e.wrap(b, pubproto.PDU{Kind: pubproto.List}))
	bound := lastSigning(e, "B")
	at := func(d time.Duration, pdus ...pubproto.PDU) []byte {
		keep := e.now
		e.now = e.now.Add(d)
		defer func() { e.now = keep }()
		return e.wrap(b, pdus...)
	}
	p := pub("1", base+"B/a.roa", "A", "")
	reply, _ := pubproto.Emit(pubproto.Message{Type: pubproto.Reply, Success: true})
	cases := []struct {
		name, who string
		body      []byte
		code      string
		reason    string
	}{
		{"unknown publisher", "Z", e.wrap(b, p), pubproto.PermissionFailure, ReasonUnknownPublisher},
		{"another identity", "B", e.wrap(stranger, p), pubproto.BadCMSSignature, updown.ReasonCMSWrongIdentity},
		{"replayed", "B", at(-2*time.Second, p), pubproto.BadCMSSignature, updown.ReasonCMSReplay},
		{"signing time ahead", "B", at(11*time.Minute, p), pubproto.BadCMSSignature, updown.ReasonCMSSigningTime},
		{"not CMS", "B", []byte("x"), pubproto.BadCMSSignature, updown.ReasonCMSMalformed},
		{"oversized", "B", make([]byte, MaxBody+1), pubproto.OtherError, ReasonTooLarge},
		{"malformed XML", "B", e.wrapXML(b, []byte("<msg")), pubproto.XMLError, "pubproto-malformed"},
		{"a reply", "B", e.wrapXML(b, reply), pubproto.XMLError, ReasonNotAQuery},
	}
	for _, c := range cases {
		status, m := e.send(c.who, c.body)
		if status != http.StatusBadRequest || len(m.Errors) != 1 || m.Errors[0].Code != c.code ||
			!strings.HasPrefix(m.Errors[0].Text, c.reason) {
			t.Errorf("%s: %d %+v", c.name, status, m.Errors)
		}
		if len(e.published()) != 0 || e.pubs != 0 || !lastSigning(e, "B").Equal(bound) {
			t.Errorf("%s changed something", c.name)
		}
	}
}

func lastSigning(e *env, name string) time.Time {
	var at time.Time
	e.st.View(context.Background(), func(tx *store.Tx) error {
		p, err := tx.Publisher(name)
		if err == nil {
			at = p.LastSigningTime
		}
		return nil
	})
	return at
}

// TestCorpusQueries: rpki-rs's RFC 8181 queries, signed by the publisher
// "path" of a repository at rsync://host/: publish-single is stored,
// publish-multi publishes twice to one URI and is refused as a whole at
// its second PDU, list lists.
func TestCorpusQueries(t *testing.T) {
	e := newEnv(t, "rsync://host/")
	p := e.add("path")
	read := func(f string) []byte {
		b, err := os.ReadFile(testshared.Corpus(t, "rpki-rs/test-data/ca/rfc8181/"+f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	_, m := e.send("path", e.wrapXML(p, read("publish-multi.xml")))
	if len(m.Errors) != 1 || m.Errors[0].Code != pubproto.ObjectAlreadyPresent ||
		m.Errors[0].Tag != "501655fb625a03520741801dcc71b5d3148cba2ef7106ca2762620c292c9f08d" || len(e.published()) != 0 {
		t.Fatalf("publish-multi: %+v", m.Errors)
	}
	if _, m = e.send("path", e.wrapXML(p, read("publish-single.xml"))); !m.Success {
		t.Fatalf("publish-single: %+v", m)
	}
	_, m = e.send("path", e.wrapXML(p, read("list.xml")))
	if len(m.List) != 1 || m.List[0].URI != "rsync://host/path/cms-ta.cer" || m.List[0].Hash != hashOf([]byte(e.published()["rsync://host/path/cms-ta.cer"])) {
		t.Fatalf("list: %+v", m.List)
	}
}

// TestConcurrentQueries: queries arriving together are applied one at a
// time; every object is stored once.
func TestConcurrentQueries(t *testing.T) {
	e := newEnv(t, base)
	b := e.add("B")
	const n = 4
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = e.wrap(b, pub("t", base+"B/o"+itoa(i)+".roa", "R"+itoa(i), ""))
	}
	done := make(chan int, n)
	for i := range bodies {
		go func() {
			status, _ := e.srv.Handle(context.Background(), "B", bodies[i])
			done <- status
		}()
	}
	for range n {
		if s := <-done; s != http.StatusOK {
			t.Fatalf("HTTP %d", s)
		}
	}
	if got := e.published(); len(got) != n {
		t.Fatalf("stored %d objects: %v", len(got), got)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
