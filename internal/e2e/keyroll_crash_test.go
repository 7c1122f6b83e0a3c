package e2e

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/testpeers"
)

// keyRollKills is how many times TestKeyRollCrash kills road mid-roll.
const keyRollKills = 20

// TestKeyRollCrash kills the real road binary (testbed CA) with SIGKILL
// at random points of key rolls: while a roll starts (new key, TA
// certificate, empty manifest and CRL), while it is activated, and while
// the renewal pass revokes the old CA certificate. After every restart:
// a roll keeps the new key it started with (no second key), its phase
// never goes back, and rpki-client 9.5 validates exactly the configured
// ROA with every certificate and manifest accepted (3 CA certificates
// while two keys are certified, 2 otherwise): the repository matches the
// database.
func TestKeyRollCrash(t *testing.T) {
	testpeers.TrixieScript(t)
	bin := buildRoad(t)
	dir := filepath.Join(worldReadableDir(t), "road-data")
	httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
	args := []string{"serve", "--data-dir", dir, "--http", httpAddr, "--https", httpsAddr, "--rtr", "",
		"--rrdp-base", "https://" + httpsAddr + "/rrdp/", "--rsync-base", "rsync://127.0.0.1:1/repo/", "--log-level", "debug"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("seed %d", seed)
	cache := testpeers.RPKIClientDir(t)
	order := []string{"requested", "pending", "active", "done"}
	keys := map[time.Time]string{} // roll start → its new key
	phases := map[time.Time]int{}  // roll start → furthest phase seen
	want := vrpSet(t, "192.0.2.0/24 => AS64496")
	kills, stalled, last := 0, 0, "-"
	for iter := 0; kills < keyRollKills; iter++ {
		if iter >= 60 {
			t.Fatalf("after %d iterations only %d kills", iter, kills)
		}
		p := startRoadProcess(t, bin, args, filepath.Join(dir, "..", fmt.Sprintf("road-%02d.log", iter)))
		waitHTTP(t, "http://"+httpAddr+"/healthz")
		token := readToken(t, dir)
		if iter == 0 {
			var res api.ProposalResult
			if code := call(t, httpAddr, token, "POST", "/roas/proposals", api.ProposalRequest{Add: roas(t, "192.0.2.0/24 => AS64496"),
				Force: true, Reason: "e2e"}, &res); code != 200 || !res.Applied {
				t.Fatalf("ROA: HTTP %d", code)
			}
		}
		var kr api.KeyRollState
		call(t, httpAddr, token, "GET", "/ca/roll", nil, &kr)
		phase := ""
		if r := kr.Roll; r != nil {
			phase = string(r.Phase)
			if k, ok := keys[r.StartedAt]; ok && k != r.NewKey {
				t.Fatalf("iteration %d: the roll of %s changed its new key from %s to %s", iter, r.StartedAt, k, r.NewKey)
			}
			i := slices.Index(order, phase)
			if prev, ok := phases[r.StartedAt]; ok && i < prev {
				t.Fatalf("iteration %d: the roll went back from %s to %s", iter, order[prev], phase)
			}
			keys[r.StartedAt], phases[r.StartedAt] = r.NewKey, i
		}
		certs := []int{2}
		switch phase {
		case "pending":
			certs = []int{3}
		case "active": // the renewal pass may revoke the old certificate meanwhile
			certs = []int{3, 2}
		}
		res := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(dir, "road.tal"),
			TLSCAFile: filepath.Join(dir, "tls", "ca.pem"), CacheDir: cache, Trixie: true})
		seen := false
		for _, n := range certs {
			seen = seen || strings.Contains(res.Log, fmt.Sprintf("Certificates: %d (0 invalid, 0 non-functional)", n)) &&
				strings.Contains(res.Log, fmt.Sprintf("Manifests: %d (0 failed parse, 0 seqnum gaps)", n))
		}
		if !sameVRPs(res.VRPs, want) || !seen {
			t.Fatalf("iteration %d (phase %q): rpki-client VRPs %v, want %v and %v CA certificates and manifests, all accepted\n%s",
				iter, phase, res.VRPs, want, certs, res.Log)
		}

		// The next step of a roll, killed at a random point; after two
		// kills in a row left the roll where it was, the step is let
		// through first, so that every phase is crossed.
		here := phase
		if kr.Roll != nil {
			here += kr.Roll.StartedAt.String()
		}
		if here == last {
			stalled++
		} else {
			last, stalled = here, 0
		}
		let := stalled >= 2
		var path string
		var delay time.Duration
		switch phase {
		case "", "done":
			path, delay = "/ca/roll", time.Duration(rng.IntN(60))*time.Millisecond
		case "pending":
			path, delay = "/ca/roll/activate", time.Duration(rng.IntN(60))*time.Millisecond
		default: // active: the renewal pass (every 10 s) revokes the old certificate
			delay = time.Duration(rng.IntN(12000)) * time.Millisecond
			if let {
				waitPhase(t, httpAddr, token, "done")
				delay = time.Duration(rng.IntN(60)) * time.Millisecond
			}
		}
		switch {
		case path != "" && let:
			if code := call(t, httpAddr, token, "POST", path, struct{}{}, nil); code != 200 {
				t.Fatalf("iteration %d: POST %s: HTTP %d", iter, path, code)
			}
		case path != "":
			go doCall(t.Context(), httpAddr, token, "POST", path, struct{}{}, nil)
		}
		time.Sleep(delay)
		p.kill(t)
		kills++
	}
	t.Logf("%d kills over %d rolls", kills, len(keys))
	if len(keys) < 2 {
		t.Fatalf("only %d rolls seen", len(keys))
	}
}

// waitPhase polls road until its key roll is in phase.
func waitPhase(t *testing.T, httpAddr, token, phase string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var kr api.KeyRollState
		call(t, httpAddr, token, "GET", "/ca/roll", nil, &kr)
		if kr.Roll != nil && string(kr.Roll.Phase) == phase {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the key roll did not reach %s: %+v", phase, kr.Roll)
		}
	}
}
