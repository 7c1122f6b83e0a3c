package oob

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

const rpkirs = "rpki-rs/test-data/ca/rfc8183/"
const commons = "rpki-commons/src/test/resources/isc-interop-updown/"

func readCorpus(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testshared.Corpus(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantID is what a test expects of a BPKI TA from the corpus: the subject
// in Go's pkix.Name form (emailAddress and DC as OIDs) and the SKI as
// openssl x509 -ext subjectKeyIdentifier prints it.
type wantID struct {
	subject, ski string
	self         bool
}

func checkID(t *testing.T, id Identity, w wantID) {
	t.Helper()
	if got := id.Cert.Subject.String(); got != w.subject {
		t.Errorf("subject %q, want %q", got, w.subject)
	}
	if got := hex.EncodeToString(id.SKI); got != w.ski {
		t.Errorf("SKI %s, want %s", got, w.ski)
	}
	if got := hex.EncodeToString(id.KeyID); got != w.ski {
		t.Errorf("KeyID (SHA-1 of the key) %s, want %s", got, w.ski)
	}
	if id.SelfSigned != w.self {
		t.Errorf("SelfSigned %v, want %v", id.SelfSigned, w.self)
	}
}

var (
	afrinicID = wantID{"CN=RPKI Intermediate CA,OU=Infrastructure Unit,O=AFRINIC Ltd,ST=Gauteng,C=ZA,1.2.840.113549.1.9.1=#0c1473797361646d696e40616672696e69632e6e6574",
		"dfd958b23d9f7d1bcfe9bb8faa6b98b12d7ca551", false}
	apnicID = wantID{"CN=APNIC Server CA,OU=Infrastructure Services,O=APNIC Pty Ltd,C=AU,0.9.2342.19200300.100.1.25=#13024341",
		"195bf4afd0c579c03e54524c7a703cf9315a536f", false}
	aliceID = wantID{"CN=Alice BPKI Resource Trust Anchor", "23b68bc760e673527a3a32c16363229d2597f734", true}
	bobID   = wantID{"CN=Bob BPKI Resource Trust Anchor", "e445382dc63e360a9fb575fc12470e66785bb27e", true}
	carolID = wantID{"CN=Carol BPKI Resource Trust Anchor", "eb032bbc6fc88bd2b0296a4e20516687c8d8dc09", true}
	ripeID  = wantID{"CN=ripe-ncc-rpkid-test BPKI Resource Trust Anchor", "4f21b734d788593ff2687db6c3fd117ed4c84bdb", true}
)

func TestParentResponses(t *testing.T) {
	cases := []struct {
		file string
		want ParentResponse
		id   wantID
		ref  int // referrals
		rfc  error
	}{
		{rpkirs + "afrinic-parent-response.xml", ParentResponse{ServiceURI: "https://rpki-rir.dev.mu.afrinic.net/cgi-bin/up-down.cgi/AFRINIC/",
			ParentHandle: "AFRINIC", ChildHandle: "F3615BDCAF", Offer: true}, afrinicID, 0, ErrCertificate},
		{rpkirs + "apnic-parent-response.xml", ParentResponse{ServiceURI: "http://rpki.apnic.net/up-down/APNIC-AP/",
			ParentHandle: "APNIC-AP", ChildHandle: "A91872ED0000"}, apnicID, 0, ErrCertificate},
		{rpkirs + "krill-0-9-parent-response.xml", ParentResponse{ServiceURI: "https://rpki-ca.registro.br/rfc6492/nicbr_ca",
			ParentHandle: "test_parent", ChildHandle: "test"},
			wantID{"CN=0DB84F7E16E32E741B466A321A64261888D49187", "0db84f7e16e32e741b466a321a64261888d49187", true}, 0, ErrNamespace},
		{rpkirs + "rpkid-parent-response-offer.xml", ParentResponse{ServiceURI: "http://localhost:4401/up-down/Alice/Bob",
			ParentHandle: "Alice", ChildHandle: "Bob", Offer: true}, aliceID, 0, nil},
		{rpkirs + "rpkid-parent-response-referral.xml", ParentResponse{
			ServiceURI:   "http://localhost:4404/up-down/ripe-ncc-rpkid-test/60e445f5-97d1-4fcb-bc95-b8e6ef79319e",
			ParentHandle: "ripe-ncc-rpkid-test", ChildHandle: "60e445f5-97d1-4fcb-bc95-b8e6ef79319e"}, ripeID, 1, ErrMalformed},
		{commons + "rpkid-parent-response.xml", ParentResponse{
			ServiceURI:   "http://localhost:4404/up-down/ripe-ncc-rpkid-test/60e445f5-97d1-4fcb-bc95-b8e6ef79319e",
			ParentHandle: "ripe-ncc-rpkid-test", ChildHandle: "60e445f5-97d1-4fcb-bc95-b8e6ef79319e"}, ripeID, 1, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			data := readCorpus(t, c.file)
			got, err := ParseParentResponse(data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkID(t, got.ParentBPKI, c.id)
			if len(got.Referrals) != c.ref {
				t.Fatalf("%d referrals, want %d", len(got.Referrals), c.ref)
			}
			if c.ref == 1 {
				r := got.Referrals[0]
				// The token is a CMS SignedData (RFC 8183 §5.3) of 2643 bytes.
				if r.Referrer != "ripe-ncc-rpkid-test" || r.ContactURI != "http://example.com/info" || len(r.Token) != 2643 || r.Token[0] != 0x30 {
					t.Errorf("referral %q %q %d bytes", r.Referrer, r.ContactURI, len(r.Token))
				}
			}
			got.ParentBPKI, got.Referrals = Identity{}, nil
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
			_, err = ParseParentResponse(data, Options{RFCOnly: true})
			if !errors.Is(err, c.rfc) || (c.rfc == nil) != (err == nil) {
				t.Errorf("RFCOnly: %v, want %v", err, c.rfc)
			}
		})
	}
}

func TestChildRequests(t *testing.T) {
	cases := []struct {
		file, handle string
		id           wantID
		rfc          error
	}{
		{rpkirs + "rpkid-child-id.xml", "Carol", carolID, nil},
		{commons + "carol-child-id.xml", "Carol", carolID, nil},
		{commons + "bob-child-id.xml", "Bob", bobID, ErrMalformed}, // <identity>, variant V3
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			data := readCorpus(t, c.file)
			got, err := ParseChildRequest(data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.ChildHandle != c.handle || got.Tag != "" {
				t.Errorf("handle %q tag %q", got.ChildHandle, got.Tag)
			}
			checkID(t, got.ChildBPKI, c.id)
			_, err = ParseChildRequest(data, Options{RFCOnly: true})
			if !errors.Is(err, c.rfc) || (c.rfc == nil) != (err == nil) {
				t.Errorf("RFCOnly: %v, want %v", err, c.rfc)
			}
		})
	}
}

func TestPublisherRequest(t *testing.T) {
	data := readCorpus(t, rpkirs+"rpkid-publisher-request.xml")
	for _, opt := range []Options{{}, {RFCOnly: true}} {
		got, err := ParsePublisherRequest(data, opt)
		if err != nil {
			t.Fatal(err)
		}
		if got.PublisherHandle != "Bob" || got.Tag != "A0001" || len(got.Referrals) != 0 {
			t.Errorf("got %+v", got)
		}
		checkID(t, got.PublisherBPKI, bobID)
	}
}

func TestRepositoryResponses(t *testing.T) {
	cases := []struct {
		file string
		want RepositoryResponse
		id   wantID
		rfc  error
	}{
		{rpkirs + "apnic-repository-response.xml", RepositoryResponse{ServiceURI: "http://rpki.apnic.net/publication/APNIC-AP/A91872ED0000",
			PublisherHandle: "A91872ED0000", SIABase: "rsync://rpki.sub.apnic.net/repository/A91872ED0000",
			RRDPNotificationURI: "https://rrdp.sub.apnic.net/notification.xml"}, apnicID, ErrCertificate},
		{rpkirs + "krill-0-9-repository-response.xml", RepositoryResponse{ServiceURI: "https://rpki-pub.registro.br/rfc8181/test/",
			PublisherHandle: "test", SIABase: "rsync://rpki-repo.registro.br/repo/test/",
			RRDPNotificationURI: "https://rpki-repo.registro.br/rrdp/notification.xml"},
			wantID{"CN=952D862C717484CEE7FCD4B9BE223AE3AB6DF603", "952d862c717484cee7fcd4b9be223ae3ab6df603", true}, ErrNamespace},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			data := readCorpus(t, c.file)
			got, err := ParseRepositoryResponse(data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkID(t, got.RepositoryBPKI, c.id)
			got.RepositoryBPKI = Identity{}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
			if _, err := ParseRepositoryResponse(data, Options{RFCOnly: true}); !errors.Is(err, c.rfc) {
				t.Errorf("RFCOnly: %v, want %v", err, c.rfc)
			}
		})
	}
}
