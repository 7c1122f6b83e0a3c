package e2e

import (
	"context"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"slices"
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
// the published certificates are for the token's keys. The parent/child
// pair is TestDelegatedChildWithCAKeyInHSM.
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

// TestDelegatedChildWithCAKeyInHSM is the parent/child pair with B's keys
// in softhsm2 (issue 11: "the same parent/child test with B's CA key in
// softhsm2"): road A (testbed TA, RFC 6492 parent, RFC 8181 repository)
// and road B (A's child, publishing in A's repository) whose TA, CA and
// BPKI identity keys are made in the token. B's CSR, its up-down and
// publication CMS and its ROA are signed there; rpki-client 9.5 and FORT
// validate B's ROA through A's TAL over RRDP. B then rolls its CA key: the
// new key is made in the token, rpki-client keeps the VRP, and the old key
// is destroyed in the token once A revoked it.
func TestDelegatedChildWithCAKeyInHSM(t *testing.T) {
	testpeers.Require(t, "fort", "rsync", "sqlite3")
	testpeers.TrixieScript(t)
	tok := testpeers.StartSoftHSM(t, "road-b")
	a, b := delegatedPair(t, func(c *config.Config) {
		c.HSM = config.HSM{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}
	})
	want := vrpSet(t, "192.0.2.0/25 => AS64500")
	tal, tlsCA := filepath.Join(a.dir, "road.tal"), filepath.Join(a.dir, "tls", "ca.pem")
	cache := testpeers.RPKIClientDir(t)
	validate := func(phase string) {
		t.Helper()
		res := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, TLSCAFile: tlsCA, CacheDir: cache, Trixie: true})
		if !sameVRPs(res.VRPs, want) {
			t.Fatalf("%s: rpki-client 9.5 through A's TAL: %v, want %v\n%s", phase, res.VRPs, want, res.Log)
		}
	}
	validate("B's keys in the token")
	if got := testpeers.RunFort(t, testpeers.FortOptions{TAL: tal, TLSCAFile: tlsCA}); !sameVRPs(got.VRPs, want) {
		t.Errorf("FORT through A's TAL: %v\nwant %v\n%s", got.VRPs, want, got.Log)
	}
	var st api.Status
	if code := call(t, b.http, b.token, "GET", "/status", nil, &st); code != 200 || st.CA.Keys != "pkcs11" || st.CA.Mode != "delegated" {
		t.Errorf("B's status: HTTP %d, ca %+v", code, st.CA)
	}
	hsm, err := signer.OpenPKCS11(signer.HSMConfig{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile})
	if err != nil {
		t.Fatal(err)
	}
	defer hsm.Close()
	before := bKeys(t, b, hsm, "ca ca", "ca ta", "identity active")

	var kr api.KeyRollState
	if code := call(t, b.http, b.token, "POST", "/ca/roll", struct{}{}, &kr); code != 200 || kr.Roll == nil {
		t.Fatalf("POST /ca/roll: HTTP %d", code)
	}
	syncB(t, b)
	if r := keyRollPhase(t, b); r.Phase != "pending" {
		t.Fatalf("after the issue: %+v", r)
	}
	validate("pending")
	if code := call(t, b.http, b.token, "POST", "/ca/roll/activate", struct{}{}, &kr); code != 200 {
		t.Fatalf("POST /ca/roll/activate: HTTP %d", code)
	}
	validate("active")
	syncB(t, b) // A revokes the old key
	if r := keyRollPhase(t, b); r.Phase != "done" {
		t.Fatalf("after the revocation: %+v", r)
	}
	validate("done")
	after := bKeys(t, b, hsm, "ca ca", "ca ta", "identity active")
	if after["ca ca"] == before["ca ca"] || after["ca ta"] != before["ca ta"] || after["identity active"] != before["identity active"] {
		t.Errorf("keys before the roll %v, after %v: only the CA's should change", before, after)
	}
}

// bKeys reads B's key handles (cas and identities rows, named "ca NAME"
// and "identity STATE"), checks they are exactly want and are the token's
// only key pairs, and returns them.
func bKeys(t *testing.T, b *road, hsm *signer.PKCS11, want ...string) map[string]string {
	t.Helper()
	out, err := exec.Command("sqlite3", "-readonly", filepath.Join(b.dir, "road.db"),
		"SELECT 'ca ' || name || '|' || CAST(key_der AS TEXT) FROM cas UNION ALL "+
			"SELECT 'identity ' || state || '|' || CAST(key_der AS TEXT) FROM identities ORDER BY 1").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	got := map[string]string{}
	var names, handles []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, h, _ := strings.Cut(line, "|")
		if !strings.HasPrefix(h, "pkcs11:id=") {
			t.Fatalf("B's %s key is not in the token", name)
		}
		got[name] = h
		names, handles = append(names, name), append(handles, h)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("B's keys %v, want %v", names, want)
	}
	onToken, err := hsm.Handles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var tok []string
	for _, h := range onToken {
		tok = append(tok, string(h))
	}
	slices.Sort(handles)
	if !slices.Equal(tok, handles) {
		t.Fatalf("the token holds %v, B's database %v", tok, handles)
	}
	return got
}
