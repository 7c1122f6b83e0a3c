package publish

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testTLS makes a throwaway CA and a server certificate for 127.0.0.1;
// it returns the server config, a pool with the CA and the CA's DER.
func testTLS(t *testing.T) (*tls.Config, *x509.CertPool, []byte) {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "publish test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool, caDER
}

// TestHTTPSClientFollowsDeltas serves Handler over HTTPS on 127.0.0.1 and
// plays relying party: snapshot at serial 1, then one delta, checking every
// hash, session and serial as RFC 8182 §3.4 requires.
func TestHTTPSClientFollowsDeltas(t *testing.T) {
	cfg, pool, _ := testTLS(t)
	var h http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	srv.TLS = cfg
	base := "https://" + srv.Listener.Addr().String() + "/rrdp/"
	dir := t.TempDir()
	opts := testOptions(dir, newClock())
	opts.RRDPBase = base
	p := openTest(t, opts)
	h = p.Handler()
	srv.StartTLS()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}

	get := func(url string, hdr ...string) (int, []byte, http.Header) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header
	}
	getRef := func(ref fileRef) []byte {
		code, b, _ := get(ref.URI)
		if code != 200 || sha256Hex(b) != ref.Hash {
			t.Fatalf("%s: %d, hash %s want %s", ref.URI, code, sha256Hex(b), ref.Hash)
		}
		return b
	}

	big := obj("ca/big.cer", strings.Repeat("z", 4000), 0)
	mustPublish(t, p, big, obj("ca/a.roa", "A1", 1), obj("ca/b.roa", "B1", 1))
	code, nb, hdr := get(p.NotificationURI())
	if code != 200 {
		t.Fatalf("notification: %d", code)
	}
	n, err := parseNotification(nb)
	if err != nil {
		t.Fatal(err)
	}
	session, serial, entries, err := parseSnapshot(getRef(n.Snapshot))
	if err != nil || session != n.Session || serial != 1 {
		t.Fatalf("snapshot %s/%d: %v", session, serial, err)
	}
	cache := map[string][]byte{}
	for _, e := range entries {
		cache[e.URI] = e.Data
	}

	// Nothing new: 304.
	if code, _, _ := get(p.NotificationURI(), "If-Modified-Since", hdr.Get("Last-Modified")); code != 304 {
		t.Fatalf("unchanged poll: %d", code)
	}
	mustPublish(t, p, big, obj("ca/a.roa", "A2", 2), obj("ca/c.roa", "C", 2))
	code, nb, _ = get(p.NotificationURI(), "If-Modified-Since", hdr.Get("Last-Modified"))
	if code != 200 {
		t.Fatalf("poll after change: %d", code)
	}
	if n, err = parseNotification(nb); err != nil || n.Serial != 2 || len(n.Deltas) != 1 || n.Deltas[0].Serial != 2 {
		t.Fatalf("notification %+v: %v", n, err)
	}
	session, serial, des, err := parseDelta(getRef(n.Deltas[0].fileRef))
	if err != nil || session != n.Session || serial != 2 {
		t.Fatalf("delta %s/%d: %v", session, serial, err)
	}
	if err := applyDelta(cache, des); err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(cache, p.Objects(), bytes.Equal) {
		t.Fatalf("client cache %v != published %v", sortedKeys(cache), sortedKeys(p.Objects()))
	}
}
