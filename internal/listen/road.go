package listen

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/tlsca"
)

// Road is what `road serve` listens with: its configuration and the
// servers of its three listeners.
type Road struct {
	Config *config.Config // validated by config.Parse
	Clock  func() time.Time
	Log    *slog.Logger
	API    http.Handler                              // --http: REST, /metrics, /healthz, RRDP
	Public http.Handler                              // --https: RRDP and the TA certificate
	RTR    func(context.Context, net.Listener) error // --rtr
}

// ForRoad prepares the TLS material of the configured listeners (creating
// the testbed TLS CA in DATA_DIR/tls when a listener uses it) and returns
// them as a Set, not yet bound.
func ForRoad(r Road) (*Set, error) {
	c := r.Config
	s := New(r.Log)
	lim := HTTPLimits{ReadHeaderTimeout: c.HTTPServer.ReadHeaderTimeout, ReadTimeout: c.HTTPServer.ReadTimeout,
		WriteTimeout: c.HTTPServer.WriteTimeout, IdleTimeout: c.HTTPServer.IdleTimeout, MaxHeaderBytes: c.HTTPServer.MaxHeaderBytes}
	access := accessOf(c.HTTPServer.AccessLog, r.Log)
	testbed, err := testbedCert(c, r.Clock)
	if err != nil {
		return nil, err
	}
	if c.HTTP != "" { // "" disables the REST/metrics listener
		var tc *tls.Config
		switch c.HTTPServer.TLS {
		case config.HTTPTLSTestbed:
			tc = testbed
		case config.HTTPTLSFile:
			if tc, err = serverTLS(c.HTTPServer.TLSCert, c.HTTPServer.TLSKey); err != nil {
				return nil, fmt.Errorf("http tls: %w", err)
			}
		}
		s.HTTP("http", c.HTTP, r.API, tc, lim, access)
	}
	if c.HTTPS != "" {
		tc := testbed
		if c.TLSCert != "" {
			if tc, err = serverTLS(c.TLSCert, c.TLSKey); err != nil {
				return nil, fmt.Errorf("https tls: %w", err)
			}
		}
		s.HTTP("https", c.HTTPS, r.Public, tc, lim, access)
	}
	if c.RTR != "" {
		var tc *tls.Config
		if c.RTRTLSCert != "" {
			if tc, err = rtr.TLSConfig(c.RTRTLSCert, c.RTRTLSKey, c.RTRTLSClientCA); err != nil {
				return nil, err
			}
		}
		s.Stream("rtr", c.RTR, tc, r.RTR) // RFC 8210 §9.2 when tc is set
	}
	return s, nil
}

// testbedCert ensures the testbed TLS CA and server certificate when a
// listener uses them: --https without --tls-cert, or --http-tls testbed.
// The certificate names the loopback names, the --rrdp-base host and the
// --http host, in one issue so the two listeners share it.
func testbedCert(c *config.Config, clock func() time.Time) (*tls.Config, error) {
	https := c.HTTPS != "" && c.TLSCert == ""
	api := c.HTTP != "" && c.HTTPServer.TLS == config.HTTPTLSTestbed
	if !https && !api {
		return nil, nil
	}
	var hosts []string
	if u, err := url.Parse(c.RRDPBase); err == nil {
		hosts = append(hosts, u.Hostname())
	}
	if h, _, err := net.SplitHostPort(c.HTTP); err == nil && api {
		hosts = append(hosts, h)
	}
	cert, key, _, err := tlsca.Ensure(filepath.Join(c.DataDir, "tls"), clock, hosts)
	if err != nil {
		return nil, fmt.Errorf("testbed TLS: %w", err)
	}
	return serverTLS(cert, key)
}

func serverTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// accessOf maps [http] access_log onto an Access.
func accessOf(level string, log *slog.Logger) Access {
	switch level {
	case "off":
		return Access{}
	case "debug":
		return Access{Log: log, Level: slog.LevelDebug}
	}
	return Access{Log: log, Level: slog.LevelInfo}
}
