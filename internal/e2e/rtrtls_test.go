package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/tlsca"
	"github.com/roadrpki/road/internal/vrp"
)

// TestRTROverTLS: with --rtr-tls-cert/--rtr-tls-key the daemon's RTR speaks
// only TLS (RFC 8210 §9.2); a router trusting the CA gets exactly the
// validated set, a plain-TCP router gets no RTR answer.
func TestRTROverTLS(t *testing.T) {
	certFile, keyFile, caFile, err := tlsca.Ensure(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := startRoad(t, func(c *config.Config) { c.RTRTLSCert, c.RTRTLSKey = certFile, keyFile })
	add := []string{"192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497"}
	var res api.ProposalResult
	req := api.ProposalRequest{Add: roas(t, add...), Force: true, Reason: "e2e: no BGP here"}
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", req, &res); code != 200 || !res.Applied {
		t.Fatalf("proposal: HTTP %d %+v", code, res)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	want := vrpSet(t, add...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := tlsResetQuery(r.rtr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
		if err == nil && sameVRPs(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RTR over TLS: %v %v, want %v", err, got, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if _, err := tlsResetQuery(r.rtr, nil); err == nil {
		t.Fatal("a plain-TCP Reset Query got an RTR answer from the TLS listener")
	}
}

// tlsResetQuery sends an RTR v1 Reset Query (RFC 8210 §5.4), over TLS when
// cfg is set, and reads the prefixes up to End of Data.
func tlsResetQuery(addr string, cfg *tls.Config) ([]vrp.VRP, error) {
	var c io.ReadWriteCloser
	var err error
	if cfg != nil {
		c, err = tls.Dial("tcp", addr, cfg)
	} else {
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if nc, ok := c.(net.Conn); ok {
		nc.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if _, err := c.Write([]byte{1, 2, 0, 0, 0, 0, 0, 8}); err != nil {
		return nil, err
	}
	var out []vrp.VRP
	for {
		var h [8]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return nil, err
		}
		n := binary.BigEndian.Uint32(h[4:])
		if n < 8 || n > 1<<16 {
			return nil, fmt.Errorf("PDU type %d length %d", h[1], n)
		}
		body := make([]byte, n-8)
		if _, err := io.ReadFull(c, body); err != nil {
			return nil, err
		}
		switch h[1] {
		case 4, 6: // IPv4 / IPv6 Prefix: flags, len, maxlen, zero, prefix, ASN (RFC 8210 §5.6, §5.7)
			size := 4
			if h[1] == 6 {
				size = 16
			}
			if len(body) != 4+size+4 {
				return nil, fmt.Errorf("prefix PDU body %d bytes", len(body))
			}
			a, _ := netip.AddrFromSlice(body[4 : 4+size])
			out = append(out, vrp.VRP{Prefix: netip.PrefixFrom(a, int(body[1])), MaxLen: body[2],
				ASN: binary.BigEndian.Uint32(body[4+size:])})
		case 7: // End of Data
			return vrp.NewSet(out), nil
		case 10: // Error Report
			return nil, fmt.Errorf("error report %d", binary.BigEndian.Uint16(h[2:4]))
		}
	}
}
