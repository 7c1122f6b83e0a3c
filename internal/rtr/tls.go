package rtr

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// ErrClientCert is the reason code of a refused router certificate.
var ErrClientCert = errors.New("rtr-client-cert-refused")

// TLSConfig returns the server side of RPKI-Router over TLS (RFC 8210
// §9.2) from PEM files. With clientCAFile set, routers MUST present a
// certificate issued by that CA, and the cache checks the connection's IP
// address against the certificate's subjectAltName iPAddress entries,
// refusing the connection when none matches.
func TLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("rtr tls: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("rtr tls: client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("rtr tls: client CA %s: no PEM certificate", clientCAFile)
	}
	return RequireRouterCerts(cfg, pool), nil
}

// RequireRouterCerts returns a copy of cfg that demands a router
// certificate chaining to pool and carrying the connection's remote IP as
// an iPAddress subjectAltName (RFC 8210 §9.2).
func RequireRouterCerts(cfg *tls.Config, pool *x509.CertPool) *tls.Config {
	base := cfg.Clone()
	base.ClientAuth = tls.RequireAndVerifyClientCert
	base.ClientCAs = pool
	out := base.Clone()
	out.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		remote := remoteIP(hello.Conn)
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: no certificate", ErrClientCert)
			}
			leaf := cs.PeerCertificates[0]
			for _, ip := range leaf.IPAddresses {
				if remote != nil && ip.Equal(remote) {
					return nil
				}
			}
			return fmt.Errorf("%w: %s is not among the certificate's iPAddress names %v", ErrClientCert, remote, leaf.IPAddresses)
		}
		return c, nil
	}
	return out
}

func remoteIP(c net.Conn) net.IP {
	if c == nil {
		return nil
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return nil
}
