package e2e

import (
	"context"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/testpeers"
)

// TestROAsValidateWithCAKeyInHSM: road with [hsm] set makes its TA and CA
// keys (and its BPKI identity key) in a softhsm2 token; rpki-client and FORT validate exactly the
// configured ROAs over RRDP, the database holds only token handles, and
// the published certificates are for the token's keys. (The issue asks for
// this on the parent/child pair; until that test exists on main it runs on
// the single-instance CA.)
func TestROAsValidateWithCAKeyInHSM(t *testing.T) {
	testpeers.Require(t, "rpki-client", "fort", "rsync", "sqlite3")
	tok := testpeers.StartSoftHSM(t, "road-e2e")
	r := startRoad(t, func(c *config.Config) {
		c.HSM = config.HSM{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}
	})
	add := []string{"192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497", "198.51.100.0/24 => AS0"}
	var res api.ProposalResult
	req := api.ProposalRequest{Add: roas(t, add...), Force: true, Reason: "e2e: HSM"}
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", req, &res); code != 200 || !res.Applied {
		t.Fatalf("proposal: HTTP %d %+v", code, res)
	}
	var st api.Status
	if code := call(t, r.http, r.token, "GET", "/status", nil, &st); code != 200 || st.CA.Keys != "pkcs11" {
		t.Fatalf("GET /status: HTTP %d, ca.keys %q, want pkcs11", code, st.CA.Keys)
	}
	want := vrpSet(t, add...)
	tal, tlsCA := filepath.Join(r.dir, "road.tal"), filepath.Join(r.dir, "tls", "ca.pem")
	if got := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, TLSCAFile: tlsCA,
		CacheDir: testpeers.RPKIClientDir(t)}); !sameVRPs(got.VRPs, want) {
		t.Errorf("rpki-client: %v\nwant %v\n%s", got.VRPs, want, got.Log)
	}
	if got := testpeers.RunFort(t, testpeers.FortOptions{TAL: tal, TLSCAFile: tlsCA}); !sameVRPs(got.VRPs, want) {
		t.Errorf("FORT: %v\nwant %v\n%s", got.VRPs, want, got.Log)
	}

	// The database keeps handles; the keys behind them are in the token.
	out, err := exec.Command("sqlite3", "-readonly", filepath.Join(r.dir, "road.db"),
		"SELECT name, CAST(key_der AS TEXT), hex(cert_der) FROM cas ORDER BY name").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("cas rows: %q", out)
	}
	id, err := exec.Command("sqlite3", "-readonly", filepath.Join(r.dir, "road.db"),
		"SELECT state || ' ' || substr(CAST(key_der AS TEXT), 1, 10) FROM identities").CombinedOutput()
	if err != nil || string(id) != "active pkcs11:id=\n" {
		t.Errorf("road's BPKI identity key is not in the token: %q %v", id, err)
	}
	hsm, err := signer.OpenPKCS11(signer.HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile})
	if err != nil {
		t.Fatal(err)
	}
	defer hsm.Close()
	for i, name := range []string{"ca", "ta"} {
		f := strings.Split(lines[i], "|")
		if len(f) != 3 || f[0] != name || !strings.HasPrefix(f[1], "pkcs11:id=") {
			t.Fatalf("cas row %d: %q", i, lines[i])
		}
		k, err := hsm.Load(context.Background(), []byte(f[1]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ext, sen, err := hsm.Extractable(k); err != nil || ext || !sen {
			t.Errorf("%s key: extractable %v sensitive %v (%v)", name, ext, sen, err)
		}
		cert, err := rpki.ParseCertificate(unhex(t, f[2]))
		if err != nil || !cert.PublicKey.Equal(k.RSAPublicKey()) {
			t.Errorf("%s: certificate not for the token's key (%v)", name, err)
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
