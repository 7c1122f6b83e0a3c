package rtr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestTLSAndMetrics serves RTR over TLS (RFC 8210 §9 MAY) and checks the
// metrics a full sync produces.
func TestTLSAndMetrics(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rtr.test"},
		DNSNames: []string{"rtr.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	reg := prometheus.NewRegistry()
	s := NewServer(Config{Registry: reg})
	s.Update(set(t, setA...), nil)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := tls.NewListener(raw, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(ctx, ln) }()
	defer func() { cancel(); wg.Wait() }()

	pool := x509.NewCertPool()
	pool.AddCert(cert)
	conn, err := tls.Dial("tcp", raw.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "rtr.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &tclient{t: t, conn: conn}
	r := c.query(AppendResetQuery(nil, 1))
	if !sameSet(r.ann, set(t, setA...)) {
		t.Fatalf("over TLS: %+v", r)
	}
	// A wrong session over TLS still gets its Error Report before the close.
	r = c.query(AppendSerialQuery(nil, 1, r.session+1, r.serial))
	if r.errPDU == nil || r.errPDU.Field != ErrCorruptData {
		t.Fatalf("tls error report: %+v", r)
	}

	// The counters are bumped after the write returns: poll briefly.
	gather := func() map[string]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				name := mf.GetName()
				for _, l := range m.GetLabel() {
					name += "," + l.GetName() + "=" + l.GetValue()
				}
				switch {
				case m.Counter != nil:
					got[name] = m.GetCounter().GetValue()
				case m.Gauge != nil:
					got[name] = m.GetGauge().GetValue()
				}
			}
		}
		return got
	}
	// Cache Response + 3 prefixes + End of Data, then one Error Report.
	want := map[string]float64{
		"road_rtr_pdus_sent_total,version=1":           6,
		"road_rtr_bytes_sent_total,version=1":          8 + 20 + 20 + 32 + 24 + float64(len(AppendErrorReport(nil, 1, 0, make([]byte, 12), ""))),
		"road_rtr_vrps":                                3,
		"road_rtr_queries_total,kind=reset,version=1":  1,
		"road_rtr_queries_total,kind=serial,version=1": 1,
	}
	eventually(t, 5*time.Second, func() string {
		got := gather()
		for k, v := range want {
			if got[k] != v && !(strings.HasPrefix(k, "road_rtr_bytes") && got[k] > v) {
				return fmt.Sprintf("%s = %v, want %v (all: %v)", k, got[k], v, got)
			}
		}
		return ""
	})
}

// TestTLSRouterCertificates: with a client CA, RFC 8210 §9.2 — a router
// must present a certificate from that CA whose iPAddress subjectAltName
// matches the connection's address; otherwise no data flows.
func TestTLSRouterCertificates(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	mk := func(tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, key, der
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "router CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca, caKey, caDER := mk(caTmpl, nil, nil)
	other, otherKey, _ := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "other CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	_, srvKey, srvDER := mk(&x509.Certificate{SerialNumber: big.NewInt(3), DNSNames: []string{"rtr.test"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, caKey)
	router := func(serial int64, ip string, parent *x509.Certificate, pk *ecdsa.PrivateKey) tls.Certificate {
		_, k, der := mk(&x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "router"},
			IPAddresses: []net.IP{net.ParseIP(ip)}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, parent, pk)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	writePEM := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srvKeyDER, _ := x509.MarshalECPrivateKey(srvKey)
	cfg, err := TLSConfig(writePEM("srv.pem", "CERTIFICATE", srvDER), writePEM("srv.key", "EC PRIVATE KEY", srvKeyDER),
		writePEM("ca.pem", "CERTIFICATE", caDER))
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(Config{})
	s.Update(set(t, setA...), nil)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(ctx, tls.NewListener(raw, cfg)) }()
	defer func() { cancel(); wg.Wait() }()
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	syncWith := func(certs []tls.Certificate) (syncResult, error) {
		conn, err := tls.Dial("tcp", raw.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "rtr.test", Certificates: certs})
		if err != nil {
			return syncResult{}, err
		}
		defer conn.Close()
		if _, err := conn.Write(AppendResetQuery(nil, 1)); err != nil {
			return syncResult{}, err
		}
		c := &tclient{t: t, conn: conn}
		var r syncResult
		for {
			p, err := c.next()
			if err != nil {
				return r, err
			}
			switch p.Type {
			case TypeIPv4Prefix, TypeIPv6Prefix:
				r.ann = append(r.ann, p.VRP)
			case TypeEndOfData:
				return r, nil
			}
		}
	}
	if r, err := syncWith([]tls.Certificate{router(10, "127.0.0.1", ca, caKey)}); err != nil || !sameSet(r.ann, set(t, setA...)) {
		t.Fatalf("authorized router: %v %+v", err, r)
	}
	for name, certs := range map[string][]tls.Certificate{
		"no certificate": nil,
		"wrong address":  {router(11, "192.0.2.1", ca, caKey)},
		"unknown issuer": {router(12, "127.0.0.1", other, otherKey)},
	} {
		r, err := syncWith(certs)
		if err == nil || len(r.ann) != 0 {
			t.Fatalf("%s: got data (%d VRPs, err %v)", name, len(r.ann), err)
		}
		t.Logf("%s: %v", name, err)
	}
}
