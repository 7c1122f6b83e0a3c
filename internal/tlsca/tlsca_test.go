package tlsca

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("%s: no certificate PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEnsureCreatesProfile(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	certFile, keyFile, caFile, err := Ensure(filepath.Join(dir, "tls"), fixedClock(now), []string{"rrdp.example.net", "127.0.0.1", ""})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(certFile) != "server.pem" || filepath.Base(keyFile) != "server.key" || filepath.Base(caFile) != "ca.pem" {
		t.Fatalf("names: %s %s %s", certFile, keyFile, caFile)
	}
	for _, k := range []string{keyFile, filepath.Join(filepath.Dir(caFile), CAKeyFile)} {
		st, err := os.Stat(k)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", k, st.Mode().Perm())
		}
	}
	ca := readCert(t, caFile)
	if !ca.IsCA || !ca.BasicConstraintsValid || ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA profile: IsCA=%v BC=%v KU=%v", ca.IsCA, ca.BasicConstraintsValid, ca.KeyUsage)
	}
	critical := false
	for _, e := range ca.Extensions {
		if e.Id.String() == "2.5.29.19" {
			critical = e.Critical
		}
	}
	if !critical {
		t.Error("CA basicConstraints not critical")
	}
	srv := readCert(t, certFile)
	if err := srv.CheckSignatureFrom(ca); err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, ip := range srv.IPAddresses {
		ips = append(ips, ip.String())
	}
	if !slices.Equal(ips, []string{"127.0.0.1", "::1"}) {
		t.Errorf("IP SANs %v", ips)
	}
	if !slices.Equal(srv.DNSNames, []string{"localhost", "rrdp.example.net"}) {
		t.Errorf("DNS SANs %v", srv.DNSNames)
	}
	if !slices.Equal(srv.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || srv.IsCA {
		t.Errorf("server EKU %v IsCA %v", srv.ExtKeyUsage, srv.IsCA)
	}
	if got := srv.NotAfter.Sub(now); got != ServerValidity {
		t.Errorf("server validity %v", got)
	}
}

func TestEnsureReusesAndRenews(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	certFile, keyFile, caFile, err := Ensure(dir, fixedClock(now), nil)
	if err != nil {
		t.Fatal(err)
	}
	ca0, srv0, key0 := mustRead(t, caFile), mustRead(t, certFile), mustRead(t, keyFile)

	// A later start within the validity window reuses everything byte for byte.
	if _, _, _, err := Ensure(dir, fixedClock(now.Add(300*24*time.Hour)), []string{"localhost", "::1"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, caFile), ca0) || !bytes.Equal(mustRead(t, certFile), srv0) || !bytes.Equal(mustRead(t, keyFile), key0) {
		t.Fatal("files changed on a start that needed nothing")
	}

	// Expiring within 30 days: new server certificate, same CA.
	late := srv0NotAfter(t, certFile).Add(-29 * 24 * time.Hour)
	if _, _, _, err := Ensure(dir, fixedClock(late), nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, caFile), ca0) {
		t.Fatal("CA regenerated on server renewal")
	}
	srv1 := mustRead(t, certFile)
	if bytes.Equal(srv1, srv0) {
		t.Fatal("server certificate not renewed 29 days before expiry")
	}
	if got := readCert(t, certFile).NotAfter; !got.Equal(late.Add(ServerValidity)) {
		t.Errorf("renewed NotAfter %v", got)
	}

	// A new host forces a reissue that names it.
	if _, _, _, err := Ensure(dir, fixedClock(late), []string{"[2001:db8::1]"}); err != nil {
		t.Fatal(err)
	}
	srv2 := readCert(t, certFile)
	if bytes.Equal(mustRead(t, certFile), srv1) || srv2.VerifyHostname("2001:db8::1") != nil {
		t.Fatal("server certificate not reissued for a new host")
	}
	if !bytes.Equal(mustRead(t, caFile), ca0) {
		t.Fatal("CA regenerated for a new host")
	}
}

func srv0NotAfter(t *testing.T, path string) time.Time { return readCert(t, path).NotAfter }

func TestEnsureRefusesBrokenKey(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	certFile, keyFile, _, err := Ensure(dir, fixedClock(now), nil)
	if err != nil {
		t.Fatal(err)
	}
	old := mustRead(t, certFile)
	// A server key that no longer matches its certificate is replaced.
	if err := os.WriteFile(keyFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Ensure(dir, fixedClock(now), nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(old, mustRead(t, certFile)) {
		t.Fatal("server pair not regenerated after key loss")
	}
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
}

// TestTLSHandshake serves HTTPS with the generated pair and connects with a
// client that trusts only ca.pem, by IPv4 and IPv6 literal and by name.
func TestTLSHandshake(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile, err := Ensure(dir, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(mustRead(t, caFile)) {
		t.Fatal("ca.pem not usable as a root")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	for _, network := range []struct{ listen, host string }{
		{"127.0.0.1:0", "127.0.0.1"}, {"[::1]:0", "[::1]"}, {"127.0.0.1:0", "localhost"},
	} {
		ln, err := net.Listen("tcp", network.listen)
		if err != nil {
			if strings.Contains(network.listen, "::1") {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatal(err)
		}
		srv := &http.Server{
			Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "rrdp") }),
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}},
		}
		go srv.ServeTLS(ln, "", "")
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		resp, err := client.Get("https://" + network.host + ":" + port + "/")
		if err != nil {
			srv.Close()
			t.Fatalf("%s: %v", network.host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if string(body) != "rrdp" {
			t.Fatalf("%s: body %q", network.host, body)
		}
	}
	// A client trusting the system roots only must refuse it.
	plain := &http.Client{Timeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}}}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()
	if _, err := plain.Get("https://" + ln.Addr().String() + "/"); err == nil {
		t.Fatal("client without ca.pem accepted the testbed certificate")
	}
}

func TestOpenSSLVerify(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl missing")
		}
		t.Skip("openssl missing")
	}
	dir := t.TempDir()
	certFile, _, caFile, err := Ensure(dir, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", "-CAfile", caFile, certFile},
		{"verify", "-CAfile", caFile, "-purpose", "sslserver", "-verify_ip", "127.0.0.1", certFile},
		{"verify", "-CAfile", caFile, "-purpose", "sslserver", "-verify_ip", "::1", certFile},
		{"verify", "-CAfile", caFile, "-purpose", "sslserver", "-verify_hostname", "localhost", certFile},
	} {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), ": OK") {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command(openssl, "verify", "-CAfile", caFile, "-verify_hostname", "example.com", certFile).CombinedOutput()
	if err == nil {
		t.Fatalf("openssl accepted a foreign host name:\n%s", out)
	}
}
