package updownsrv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func addChild(t *testing.T, e *env, name, res string) *testID {
	t.Helper()
	id := newTestID(t, name+"-id", e.now)
	added, err := e.srv.AddChild(context.Background(), "admin", name, id.childRequest(t, name), res)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := oob.ParseParentResponse(added.ParentResponse, oob.Options{RFCOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if pr.ServiceURI != "http://127.0.0.1:8080/rfc6492/"+name || pr.ChildHandle != name || pr.ParentHandle != "A" ||
		!bytes.Equal(pr.ParentBPKI.DER, e.road.cert.Raw) {
		t.Fatalf("parent_response %+v", pr)
	}
	return id
}

func list(name string) *updown.Message {
	return &updown.Message{Sender: name, Recipient: "A", Type: updown.TypeList}
}

func issue(name, class string, der []byte) *updown.Message {
	return &updown.Message{Sender: name, Recipient: "A", Type: updown.TypeIssue,
		Request: &updown.IssueRequest{ClassName: class, CSR: der}}
}

func revoke(name, class string, ski []byte) *updown.Message {
	return &updown.Message{Sender: name, Recipient: "A", Type: updown.TypeRevoke,
		Key: &updown.Key{ClassName: class, SKI: ski}}
}

func resources(c updown.Class) string {
	r := Resources{IP: c.Resources.IPResources(), AS: c.Resources.ASResources()}
	return r.String()
}

// TestListIssueRevoke: the whole exchange of a child with exact contents.
func TestListIssueRevoke(t *testing.T) {
	e := newEnv(t, t0, "A")
	b := addChild(t, e, "B", "192.0.2.0/25, 2001:db8:1::/48, 10.0.0.0/8, AS64500")
	var issuer string
	e.st.View(context.Background(), func(tx *store.Tx) error { i, err := e.ca.ChildIssuer(tx); issuer = i.URI; return err })

	status, m := e.send("B", e.wrap(b, list("B")))
	if status != http.StatusOK || m.Type != updown.TypeListResponse || len(m.Classes) != 1 {
		t.Fatalf("list: %d %+v", status, m)
	}
	c := m.Classes[0]
	// 10.0.0.0/8 is not the CA's: the class holds only what it can certify.
	if c.Name != "default" || resources(c) != "192.0.2.0/25, 2001:db8:1::/48, AS64500" || len(c.Certificates) != 0 ||
		len(c.CertURLs) != 1 || c.CertURLs[0] != issuer || m.Sender != "A" || m.Recipient != "B" {
		t.Fatalf("class %+v (%s)", c, resources(c))
	}

	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	e.now = e.now.Add(time.Second)
	status, m = e.send("B", e.wrap(b, issue("B", "default", csr(t, key, rsyncBase+"B/"))))
	if status != http.StatusOK || m.Type != updown.TypeIssueResponse || len(m.Classes[0].Certificates) != 1 {
		t.Fatalf("issue: %d %+v", status, m)
	}
	ic := m.Classes[0].Certificates[0]
	cert, err := rpki.ParseCertificate(ic.DER)
	if err != nil {
		t.Fatal(err)
	}
	wantURI := rsyncBase + "ca/" + rpki.KeyFileName(&key.PublicKey, ".cer")
	if ic.CertURLs[0] != wantURI || !cert.PublicKey.Equal(&key.PublicKey) || cert.SIA.CARepository != rsyncBase+"B/" {
		t.Fatalf("issued %s %+v", ic.CertURLs[0], cert.SIA)
	}
	if got := certResources(cert); got != "192.0.2.0/25, 2001:db8:1::/48, AS64500" {
		t.Fatalf("issued for %s", got)
	}
	if e.pubs != 1 {
		t.Fatalf("publish called %d times after an issue", e.pubs)
	}
	// The same request again: the same certificate, nothing republished.
	e.now = e.now.Add(time.Second)
	_, m = e.send("B", e.wrap(b, issue("B", "default", csr(t, key, rsyncBase+"B/"))))
	if again, _ := rpki.ParseCertificate(m.Classes[0].Certificates[0].DER); again.SerialNumber.Cmp(cert.SerialNumber) != 0 || e.pubs != 1 {
		t.Fatalf("repeated issue reissued (serial %v, publishes %d)", again.SerialNumber, e.pubs)
	}
	_, m = e.send("B", e.wrap(b, list("B")))
	if n := len(m.Classes[0].Certificates); n != 1 || m.Classes[0].Certificates[0].CertURLs[0] != wantURI {
		t.Fatalf("list after issue: %d certificates", n)
	}

	status, m = e.send("B", e.wrap(b, revoke("B", "default", rpki.SubjectKeyID(&key.PublicKey))))
	if status != http.StatusOK || m.Type != updown.TypeRevokeResponse || !bytes.Equal(m.Key.SKI, rpki.SubjectKeyID(&key.PublicKey)) {
		t.Fatalf("revoke: %d %+v", status, m)
	}
	_, m = e.send("B", e.wrap(b, list("B")))
	if n := len(m.Classes[0].Certificates); n != 0 {
		t.Fatalf("list after revoke: %d certificates", n)
	}
	infos, err := e.srv.Children(context.Background())
	if err != nil || len(infos) != 1 || infos[0].Name != "B" || !infos[0].LastContact.Equal(e.now) ||
		strings.Join(infos[0].Resources, ", ") != "10.0.0.0/8, 192.0.2.0/25, 2001:db8:1::/48, AS64500" {
		t.Fatalf("children: %v %+v", err, infos)
	}
}

// TestRefusedBeforeAuthentication: every bad input gets HTTP 400 and a
// signed error_response with the exact status and reason, and changes
// neither the replay bound nor the objects.
func TestRefusedBeforeAuthentication(t *testing.T) {
	e := newEnv(t, t0, "A")
	b := addChild(t, e, "B", "192.0.2.0/25, AS64500")
	stranger := newTestID(t, "stranger", t0)
	// One accepted message sets the replay bound.
	e.send("B", e.wrap(b, list("B")))
	bound := e.lastSigning("B")
	objects := e.objectCount()

	past := func(d time.Duration) []byte {
		keep := e.now
		e.now = e.now.Add(-d)
		defer func() { e.now = keep }()
		return e.wrap(b, list("B"))
	}
	tampered := e.wrap(b, list("B"))
	tampered[bytes.Index(tampered, []byte(`type="list"`))+7] = 'L'
	malformed, _ := updown.Wrap([]byte("<message"), b.signer(e.clock))
	notQuery := e.wrap(b, &updown.Message{Sender: "B", Recipient: "A", Type: updown.TypeRevokeResponse,
		Key: &updown.Key{ClassName: "default", SKI: make([]byte, 20)}})
	cases := []struct {
		name, child string
		body        []byte
		code        int
		reason      string
	}{
		{"unknown child", "C", e.wrap(b, list("C")), 2001, ReasonUnknownChild},
		{"signed by another identity", "B", e.wrap(stranger, list("B")), 2001, updown.ReasonCMSWrongIdentity},
		{"content changed after signing", "B", tampered, 2001, updown.ReasonCMSBadSignature},
		{"not CMS", "B", []byte("hello"), 2001, updown.ReasonCMSMalformed},
		{"replayed: older than the last accepted", "B", past(time.Second), 2001, updown.ReasonCMSReplay},
		{"stale: signed two hours ago", "B", past(2 * time.Hour), 2001, updown.ReasonCMSCertExpired},
		{"signing time ten minutes ahead", "B", past(-10 * time.Minute), 2001, updown.ReasonCMSSigningTime},
		{"oversized body", "B", make([]byte, MaxBody+1), 2001, ReasonTooLarge},
		{"malformed XML", "B", malformed, 2001, updown.ReasonXMLMalformed},
		{"sender is not the endpoint's child", "B", e.wrap(b, list("C")), 2001, ReasonWrongSender},
		{"recipient is not this parent", "B", e.wrap(b, &updown.Message{Sender: "B", Recipient: "Z", Type: updown.TypeList}), 2001, ReasonWrongRecipient},
		{"a response sent as a query", "B", notQuery, 1103, ReasonNotAQuery},
	}
	for _, c := range cases {
		e.now = e.now.Add(time.Second)
		status, m := e.send(c.child, c.body)
		if status != http.StatusBadRequest || m.Type != updown.TypeError || m.Error.Status != c.code ||
			!strings.HasPrefix(m.Error.Descriptions[0].Text, c.reason+": ") {
			t.Errorf("%s: HTTP %d %+v", c.name, status, m.Error)
		}
		if !e.lastSigning("B").Equal(bound) || e.objectCount() != objects || e.pubs != 0 {
			t.Errorf("%s changed something (bound %s, objects %d, publishes %d)", c.name, e.lastSigning("B"), e.objectCount(), e.pubs)
		}
	}
}

// TestNotPerformed: authenticated requests that cannot be done get HTTP 200
// and the RFC 6492 §3.6 code, and change no object.
func TestNotPerformed(t *testing.T) {
	e := newEnv(t, t0, "A")
	b := addChild(t, e, "B", "192.0.2.0/25, AS64500")
	c := addChild(t, e, "C", "198.51.100.0/24") // none of it held
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := csr(t, key, rsyncBase+"B/")
	badCSR := append([]byte(nil), good...)
	badCSR[len(badCSR)-3] ^= 0xff
	e.now = e.now.Add(time.Second)
	if _, m := e.send("B", e.wrap(b, issue("B", "default", good))); m.Type != updown.TypeIssueResponse {
		t.Fatalf("issue: %+v", m)
	}
	objects, pubs := e.objectCount(), e.pubs
	cases := []struct {
		name, child string
		id          *testID
		msg         *updown.Message
		code        int
	}{
		{"issue in an unknown class", "B", b, issue("B", "other", good), 1201},
		{"issue with nothing held", "C", c, issue("C", "default", csr(t, other, rsyncBase+"C/")), 1202},
		{"badly signed request", "B", b, issue("B", "default", badCSR), 1203},
		{"not a PKCS#10 request", "B", b, issue("B", "default", []byte("csr")), 1203},
		{"key already certified for another child", "C", c, issue("C", "default", good), 1204},
		{"revoke in an unknown class", "B", b, revoke("B", "other", rpki.SubjectKeyID(&key.PublicKey)), 1301},
		{"revoke an unknown key", "B", b, revoke("B", "default", make([]byte, 20)), 1302},
	}
	for _, tc := range cases {
		e.now = e.now.Add(time.Second)
		status, m := e.send(tc.child, e.wrap(tc.id, tc.msg))
		if status != http.StatusOK || m.Type != updown.TypeError || m.Error.Status != tc.code {
			t.Errorf("%s: HTTP %d %+v", tc.name, status, m.Error)
		}
		if e.objectCount() != objects || e.pubs != pubs {
			t.Errorf("%s changed objects", tc.name)
		}
	}
}

// TestResourcesFollowTheOperator: growing and shrinking a child's
// entitlement reissues its certificate at once; no overlap revokes it;
// removing the child revokes everything.
func TestResourcesFollowTheOperator(t *testing.T) {
	e := newEnv(t, t0, "A")
	b := addChild(t, e, "B", "192.0.2.0/25, AS64500")
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	e.send("B", e.wrap(b, issue("B", "default", csr(t, key, rsyncBase+"B/"))))
	ctx := context.Background()
	for _, step := range []struct{ set, want string }{
		{"192.0.2.0/24, 2001:db8::/48, AS64500-AS64501", "192.0.2.0/24, 2001:db8::/48, AS64500-AS64501"},
		{"192.0.2.0/26", "192.0.2.0/26"},
	} {
		info, err := e.srv.SetResources(ctx, "admin", "B", step.set)
		if err != nil || len(info.Certificates) != 1 || strings.Join(info.Certificates[0].Resources, ", ") != step.want {
			t.Fatalf("set %s: %v %+v", step.set, err, info)
		}
	}
	info, err := e.srv.SetResources(ctx, "admin", "B", "10.0.0.0/8")
	if err != nil || len(info.Certificates) != 0 {
		t.Fatalf("no overlap: %v %+v", err, info)
	}
	if _, err := e.srv.SetResources(ctx, "admin", "nobody", "10.0.0.0/8"); !isCode(err, fault.NotFound) {
		t.Fatalf("unknown child: %v", err)
	}
	if _, err := e.srv.SetResources(ctx, "admin", "B", "banana"); !isCode(err, fault.Invalid) {
		t.Fatalf("bad resources: %v", err)
	}
	e.srv.SetResources(ctx, "admin", "B", "192.0.2.0/25")
	e.now = e.now.Add(time.Second)
	e.send("B", e.wrap(b, issue("B", "default", csr(t, key, rsyncBase+"B/"))))
	uri := rsyncBase + "ca/" + rpki.KeyFileName(&key.PublicKey, ".cer")
	if err := e.srv.RemoveChild(ctx, "admin", "B"); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.srv.Children(ctx); len(l) != 0 {
		t.Fatalf("children after remove: %+v", l)
	}
	e.st.View(ctx, func(tx *store.Tx) error {
		objs, _ := tx.Objects("ca")
		for _, o := range objs {
			if o.URI == uri {
				t.Errorf("removed child's certificate still published")
			}
		}
		return nil
	})
	if status, m := e.send("B", e.wrap(b, list("B"))); status != http.StatusBadRequest || m.Error.Status != 2001 {
		t.Fatalf("removed child still answered: %d", status)
	}
}

// TestAddChildRefuses: bad names, resources and requests are bad-request.
func TestAddChildRefuses(t *testing.T) {
	e := newEnv(t, t0, "A")
	id := newTestID(t, "x", t0)
	ctx := context.Background()
	for name, err := range map[string]error{
		"name": func() error {
			_, err := e.srv.AddChild(ctx, "a", "../x", id.childRequest(t, "x"), "192.0.2.0/25")
			return err
		}(),
		"resources": func() error {
			_, err := e.srv.AddChild(ctx, "a", "x", id.childRequest(t, "x"), "192.0.2.1/24")
			return err
		}(),
		"request": func() error { _, err := e.srv.AddChild(ctx, "a", "x", []byte("<x/>"), "192.0.2.0/25"); return err }(),
	} {
		if !isCode(err, fault.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func isCode(err error, code string) bool {
	var fe *fault.Error
	return errors.As(err, &fe) && fe.Code == code
}

// TestReconcileFollowsTheCA: when the CA's own resources shrink (its
// certificate reissued by Renew), Reconcile reissues the child's
// certificate within them at once; a second run changes nothing.
func TestReconcileFollowsTheCA(t *testing.T) {
	e := newEnv(t, t0, "A")
	b := addChild(t, e, "B", "192.0.2.0/25, 2001:db8:1::/48, AS64500")
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	e.send("B", e.wrap(b, issue("B", "default", csr(t, key, rsyncBase+"B/"))))
	ctx := context.Background()
	if changed, err := e.srv.Reconcile(ctx); err != nil || changed {
		t.Fatalf("nothing to follow: %v %v", changed, err)
	}
	smaller, err := ca.New(ca.Config{RsyncBase: rsyncBase, RRDPBase: "https://127.0.0.1:8443/rrdp/",
		IP: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/26")}, AS: []rpki.ASRange{{Min: 64496, Max: 64511}},
		Clock: e.clock, Keys: ca.NewKeyPool(0)}, e.st)
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Minute)
	if _, err := smaller.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv.cfg.CA = smaller
	if changed, err := e.srv.Reconcile(ctx); err != nil || !changed {
		t.Fatalf("after the CA shrank: %v %v", changed, err)
	}
	l, _ := e.srv.Children(ctx)
	if len(l) != 1 || len(l[0].Certificates) != 1 || strings.Join(l[0].Certificates[0].Resources, ", ") != "192.0.2.0/26, AS64500" {
		t.Fatalf("child certificates %+v", l)
	}
	if changed, err := e.srv.Reconcile(ctx); err != nil || changed {
		t.Fatalf("second run: %v %v", changed, err)
	}
}

// TestSelfIsReadPerMessage: with Config.Self, an identity roll takes
// effect at the next message and add: answers verify with the new
// identity, and the parent_response carries it.
func TestSelfIsReadPerMessage(t *testing.T) {
	e := newEnv(t, t0, "A")
	b := addChild(t, e, "B", "192.0.2.0/25")
	rolled := newTestID(t, "A-next", t0)
	e.srv.cfg.Self = func(context.Context) (*Self, error) {
		return &Self{Handle: "A", Identity: rolled.oob(t), Signer: rolled.signer(e.clock)}, nil
	}
	_, resp := e.srv.Handle(context.Background(), "B", e.wrap(b, list("B")))
	if _, err := updown.Unwrap(resp, rolled.cert, e.now, time.Time{}); err != nil {
		t.Fatalf("answer after the roll: %v", err)
	}
	added, err := e.srv.AddChild(context.Background(), "admin", "B", b.childRequest(t, "B"), "192.0.2.0/25")
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := oob.ParseParentResponse(added.ParentResponse, oob.Options{})
	if !bytes.Equal(pr.ParentBPKI.DER, rolled.cert.Raw) {
		t.Fatal("parent_response after the roll carries the old identity")
	}
}
