package updownsrv

import (
	"context"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/updown"
)

// TestCorpusQueries: real up-down queries of rpkid (isc-interop-updown,
// rpki-rs) and Krill (rpki-commons interop) go through the server's whole
// path: the child is added from its real RFC 8183 request (or identity
// certificate), the CMS verifies with it under a clock at the message's
// signing time, and the query is answered. rpkid's issue requests name
// its own classes ("1", "2"), so they are answered 1201; their PKCS#10
// requests pass road's RFC 6487 §6 checks (ca.ParseCSR).
func TestCorpusQueries(t *testing.T) {
	const isc = "rpki-commons/src/test/resources/isc-interop-updown/"
	cases := []struct {
		file, idFile, child, parent, at string
		want                            updown.Type
		wantStatus                      int
	}{
		{isc + "pdu.180.der", isc + "bob-child-id.xml", "Bob", "Alice", "2011-07-01T04:09:02Z", updown.TypeListResponse, 0},
		{isc + "pdu.184.der", isc + "bob-child-id.xml", "Bob", "Alice", "2011-07-01T04:09:04Z", updown.TypeError, 1201},
		{isc + "pdu.196.der", isc + "carol-child-id.xml", "Carol", "Bob", "2011-07-01T04:09:05Z", updown.TypeListResponse, 0},
		{isc + "pdu.200.der", isc + "carol-child-id.xml", "Carol", "Bob", "2011-07-01T04:09:05Z", updown.TypeError, 1201},
		// rpkid's class names are its own ("1", "2"): road's class is "default".
		{"rpki-rs/test-data/ca/rfc6492/list.der", isc + "issuer-alice-child-bob-parent.xml", "Alice", "Alice", "2011-07-01T04:09:01Z", updown.TypeListResponse, 0},
		{"rpki-commons/src/test/resources/interop/up-down/krill-ca1-list-pdu.der", "rpki-commons/src/test/resources/interop/up-down/krill-ca1-id-cert.der",
			"29b38a6b-2312-42c0-894b-7def8293735a", "8ff54b89-ec17-449d-b249-22cad0e00289", "2022-01-11T12:44:46Z", updown.TypeListResponse, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			at, _ := time.Parse(time.RFC3339, c.at)
			e := newEnv(t, at, c.parent)
			body, err := os.ReadFile(testshared.Corpus(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			idFile, err := os.ReadFile(testshared.Corpus(t, c.idFile))
			if err != nil {
				t.Fatal(err)
			}
			req := idFile
			if c.idFile[len(c.idFile)-4:] == ".der" {
				req = (&testID{cert: mustCert(t, idFile)}).childRequest(t, c.child)
			} else if c.child == "Alice" {
				req = aliceRequest(t, idFile)
			}
			if _, err := e.srv.AddChild(context.Background(), "admin", c.child, req, "192.0.2.0/24, 2001:db8::/48"); err != nil {
				t.Fatal(err)
			}
			status, m := e.send(c.child, body)
			if status != http.StatusOK || m.Type != c.want {
				t.Fatalf("HTTP %d %s %+v", status, m.Type, m.Error)
			}
			if m.Type == updown.TypeError && m.Error.Status != c.wantStatus {
				t.Fatalf("status %d, want %d", m.Error.Status, c.wantStatus)
			}
			if c.wantStatus == 1201 {
				u, _ := updown.Unwrap(body, mustCert(t, e.childID(c.child)), at, time.Time{})
				q, err := updown.Parse(u.XML)
				if err != nil {
					t.Fatal(err)
				}
				if _, sia, err := ca.ParseCSR(q.Request.CSR); err != nil || sia.CARepository == "" {
					t.Fatalf("rpkid's PKCS#10 request: %v", err)
				}
			}
			if !e.lastSigning(c.child).Equal(at) {
				t.Fatalf("replay bound %s, want %s", e.lastSigning(c.child), at)
			}
		})
	}
}

func mustCert(t *testing.T, der []byte) *x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// aliceRequest makes a <child_request> of the identity in rpkid's parent
// response (Alice signs her messages to herself in rpkid's tests).
func aliceRequest(t *testing.T, parentResponse []byte) []byte {
	pr, err := oob.ParseParentResponse(parentResponse, oob.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return (&testID{cert: pr.ParentBPKI.Cert}).childRequest(t, "Alice")
}

func (e *env) childID(name string) []byte {
	var der []byte
	e.st.View(context.Background(), func(tx *store.Tx) error {
		c, err := tx.Child(name)
		if err == nil {
			der = c.IDCert
		}
		return err
	})
	return der
}
