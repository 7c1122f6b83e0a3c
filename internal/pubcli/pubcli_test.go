package pubcli

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/pubproto"
	"github.com/roadrpki/road/internal/updown"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func now() time.Time { return t0 }

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

// TestHash: the RFC 8181 §2.2 hash is the lower-case hex SHA-256.
func TestHash(t *testing.T) {
	if got := Hash([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash = %s", got)
	}
}

// TestSync: a URI outside the sia_base is refused before any exchange;
// otherwise Sync lists, then sends one query with the publish (with the
// hash of what it replaces) and withdraw (with the held hash) PDUs for
// exactly what differs, and a <report_error/> is an error naming its code.
func TestSync(t *testing.T) {
	ctx := context.Background()
	client, repo := signer(t, "B"), signer(t, "A")
	const base = "rsync://a.example/repo/B/"
	var queries []pubproto.Message
	var answer func(q pubproto.Message) pubproto.Message
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u, err := updown.Unwrap(body, client.ID, t0, time.Time{})
		if err != nil {
			t.Errorf("query does not verify: %v", err)
			return
		}
		q, err := pubproto.Parse(u.XML, pubproto.Options{})
		if err != nil {
			t.Errorf("query does not parse: %v", err)
			return
		}
		queries = append(queries, q)
		xml, _ := pubproto.Emit(answer(q))
		der, _ := updown.Wrap(xml, repo)
		w.Write(der)
	}))
	defer ts.Close()
	cli := &Client{Signer: client, Clock: now}
	r := Repository{ServiceURI: ts.URL, BPKI: repo.ID, SIABase: base}

	if _, err := cli.Sync(ctx, r, map[string][]byte{"rsync://a.example/repo/C/x.roa": {1}}); err == nil || len(queries) != 0 {
		t.Fatalf("a URI outside sia_base: %v after %d queries", err, len(queries))
	} else if e, _ := fault.As(err); e == nil || e.Code != fault.Invalid {
		t.Errorf("outside sia_base: %v, want %s", err, fault.Invalid)
	}

	held := []pubproto.Listed{{URI: base + "same.roa", Hash: Hash([]byte("same"))}, {URI: base + "old.roa", Hash: Hash([]byte("old"))},
		{URI: base + "gone.roa", Hash: Hash([]byte("gone"))}}
	answer = func(q pubproto.Message) pubproto.Message {
		if q.PDUs[0].Kind == pubproto.List {
			return pubproto.Message{Type: pubproto.Reply, List: held}
		}
		return pubproto.Message{Type: pubproto.Reply, Success: true}
	}
	want := map[string][]byte{base + "same.roa": []byte("same"), base + "old.roa": []byte("new"), base + "add.roa": []byte("add")}
	res, err := cli.Sync(ctx, r, want)
	if err != nil || res.Published != 2 || res.Withdrawn != 1 || len(queries) != 2 {
		t.Fatalf("sync: %+v %v after %d queries", res, err, len(queries))
	}
	got := queries[1].PDUs
	wantPDUs := []pubproto.PDU{
		{Kind: pubproto.Publish, Tag: "add.roa", URI: base + "add.roa", Content: []byte("add")},
		{Kind: pubproto.Publish, Tag: "old.roa", URI: base + "old.roa", Hash: Hash([]byte("old")), Content: []byte("new")},
		{Kind: pubproto.Withdraw, Tag: "gone.roa", URI: base + "gone.roa", Hash: Hash([]byte("gone"))},
	}
	if len(got) != len(wantPDUs) {
		t.Fatalf("PDUs %+v", got)
	}
	for i := range got {
		g, w := got[i], wantPDUs[i]
		if g.Kind != w.Kind || g.Tag != w.Tag || g.URI != w.URI || g.Hash != w.Hash || string(g.Content) != string(w.Content) {
			t.Errorf("PDU %d: %+v, want %+v", i, g, w)
		}
	}

	answer = func(q pubproto.Message) pubproto.Message {
		if q.PDUs[0].Kind == pubproto.List {
			return pubproto.Message{Type: pubproto.Reply}
		}
		return pubproto.Message{Type: pubproto.Reply, Errors: []pubproto.ReportError{{Code: pubproto.ObjectAlreadyPresent, Text: "x"}}}
	}
	if _, err := cli.Sync(ctx, r, want); err == nil {
		t.Error("a report_error was no error")
	} else if e, _ := fault.As(err); e == nil || e.Code != ReasonRefused {
		t.Errorf("report_error: %v, want %s", err, ReasonRefused)
	}
}
