package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	encasn1 "encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/pubproto"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/updown"
)

// miniChild is a child CA driven by hand: its BPKI identity and CA key.
type miniChild struct {
	t      *testing.T
	idCert *x509.Certificate
	idKey  *rsa.PrivateKey
	caKey  *rsa.PrivateKey
}

func newMiniChild(t *testing.T) *miniChild {
	c := &miniChild{t: t}
	c.idKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	c.caKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "B"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &c.idKey.PublicKey, c.idKey)
	if err != nil {
		t.Fatal(err)
	}
	c.idCert, _ = x509.ParseCertificate(der)
	return c
}

func (c *miniChild) identity() oob.Identity {
	id, err := oob.NewIdentity(c.idCert.Raw)
	if err != nil {
		c.t.Fatal(err)
	}
	return id
}

// post sends a CMS message and returns the verified answer's XML.
func (c *miniChild) post(uri, contentType string, xml []byte, server *x509.Certificate) []byte {
	c.t.Helper()
	der, err := updown.Wrap(xml, &updown.Signer{ID: c.idCert, Key: c.idKey, Now: time.Now})
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.Post(uri, contentType, bytes.NewReader(der))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	u, err := updown.Unwrap(body, server, time.Now(), time.Time{})
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("POST %s: HTTP %d, %v", uri, resp.StatusCode, err)
	}
	return u.XML
}

// csr is the RFC 6487 §6 request for the CA key, publishing at repo.
func (c *miniChild) csr(repo, notify string) []byte {
	type ad struct {
		Method   encasn1.ObjectIdentifier
		Location encasn1.RawValue
	}
	uri := func(s string) encasn1.RawValue { return encasn1.RawValue{Class: 2, Tag: 6, Bytes: []byte(s)} }
	sia, _ := encasn1.Marshal([]ad{{encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}, uri(repo)},
		{encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}, uri(repo + rpki.KeyFileName(&c.caKey.PublicKey, ".mft"))},
		{encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 13}, uri(notify)}})
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{SignatureAlgorithm: x509.SHA256WithRSA,
		ExtraExtensions: []pkix.Extension{{Id: encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}, Value: sia}}}, c.caKey)
	if err != nil {
		c.t.Fatal(err)
	}
	return der
}

// publicationPoint signs a CRL, one ROA and a manifest under cert.
func (c *miniChild) publicationPoint(cert *rpki.Certificate, certURI, repo string, roa netip.Prefix, asn uint32) map[string][]byte {
	c.t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	crlURI := repo + rpki.KeyFileName(&c.caKey.PublicKey, ".crl")
	mftURI := repo + rpki.KeyFileName(&c.caKey.PublicKey, ".mft")
	roaURI := repo + "b.roa"
	crl, err := rpki.CreateCRL(&rpki.CRL{Issuer: cert.Subject, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour),
		Number: big.NewInt(1)}, c.caKey)
	if err != nil {
		c.t.Fatal(err)
	}
	sign := func(serial int64, uri string, oid encasn1.ObjectIdentifier, econtent []byte, ip *rpki.IPResources, as *rpki.ASResources) []byte {
		key, _ := rsa.GenerateKey(rand.Reader, 2048)
		ee, err := rpki.CreateCertificate(&rpki.Certificate{SerialNumber: big.NewInt(serial), Subject: "EE" + big.NewInt(serial).String(),
			NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour), PublicKey: &key.PublicKey, CRLDP: crlURI, AIA: certURI,
			SIA: rpki.SIA{SignedObject: uri}, IP: ip, AS: as}, cert.Subject, c.caKey)
		if err != nil {
			c.t.Fatal(err)
		}
		der, err := rpki.SignObject(oid, econtent, ee, key, now)
		if err != nil {
			c.t.Fatal(err)
		}
		return der
	}
	roaContent, _ := (&rpki.ROA{ASID: asn, Prefixes: []rpki.ROAPrefix{{Prefix: roa}}}).Encode()
	ip := rpki.NewIPResources(roa)
	roaDER := sign(2, roaURI, rpki.OIDROA, roaContent, &ip, nil)
	files := []rpki.FileAndHash{{Name: filepath.Base(roaURI), Hash: sha256.Sum256(roaDER)},
		{Name: filepath.Base(crlURI), Hash: sha256.Sum256(crl)}}
	if files[0].Name > files[1].Name {
		files[0], files[1] = files[1], files[0]
	}
	mftContent, _ := (&rpki.Manifest{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour), Files: files}).Encode()
	inherit := &rpki.IPResources{V4: &rpki.IPFamily{Inherit: true}}
	return map[string][]byte{crlURI: crl, roaURI: roaDER, mftURI: sign(3, mftURI, rpki.OIDManifest, mftContent, inherit, &rpki.ASResources{Inherit: true})}
}

// TestRoadAsParentAndRepository: a minimal child CA, driven here with the
// protocol codecs, becomes a child of road A over RFC 8183 and RFC 6492
// (roactl child add's REST call), publishes a CRL, a manifest and a ROA to
// A over RFC 8181, and rpki-client 9.5 validates the ROA through A's TAL
// over RRDP beside nothing else.
func TestRoadAsParentAndRepository(t *testing.T) {
	testpeers.TrixieScript(t)
	a := startRoad(t)
	child := newMiniChild(t)
	req, _ := oob.EmitChildRequest(oob.ChildRequest{ChildHandle: "B", ChildBPKI: child.identity()})
	var added api.ChildAdded
	if code := call(t, a.http, a.token, "POST", "/children", api.ChildAdd{Name: "B", Request: string(req),
		Resources: "192.0.2.0/25, AS64500"}, &added); code != 201 {
		t.Fatalf("POST /children: HTTP %d %+v", code, added)
	}
	pr, err := oob.ParseParentResponse([]byte(added.ParentResponse), oob.Options{RFCOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	preq, _ := oob.EmitPublisherRequest(oob.PublisherRequest{PublisherHandle: "B", PublisherBPKI: child.identity()})
	var padded api.PublisherAdded
	if code := call(t, a.http, a.token, "POST", "/publishers", api.PublisherAdd{Name: "B", Request: string(preq)}, &padded); code != 201 {
		t.Fatalf("POST /publishers: HTTP %d", code)
	}
	rr, err := oob.ParseRepositoryResponse([]byte(padded.RepositoryResponse), oob.Options{RFCOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if pr.ServiceURI != "http://"+a.http+"/rfc6492/B" || rr.SIABase != "rsync://127.0.0.1:"+itoa(a.rsyncPort)+"/repo/B/" {
		t.Fatalf("service %s, sia_base %s", pr.ServiceURI, rr.SIABase)
	}

	issue, _ := updown.Marshal(&updown.Message{Sender: pr.ChildHandle, Recipient: pr.ParentHandle, Type: updown.TypeIssue,
		Request: &updown.IssueRequest{ClassName: "default", CSR: child.csr(rr.SIABase, rr.RRDPNotificationURI)}})
	m, err := updown.Parse(child.post(pr.ServiceURI, "application/rpki-updown", issue, pr.ParentBPKI.Cert))
	if err != nil || m.Type != updown.TypeIssueResponse {
		t.Fatalf("issue: %v %+v", err, m)
	}
	ic := m.Classes[0].Certificates[0]
	cert, err := rpki.ParseCertificate(ic.DER)
	if err != nil {
		t.Fatal(err)
	}

	objs := child.publicationPoint(cert, ic.CertURLs[0], rr.SIABase, netip.MustParsePrefix("192.0.2.0/25"), 64500)
	var pdus []pubproto.PDU
	for uri, der := range objs {
		pdus = append(pdus, pubproto.PDU{Kind: pubproto.Publish, Tag: filepath.Base(uri), URI: uri, Content: der})
	}
	q, _ := pubproto.Emit(pubproto.Message{Type: pubproto.Query, PDUs: pdus})
	reply, err := pubproto.Parse(child.post(rr.ServiceURI, "application/rpki-publication", q, rr.RepositoryBPKI.Cert), pubproto.Options{})
	if err != nil || !reply.Success {
		t.Fatalf("publish: %v %+v", err, reply)
	}

	res := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(a.dir, "road.tal"),
		TLSCAFile: filepath.Join(a.dir, "tls", "ca.pem"), Trixie: true})
	if want := vrpSet(t, "192.0.2.0/25 => AS64500"); !sameVRPs(res.VRPs, want) {
		t.Fatalf("rpki-client 9.5 through A's TAL: %v, want %v\n%s", res.VRPs, want, res.Log)
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }
