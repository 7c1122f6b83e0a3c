// Package tlsca is road's testbed TLS CA: RRDP must be served over HTTPS
// (relying parties such as rpki-client refuse an http:// rpkiNotify), so in
// testbed mode road creates a small local CA once and a server certificate for
// the loopback names. Tests hand ca.pem to rpki-client (SSL_CERT_FILE) and FORT.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/atomicfile"
)

// File names inside the directory given to Ensure.
const (
	CAFile     = "ca.pem"
	CAKeyFile  = "ca.key"
	CertFile   = "server.pem"
	KeyFile    = "server.key"
	maxPEMSize = 64 << 10 // bound on every file read back
)

// Lifetimes. The CA outlives many server certificates; a server certificate is
// renewed when it has less than RenewBefore left.
const (
	CAValidity     = 10 * 365 * 24 * time.Hour
	ServerValidity = 2 * 365 * 24 * time.Hour
	RenewBefore    = 30 * 24 * time.Hour
	backdate       = time.Hour // tolerate small clock skew between processes
)

// DefaultHosts are always in the server certificate's subjectAltName.
var defaultHosts = []string{"127.0.0.1", "::1", "localhost"}

// ErrTLSCA marks every failure of this package.
var ErrTLSCA = errors.New("tlsca")

// Ensure makes sure dir holds a CA and a server certificate for the loopback
// names plus extraHosts (host names or IP literals; empty ones are ignored). It
// creates them on first use, reuses them afterwards and reissues only the
// server certificate when it expires within RenewBefore, lacks a host, or was
// not signed by the CA on disk. The CA itself is recreated only when it is
// missing, unreadable or expired.
func Ensure(dir string, clock func() time.Time, extraHosts []string) (certFile, keyFile, caFile string, err error) {
	if clock == nil {
		clock = time.Now
	}
	now := clock().UTC()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", "", fmt.Errorf("%w: create %s: %w", ErrTLSCA, dir, err)
	}
	certFile, keyFile, caFile = filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile), filepath.Join(dir, CAFile)
	caKeyFile := filepath.Join(dir, CAKeyFile)
	hosts := wantedHosts(extraHosts)

	caCert, caKey, err := loadPair(caFile, caKeyFile)
	newCA := false
	if err != nil || !now.Before(caCert.NotAfter) || !caCert.IsCA {
		if caCert, caKey, err = createCA(now); err != nil {
			return "", "", "", err
		}
		if err := writePair(caFile, caKeyFile, caCert, caKey); err != nil {
			return "", "", "", err
		}
		newCA = true
	}
	srv, _, err := loadPair(certFile, keyFile)
	if err == nil && !newCA && serverUsable(srv, caCert, now, hosts) {
		return certFile, keyFile, caFile, nil
	}
	srv, srvKey, err := createServer(now, caCert, caKey, hosts)
	if err != nil {
		return "", "", "", err
	}
	if err := writePair(certFile, keyFile, srv, srvKey); err != nil {
		return "", "", "", err
	}
	return certFile, keyFile, caFile, nil
}

// wantedHosts is the default names plus the extra ones, deduplicated, IPs in
// canonical form.
func wantedHosts(extra []string) []string {
	out := slices.Clone(defaultHosts)
	for _, h := range extra {
		h = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		} else {
			h = strings.ToLower(h)
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// serverUsable reports whether srv can keep serving: signed by ca, valid for
// longer than RenewBefore, and naming every host.
func serverUsable(srv, ca *x509.Certificate, now time.Time, hosts []string) bool {
	if srv.CheckSignatureFrom(ca) != nil {
		return false
	}
	if now.Before(srv.NotBefore) || !now.Add(RenewBefore).Before(srv.NotAfter) {
		return false
	}
	for _, h := range hosts {
		if srv.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func createCA(now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: CA key: %w", ErrTLSCA, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ROAd testbed TLS CA", Organization: []string{"ROAd testbed"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, // Go marks basicConstraints critical
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: sign CA: %w", ErrTLSCA, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: parse CA: %w", ErrTLSCA, err)
	}
	return cert, key, nil
}

func createServer(now time.Time, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: server key: %w", ErrTLSCA, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"ROAd testbed"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(ServerValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotAfter.After(ca.NotAfter) {
		tmpl.NotAfter = ca.NotAfter
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: sign server certificate: %w", ErrTLSCA, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: parse server certificate: %w", ErrTLSCA, err)
	}
	return cert, key, nil
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("%w: serial: %w", ErrTLSCA, err)
	}
	return n.Add(n, big.NewInt(1)), nil // positive, never zero
}

// loadPair reads a certificate and its ECDSA key and checks they match.
func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certDER, err := readPEM(certPath, "CERTIFICATE")
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrTLSCA, certPath, err)
	}
	keyDER, err := readPEM(keyPath, "PRIVATE KEY")
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrTLSCA, keyPath, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("%w: %s does not match %s", ErrTLSCA, keyPath, certPath)
	}
	return cert, key, nil
}

// readPEM returns the first block of the given type, refusing oversized files.
func readPEM(path, typ string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLSCA, err)
	}
	defer f.Close()
	buf := make([]byte, maxPEMSize+1)
	n, err := readFull(f, buf)
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrTLSCA, path, err)
	}
	if n > maxPEMSize {
		return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrTLSCA, path, maxPEMSize)
	}
	rest := buf[:n]
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%w: %s: no %s block", ErrTLSCA, path, typ)
		}
		if b.Type == typ {
			return b.Bytes, nil
		}
	}
}

func readFull(f *os.File, buf []byte) (int, error) {
	n, err := io.ReadFull(f, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

// writePair writes the key first, then the certificate, each atomically, so a
// crash never leaves a certificate whose key is missing.
func writePair(certPath, keyPath string, cert *x509.Certificate, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("%w: marshal key: %w", ErrTLSCA, err)
	}
	if err := writeAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)
}

// writeAtomic replaces path whole, so a crash never leaves half a key.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if err := atomicfile.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("%w: %w", ErrTLSCA, err)
	}
	return nil
}
