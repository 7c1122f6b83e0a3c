package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

const (
	defaultCAFile = "road-data/tls/ca.pem" // road's testbed TLS CA
	maxCABytes    = 1 << 20
)

// httpClient is the client for server. For an https:// server it trusts
// --cacert / $ROAD_CACERT alone when given (like curl --cacert), else the
// system roots plus road's testbed TLS CA when that file exists
// ($ROAD_DATA_DIR/tls/ca.pem, else ./road-data/tls/ca.pem).
func (c *cli) httpClient(https bool) (*http.Client, error) {
	hc := &http.Client{Timeout: requestTimeout}
	if !https {
		return hc, nil
	}
	pool, err := c.rootCAs()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc.Transport = tr
	return hc, nil
}

func (c *cli) rootCAs() (*x509.CertPool, error) {
	if c.g.cacert != "" {
		pool := x509.NewCertPool()
		return pool, addPEM(pool, c.g.cacert)
	}
	path := defaultCAFile
	if d := c.env("ROAD_DATA_DIR"); d != "" {
		path = filepath.Join(d, "tls", "ca.pem")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, nil // the system roots
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	return pool, addPEM(pool, path)
}

// addPEM adds the certificates of the PEM file at path to pool.
func addPEM(pool *x509.CertPool, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return usagef("CA file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCABytes+1))
	if err != nil {
		return usagef("CA file %s: %v", path, err)
	}
	if len(b) > maxCABytes || !pool.AppendCertsFromPEM(b) {
		return usagef("CA file %s holds no PEM certificate", path)
	}
	return nil
}

// tlsHint says what to do about a server certificate roactl does not trust.
func tlsHint(err error) string {
	var ua x509.UnknownAuthorityError
	var cv *tls.CertificateVerificationError
	if errors.As(err, &ua) || errors.As(err, &cv) {
		return fmt.Sprintf(" (give the server's CA with --cacert FILE or ROAD_CACERT; road's testbed CA is %s)", defaultCAFile)
	}
	return ""
}
