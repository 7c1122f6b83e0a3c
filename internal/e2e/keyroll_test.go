package e2e

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testpeers"
)

// delegatedPair starts road A (testbed TA, RFC 6492 parent, RFC 8181
// repository) and road B, A's child publishing to A, through the REST
// calls roactl makes (child add, parent add, publisher add, repository
// add), and gives B the ROA 192.0.2.0/25 => AS64500. bOpts adjust B's
// configuration.
func delegatedPair(t *testing.T, bOpts ...func(*config.Config)) (a, b *road) {
	t.Helper()
	a = startRoad(t)
	b = startRoad(t, append([]func(*config.Config){func(c *config.Config) { c.Delegation.Handle = "B" }}, bOpts...)...)
	becomeChild(t, a, b)
	var st api.Status
	call(t, b.http, b.token, "GET", "/status", nil, &st)
	if st.CA.Mode != "delegated" || strings.Join(st.CA.Resources, ", ") != "192.0.2.0/25, AS64500" {
		t.Fatalf("B's CA: %+v", st.CA)
	}
	return a, b
}

// syncB contacts B's parent and repository now and fails on an error.
func syncB(t *testing.T, b *road) {
	t.Helper()
	var s api.Synced
	if code := call(t, b.http, b.token, "POST", "/parents/sync", struct{}{}, &s); code != 200 {
		t.Fatalf("B: POST /parents/sync: HTTP %d", code)
	}
	for _, p := range append(s.Parents, s.Repositories...) {
		if p.LastError != "" {
			t.Fatalf("B: %s: %s", p.Name, p.LastError)
		}
	}
}

// keyRollPhase is B's key roll as GET /ca/roll and GET /status show it.
func keyRollPhase(t *testing.T, b *road) *api.KeyRoll {
	t.Helper()
	var kr api.KeyRollState
	call(t, b.http, b.token, "GET", "/ca/roll", nil, &kr)
	var st api.Status
	call(t, b.http, b.token, "GET", "/status", nil, &st)
	if kr.Roll == nil || st.CA.KeyRoll == nil || st.CA.KeyRoll.Phase != kr.Roll.Phase {
		t.Fatalf("key roll %+v, status %+v", kr.Roll, st.CA.KeyRoll)
	}
	return kr.Roll
}

// childCerts is how many certificates A holds for B.
func childCerts(t *testing.T, a *road) int {
	t.Helper()
	var l api.ChildList
	call(t, a.http, a.token, "GET", "/children", nil, &l)
	if len(l.Children) != 1 {
		t.Fatalf("A's children %+v", l)
	}
	return len(l.Children[0].Certificates)
}

// TestKeyRollKeepsVRPs: road B, A's child publishing in A's repository,
// rolls its CA key (RFC 6489) while rpki-client 9.5 validates through A's
// TAL alone at every phase: before, pending (B's new key certified by A
// over RFC 6492 and its empty manifest and CRL published beside the old
// ones), after the activation (the ROA under the new key, the old CA's
// manifest only its CRL) and after A revoked the old key. The VRP never
// goes missing. The staging period is ended with roactl ca roll
// --activate's call; the automatic activation is internal/ca's test.
func TestKeyRollKeepsVRPs(t *testing.T) {
	testpeers.TrixieScript(t)
	a, b := delegatedPair(t)
	want := vrpSet(t, "192.0.2.0/25 => AS64500")
	cache := testpeers.RPKIClientDir(t)
	validate := func(phase string, certs int) {
		t.Helper()
		res := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(a.dir, "road.tal"),
			TLSCAFile: filepath.Join(a.dir, "tls", "ca.pem"), CacheDir: cache, Trixie: true})
		if !sameVRPs(res.VRPs, want) {
			t.Fatalf("%s: rpki-client 9.5 through A's TAL: %v, want %v\n%s", phase, res.VRPs, want, res.Log)
		}
		// B's second CA certificate and manifest are seen while both keys
		// are certified, and nothing is refused at any phase.
		for _, line := range []string{fmt.Sprintf("Certificates: %d (0 invalid, 0 non-functional)", certs),
			fmt.Sprintf("Manifests: %d (0 failed parse, 0 seqnum gaps)", certs), "Route Origin Authorizations: 1 (0 failed parse, 0 invalid)"} {
			if !strings.Contains(res.Log, line) {
				t.Fatalf("%s: rpki-client did not log %q:\n%s", phase, line, res.Log)
			}
		}
	}
	validate("before the roll", 3)
	if n := childCerts(t, a); n != 1 {
		t.Fatalf("A holds %d certificates for B before the roll", n)
	}

	var kr api.KeyRollState
	if code := call(t, b.http, b.token, "POST", "/ca/roll", struct{}{}, &kr); code != 200 || kr.Roll == nil {
		t.Fatalf("POST /ca/roll: HTTP %d", code)
	}
	syncB(t, b)
	r := keyRollPhase(t, b)
	if r.Phase != "pending" || r.NewKey == r.OldKey {
		t.Fatalf("after the issue: %+v", r)
	}
	if n := childCerts(t, a); n != 2 {
		t.Fatalf("A holds %d certificates for B while staging, want 2", n)
	}
	validate("pending", 4)
	if code := call(t, b.http, b.token, "POST", "/ca/roll", struct{}{}, nil); code != 409 {
		t.Fatalf("a second roll while one runs: HTTP %d, want 409", code)
	}

	if code := call(t, b.http, b.token, "POST", "/ca/roll/activate", struct{}{}, &kr); code != 200 {
		t.Fatalf("POST /ca/roll/activate: HTTP %d", code)
	}
	if r := keyRollPhase(t, b); r.Phase != "active" {
		t.Fatalf("after the activation: %+v", r)
	}
	checkActivated(t, a, r)
	validate("active", 4)

	syncB(t, b) // the parent revokes the old key
	if r := keyRollPhase(t, b); r.Phase != "done" {
		t.Fatalf("after the revocation: %+v", r)
	}
	if n := childCerts(t, a); n != 1 {
		t.Fatalf("A holds %d certificates for B after the roll, want 1", n)
	}
	validate("done", 3)

	var h api.HistoryList
	call(t, b.http, b.token, "GET", "/history", nil, &h)
	var phases []string
	for _, e := range h.Entries {
		if strings.HasPrefix(e.Action, "key-roll-") {
			phases = append([]string{e.Action}, phases...)
		}
	}
	if got := strings.Join(phases, " "); got != "key-roll-requested key-roll-pending key-roll-active key-roll-done" {
		t.Fatalf("B's history: %s", got)
	}
}

// checkActivated reads A's rsync tree after B's activation: B's ROA is
// signed under the new key, and the old key's manifest lists only its CRL
// (RFC 6489 §2 step 5).
func checkActivated(t *testing.T, a *road, r *api.KeyRoll) {
	t.Helper()
	oldSKI, _ := hex.DecodeString(r.OldKey)
	var roaAKI []string
	var oldMft []string
	err := filepath.WalkDir(filepath.Join(a.dir, "rsync", "current"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		der, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".roa"):
			so, err := rpki.ParseSignedObject(der)
			if err != nil {
				return err
			}
			roaAKI = append(roaAKI, hex.EncodeToString(so.EE.AKI))
		case filepath.Base(path) == base64.RawURLEncoding.EncodeToString(oldSKI)+".mft":
			so, err := rpki.ParseSignedObject(der)
			if err != nil {
				return err
			}
			m, err := rpki.ParseManifest(so.EContent)
			if err != nil {
				return err
			}
			for _, f := range m.Files {
				oldMft = append(oldMft, f.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(roaAKI) != 1 || roaAKI[0] != r.NewKey {
		t.Fatalf("ROAs in A's repository signed under %v, want the new key %s", roaAKI, r.NewKey)
	}
	if want := base64.RawURLEncoding.EncodeToString(oldSKI) + ".crl"; len(oldMft) != 1 || oldMft[0] != want {
		t.Fatalf("the old key's manifest lists %v, want only %s", oldMft, want)
	}
}

// TestTestbedKeyRoll: road without a parent rolls its CA key under its
// own testbed TA the same way; rpki-client 9.5 validates the ROA through
// road's TAL before, while pending (both CA certificates under the TA) and
// once the TA revoked the old one.
func TestTestbedKeyRoll(t *testing.T) {
	testpeers.TrixieScript(t)
	r := startRoad(t)
	var res api.ProposalResult
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", api.ProposalRequest{Add: roas(t, "192.0.2.0/24 => AS64496"),
		Force: true, Reason: "e2e: no BGP view"}, &res); code != 200 || !res.Applied {
		t.Fatalf("ROA: HTTP %d %+v", code, res)
	}
	want := vrpSet(t, "192.0.2.0/24 => AS64496")
	cache := testpeers.RPKIClientDir(t)
	validate := func(phase string, certs int) {
		t.Helper()
		res := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(r.dir, "road.tal"),
			TLSCAFile: filepath.Join(r.dir, "tls", "ca.pem"), CacheDir: cache, Trixie: true})
		line := fmt.Sprintf("Certificates: %d (0 invalid, 0 non-functional)", certs)
		if !sameVRPs(res.VRPs, want) || !strings.Contains(res.Log, line) {
			t.Fatalf("%s: rpki-client 9.5: %v, want %v and %q\n%s", phase, res.VRPs, want, line, res.Log)
		}
	}
	validate("before the roll", 2)
	var kr api.KeyRollState
	if code := call(t, r.http, r.token, "POST", "/ca/roll", struct{}{}, &kr); code != 200 || kr.Roll == nil || kr.Roll.Phase != "pending" {
		t.Fatalf("POST /ca/roll: HTTP %d %+v", code, kr.Roll)
	}
	validate("pending", 3)
	if code := call(t, r.http, r.token, "POST", "/ca/roll/activate", struct{}{}, &kr); code != 200 {
		t.Fatalf("POST /ca/roll/activate: HTTP %d", code)
	}
	// The TA revokes the old CA certificate on road's next renew pass.
	deadline := time.Now().Add(30 * time.Second)
	for keyRollPhase(t, r).Phase != "done" {
		if time.Now().After(deadline) {
			t.Fatalf("the roll did not finish: %+v", keyRollPhase(t, r))
		}
		time.Sleep(100 * time.Millisecond)
	}
	validate("done", 2)
}
