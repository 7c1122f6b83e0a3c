package updowncli

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/updown"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func now() time.Time { return t0 }

// signer is a throwaway BPKI identity (a self-signed CA certificate).
func signer(t *testing.T, name string) *updown.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: t0.Add(-time.Hour),
		NotAfter: t0.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &updown.Signer{ID: c, Key: key, Now: now}
}

// parent answers every message with reply, signed by id, with status.
func parent(t *testing.T, id *updown.Signer, status int, reply *updown.Message) *httptest.Server {
	xml, err := updown.Marshal(reply)
	if err != nil {
		t.Fatal(err)
	}
	body, err := updown.Wrap(xml, id)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != ContentTypeUpDown {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func code(err error) string {
	if e, ok := fault.As(err); ok {
		return e.Code
	}
	return ""
}

// TestCall: a good list_response comes back parsed; an answer from
// someone else, an error_response, an HTTP refusal (its signed XML shown),
// a response of the wrong type and an answer signed by another identity
// are errors with their reason codes.
func TestCall(t *testing.T) {
	ctx := context.Background()
	child, par, other := signer(t, "child"), signer(t, "parent"), signer(t, "other")
	cli := &Client{Signer: child, Clock: now}
	at := func(ts *httptest.Server) Parent {
		return Parent{ServiceURI: ts.URL, ChildHandle: "B", ParentHandle: "A", BPKI: par.ID}
	}
	ok := &updown.Message{Sender: "A", Recipient: "B", Type: updown.TypeListResponse}
	if classes, st, err := cli.List(ctx, at(parent(t, par, 200, ok))); err != nil || len(classes) != 0 || !st.Equal(t0) {
		t.Errorf("list: %v %v %v", classes, st, err)
	}
	cases := []struct {
		name   string
		ts     *httptest.Server
		code   string
		detail string
	}{
		{"wrong sender", parent(t, par, 200, &updown.Message{Sender: "X", Recipient: "B", Type: updown.TypeListResponse}), ReasonUnexpect, `answer from "X"`},
		{"refused", parent(t, par, 200, &updown.Message{Sender: "A", Recipient: "B", Type: updown.TypeError,
			Error: &updown.ErrorResponse{Status: 1201}}), ReasonRefused, "1201 request - no such resource class"},
		{"HTTP 400", parent(t, par, 400, &updown.Message{Sender: "A", Recipient: "B", Type: updown.TypeError,
			Error: &updown.ErrorResponse{Status: 2001, Descriptions: []updown.Description{{Lang: "en", Text: "updownsrv-unknown-child"}}}}),
			ReasonHTTP, "updownsrv-unknown-child"},
		{"wrong type", parent(t, par, 200, &updown.Message{Sender: "A", Recipient: "B", Type: updown.TypeRevokeResponse,
			Key: &updown.Key{ClassName: "x", SKI: make([]byte, 20)}}), ReasonUnexpect, "want list_response"},
		{"other identity", parent(t, other, 200, ok), updown.ReasonCMSWrongIdentity, ""},
	}
	for _, c := range cases {
		_, _, err := cli.List(ctx, at(c.ts))
		if code(err) != c.code || !strings.Contains(err.Error(), c.detail) {
			t.Errorf("%s: %v, want %s with %q", c.name, err, c.code, c.detail)
		}
	}
	gone := parent(t, par, 200, ok)
	gone.Close()
	if _, _, err := cli.List(ctx, at(gone)); code(err) != ReasonTransport {
		t.Errorf("parent gone: %v, want %s", err, ReasonTransport)
	}
}
