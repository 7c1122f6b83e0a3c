package rtr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// TestWavesServeEachGroupItsView: routers from 127.0.0.2 are wave "w1",
// every other router falls into the last wave "w2". A staged generation
// reaches only the wave it is shown to; a rollback is a newer serial with
// the old content, so no router's serial goes back (RFC 8210 §5.1).
func TestWavesServeEachGroupItsView(t *testing.T) {
	s, addr := testServer(t, Config{Waves: []WaveGroup{
		{Name: "w1", Sources: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}},
		{Name: "w2"},
	}})
	a := set(t, setA...)
	b := set(t, "192.0.2.0/24 => AS64496", "203.0.113.0/24 => AS64511")
	s1, _ := s.Update(a, nil)
	c1 := &tclient{t: t, conn: dialFrom(t, "127.0.0.2", addr)}
	c2 := dial(t, addr)
	r1, r2 := c1.query(AppendResetQuery(nil, 1)), c2.query(AppendResetQuery(nil, 1))
	if !sameSet(r1.ann, a) || !sameSet(r2.ann, a) || r1.serial != s1 || r2.serial != s1 {
		t.Fatalf("first set: %+v %+v", r1, r2)
	}

	sb := s.Stage(b, nil)
	if sb != s1+1 {
		t.Fatalf("staged serial %d, want %d", sb, s1+1)
	}
	if d := c1.query(AppendSerialQuery(nil, 1, r1.session, s1)); d.serial != s1 || len(d.ann)+len(d.wd) != 0 {
		t.Fatalf("staged set reached w1 before Show: %+v", d)
	}
	if err := s.Show(0, sb); err != nil {
		t.Fatal(err)
	}
	d := c1.query(AppendSerialQuery(nil, 1, r1.session, s1))
	if d.serial != sb || d.ann[0].String() != "203.0.113.0/24 => AS64511" || len(d.ann) != 1 || len(d.wd) != 2 {
		t.Fatalf("w1 diff to B: %+v", d)
	}
	if d := c2.query(AppendSerialQuery(nil, 1, r2.session, s1)); d.serial != s1 || len(d.ann)+len(d.wd) != 0 {
		t.Fatalf("w2 must keep serial %d: %+v", s1, d)
	}
	st := s.Status()
	if len(st.Waves) != 2 || st.Waves[0] != (WaveStatus{Name: "w1", HasData: true, Serial: sb, VRPs: 2, Clients: 1}) ||
		st.Waves[1] != (WaveStatus{Name: "w2", HasData: true, Serial: s1, VRPs: 3, Clients: 1}) {
		t.Fatalf("status waves %+v", st.Waves)
	}

	// Rollback of w1: the old content under a new serial.
	sr := s.Stage(a, nil)
	if err := s.Show(0, sr); err != nil || sr != sb+1 {
		t.Fatalf("show rollback %d: %v", sr, err)
	}
	d = c1.query(AppendSerialQuery(nil, 1, r1.session, sb))
	if d.serial != sr || len(d.ann) != 2 || len(d.wd) != 1 || d.wd[0].String() != "203.0.113.0/24 => AS64511" {
		t.Fatalf("w1 rollback diff: %+v", d)
	}
	if err := s.Show(0, sb); err == nil {
		t.Fatal("Show must refuse to move a wave back to an older serial")
	}
	if err := s.Show(1, sb); err == nil {
		t.Fatal("serial B is no longer kept once no wave serves it")
	}
	// w2 catches up on the rollback serial: content A again, an empty diff.
	if err := s.Show(1, sr); err != nil {
		t.Fatal(err)
	}
	if d := c2.query(AppendSerialQuery(nil, 1, r2.session, s1)); d.serial != sr || len(d.ann)+len(d.wd) != 0 {
		t.Fatalf("w2 diff over B and back: %+v", d)
	}
}

// TestWavesByCertificateName: over TLS a router's wave is chosen by its
// client certificate's subject CN or DNS names once the handshake is done;
// a certificate no wave names puts the router in the last wave.
func TestWavesByCertificateName(t *testing.T) {
	selfSigned := func(cn string, dns ...string) tls.Certificate {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	s := NewServer(Config{NotifyInterval: -1, Waves: []WaveGroup{
		{Name: "edge", CertNames: []string{"edge1"}}, {Name: "core", CertNames: []string{"core.example"}}, {Name: "rest"}}})
	a, b := set(t, setA...), set(t, "192.0.2.0/24 => AS64496")
	s.Update(a, nil)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := tls.NewListener(raw, &tls.Config{Certificates: []tls.Certificate{selfSigned("rtr.test")}, ClientAuth: tls.RequireAnyClientCert})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(ctx, ln) }()
	defer func() { cancel(); wg.Wait() }()
	dialAs := func(cert tls.Certificate) *tclient {
		conn, err := tls.Dial("tcp", raw.Addr().String(), &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return &tclient{t: t, conn: conn}
	}
	edge, core, other := dialAs(selfSigned("edge1")), dialAs(selfSigned("x", "core.example")), dialAs(selfSigned("r9"))
	for _, c := range []*tclient{edge, core, other} {
		c.query(AppendResetQuery(nil, 1))
	}
	if err := s.Show(0, s.Stage(b, nil)); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		c    *tclient
		want vrp.Set
	}{"edge": {edge, b}, "core": {core, a}, "rest": {other, a}} {
		if r := tc.c.query(AppendResetQuery(nil, 1)); !sameSet(r.ann, tc.want) {
			t.Errorf("%s router: %v, want %v", name, r.ann, tc.want)
		}
	}
	var waves []string
	for _, c := range s.Status().Clients {
		waves = append(waves, c.Wave)
	}
	if strings.Join(waves, " ") != "edge core rest" {
		t.Fatalf("client waves %v", waves)
	}
}
