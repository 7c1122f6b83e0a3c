package daemon

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/tlsca"
	"github.com/roadrpki/road/internal/vrp"
)

// runDaemon opens and runs a daemon with real time until the test ends.
func runDaemon(t *testing.T, c *config.Config) *Daemon {
	t.Helper()
	c.Resources = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24")}
	logf, err := os.Create(filepath.Join(t.TempDir(), "road.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	d, err := Open(context.Background(), c, Runtime{KeyPoolSize: 4, Logger: slog.New(slog.NewTextHandler(logf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx); d.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", c.DataDir, err)
		}
	})
	return d
}

func addROAs(t *testing.T, d *Daemon, ss ...string) {
	t.Helper()
	req := &proposal.Request{Force: true, Reason: "test: no BGP here"}
	for _, v := range mustSet(t, ss...) {
		req.Add = append(req.Add, proposal.ROA{Prefix: v.Prefix.String(), MaxLength: int(v.MaxLen), ASN: v.ASN})
	}
	if res, err := d.props.Propose(context.Background(), "test", req); err != nil || !res.Applied {
		t.Fatalf("proposal: %v %+v", err, res)
	}
}

func mustSet(t *testing.T, ss ...string) vrp.Set {
	t.Helper()
	s, err := vrp.ParseSet(ss...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitListening waits until addr accepts TCP connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRTRServesTheUnionOfTALs: a daemon configured with an extra TAL (a
// second road on loopback, standing in for an RIR, with one ASPA) serves
// that TAL's VRPs together with its own over RTR (rtrdump v1: stayrtr
// 0.6.2's rtrdump ends the session on an ASPA PDU), the ASPA in the RTR
// server's v2 data, and reports the feed in rp status.
func TestRTRServesTheUnionOfTALs(t *testing.T) {
	testpeers.Require(t, "rtrdump")
	base := t.TempDir()
	os.Chmod(base, 0o755)
	routerDir, worldDir := filepath.Join(base, "road"), filepath.Join(base, "world")
	// The world serves HTTPS with a certificate of the router's testbed TLS
	// CA, which the router's relying party trusts beside the system roots.
	cert, key, _, err := tlsca.Ensure(filepath.Join(routerDir, "tls"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	free := func() string { return fmt.Sprintf("127.0.0.1:%d", testpeers.FreePort(t)) }
	worldHTTPS := free()
	wc := testConfig(worldDir)
	wc.HTTPS, wc.RRDPBase, wc.TLSCert, wc.TLSKey = worldHTTPS, "https://"+worldHTTPS+"/rrdp/", cert, key
	world := runDaemon(t, wc)
	waitListening(t, worldHTTPS)
	worldROAs := []string{"198.51.100.0/24 => AS64500", "203.0.113.0/24-25 => AS64501"}
	putASPA(t, world, 64500, []uint32{64502, 64501})
	addROAs(t, world, worldROAs...)
	worldTAL := filepath.Join(base, "world.tal")
	if b, err := os.ReadFile(filepath.Join(worldDir, "road.tal")); err != nil || os.WriteFile(worldTAL, b, 0o644) != nil {
		t.Fatalf("world TAL: %v", err)
	}

	routerHTTPS, rtrAddr := free(), free()
	rc := testConfig(routerDir)
	rc.HTTPS, rc.RRDPBase, rc.RTR = routerHTTPS, "https://"+routerHTTPS+"/rrdp/", rtrAddr
	rc.RP.TALs, rc.RP.Interval = []string{worldTAL}, time.Hour
	router := runDaemon(t, rc)
	waitListening(t, rtrAddr)
	ownROAs := []string{"192.0.2.0/24 => AS64496"}
	addROAs(t, router, ownROAs...)

	want := mustSet(t, append(ownROAs, worldROAs...)...)
	var got []vrp.VRP
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if got, err = testpeers.RTRDump(t, rtrAddr, 1); err == nil && slices.Equal(vrp.NewSet(got), want) {
			break
		}
		if time.Now().After(deadline) {
			st, _ := router.RPStatus(context.Background())
			t.Fatalf("RTR v1: %v %v, want %v (rp status %+v, global %+v)", err, got, want, st, st.Global)
		}
	}
	st, err := router.RPStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := st.Global
	if !st.OK || st.Degraded || st.Served != 3 || st.VRPs != 1 || g == nil || !slices.Equal(g.TALs, []string{worldTAL}) ||
		g.VRPs != 2 || g.ASPAs != 1 || g.Rejected != 0 || g.Degraded || g.Runs != 1 {
		t.Fatalf("rp status %+v, global %+v", st, g)
	}
	if rs := router.rtr.Status(); rs.VRPs != 3 || rs.ASPAs != 1 {
		t.Fatalf("rtr status: %d VRPs, %d ASPAs", rs.VRPs, rs.ASPAs)
	}
	// BIRD 2.17 (Debian 13) receives both over RTR v2, the ASPA included.
	_, port, _ := net.SplitHostPort(rtrAddr)
	p, _ := strconv.Atoi(port)
	bird := testpeers.StartBIRD217RTR(t, "127.0.0.1", p)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := bird.WaitFor(ctx, want); err != nil {
		t.Fatalf("BIRD 2.17 VRPs: %v", err)
	}
	if err := bird.WaitForASPAs(ctx, []vrp.ASPA{vrp.NewASPA(64500, []uint32{64501, 64502})}); err != nil {
		t.Fatalf("BIRD 2.17: %v", err)
	}
}

// putASPA signs an ASPA object (draft-ietf-sidrops-aspa-profile) with d's
// resource CA key and stores it in d's publication point; road issues no
// ASPAs itself, so the next change's manifest lists it and publishes it.
func putASPA(t *testing.T, d *Daemon, customer uint32, providers []uint32) {
	t.Helper()
	ctx := context.Background()
	err := d.st.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.CA(ca.CAName)
		if err != nil {
			return err
		}
		k, err := x509.ParsePKCS8PrivateKey(row.KeyDER)
		if err != nil {
			return err
		}
		key := k.(*rsa.PrivateKey)
		cert, err := rpki.ParseCertificate(row.CertDER)
		if err != nil {
			return err
		}
		eeKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Second)
		uri := row.RepoURI + fmt.Sprintf("AS%d.asa", customer)
		ee, err := rpki.CreateCertificate(&rpki.Certificate{SerialNumber: big.NewInt(1 << 40),
			Subject: fmt.Sprintf("%X", rpki.SubjectKeyID(&eeKey.PublicKey)), NotBefore: now.Add(-time.Minute),
			NotAfter: now.Add(7 * 24 * time.Hour), PublicKey: &eeKey.PublicKey, // beyond the manifest's nextUpdate (the gate validates at it)
			CRLDP: row.RepoURI + rpki.KeyFileName(&key.PublicKey, ".crl"), AIA: row.CertURI,
			SIA: rpki.SIA{SignedObject: uri}, AS: &rpki.ASResources{Ranges: []rpki.ASRange{{Min: customer, Max: customer}}}},
			cert.Subject, key)
		if err != nil {
			return err
		}
		econtent, err := (&rpki.ASPA{CustomerASID: customer, Providers: providers}).Encode()
		if err != nil {
			return err
		}
		der, err := rpki.SignObject(rpki.OIDASPA, econtent, ee, eeKey, now)
		if err != nil {
			return err
		}
		return tx.PutObject(&store.Object{URI: uri, CA: ca.CAName, Kind: "asa", DER: der, NotAfter: now.Add(24 * time.Hour),
			SigningTime: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
}
