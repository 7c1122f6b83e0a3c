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

// TestChildKeyRollCrash: road B, a process that is A's child and
// publishes in A's repository, is killed with SIGKILL 20 times at random
// points of its key rolls (the issue request for the new key, its
// installation and publication, the activation with its RFC 8181
// exchange, the revocation request). After every restart and one sync:
// the roll keeps its new key, its phase never goes back, A certifies two
// keys of B while B is pending and one otherwise (no duplicate key was
// requested), and rpki-client 9.5 validates exactly B's ROA through A's
// TAL with nothing refused.
func TestChildKeyRollCrash(t *testing.T) {
	testpeers.TrixieScript(t)
	a := startRoad(t)
	bin := buildRoad(t)
	dir := filepath.Join(worldReadableDir(t), "road-b")
	httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
	args := []string{"serve", "--data-dir", dir, "--http", httpAddr, "--https", httpsAddr, "--rtr", "", "--ca-handle", "B",
		"--rrdp-base", "https://" + httpsAddr + "/rrdp/", "--rsync-base", "rsync://127.0.0.1:1/repo/", "--log-level", "debug"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 4))
	t.Logf("seed %d", seed)
	cache := testpeers.RPKIClientDir(t)
	order := []string{"requested", "pending", "active", "done"}
	keys, phases := map[time.Time]string{}, map[time.Time]int{}
	want := vrpSet(t, "192.0.2.0/25 => AS64500")
	kills := 0
	for iter := 0; kills < keyRollKills; iter++ {
		if iter >= 60 {
			t.Fatalf("after %d iterations only %d kills", iter, kills)
		}
		p := startRoadProcess(t, bin, args, filepath.Join(dir, "..", fmt.Sprintf("road-%02d.log", iter)))
		waitHTTP(t, "http://"+httpAddr+"/healthz")
		b := &road{http: httpAddr, token: readToken(t, dir)}
		if iter == 0 {
			becomeChild(t, a, b)
		}
		syncB(t, b)
		var kr api.KeyRollState
		call(t, b.http, b.token, "GET", "/ca/roll", nil, &kr)
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
		certs := 1
		if phase == "pending" {
			certs = 2
		} else if phase != "" && phase != "done" {
			t.Fatalf("iteration %d: phase %s after a sync", iter, phase)
		}
		if n := childCerts(t, a); n != certs {
			t.Fatalf("iteration %d (phase %q): A certifies %d keys of B, want %d", iter, phase, n, certs)
		}
		res := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: filepath.Join(a.dir, "road.tal"),
			TLSCAFile: filepath.Join(a.dir, "tls", "ca.pem"), CacheDir: cache, Trixie: true})
		for _, line := range []string{fmt.Sprintf("Certificates: %d (0 invalid, 0 non-functional)", 2+certs),
			fmt.Sprintf("Manifests: %d (0 failed parse, 0 seqnum gaps)", 2+certs)} {
			if !sameVRPs(res.VRPs, want) || !strings.Contains(res.Log, line) {
				t.Fatalf("iteration %d (phase %q): rpki-client VRPs %v, want %v and %q\n%s", iter, phase, res.VRPs, want, line, res.Log)
			}
		}

		// The next step, then a sync, killed at a random point.
		path := "/ca/roll"
		if phase == "pending" {
			path = "/ca/roll/activate"
		}
		go func() {
			doCall(t.Context(), b.http, b.token, "POST", path, struct{}{}, nil)
			doCall(t.Context(), b.http, b.token, "POST", "/parents/sync", struct{}{}, nil)
		}()
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		p.kill(t)
		kills++
	}
	t.Logf("%d kills over %d rolls", kills, len(keys))
	if len(keys) < 2 {
		t.Fatalf("only %d rolls seen", len(keys))
	}
}

// becomeChild makes b a child of a publishing in a's repository, with
// the ROA 192.0.2.0/25 => AS64500 (as delegatedPair).
func becomeChild(t *testing.T, a, b *road) {
	t.Helper()
	var creq, preq api.OOBMessage
	call(t, b.http, b.token, "GET", "/parents/request", nil, &creq)
	call(t, b.http, b.token, "GET", "/repositories/request", nil, &preq)
	var child api.ChildAdded
	if code := call(t, a.http, a.token, "POST", "/children", api.ChildAdd{Name: "B", Request: creq.XML,
		Resources: "192.0.2.0/25, AS64500"}, &child); code != 201 {
		t.Fatalf("A: POST /children: HTTP %d", code)
	}
	var pub api.PublisherAdded
	if code := call(t, a.http, a.token, "POST", "/publishers", api.PublisherAdd{Name: "B", Request: preq.XML}, &pub); code != 201 {
		t.Fatalf("A: POST /publishers: HTTP %d", code)
	}
	var peer api.Peer
	if code := call(t, b.http, b.token, "POST", "/repositories/A", api.OOBMessage{XML: pub.RepositoryResponse}, &peer); code != 201 {
		t.Fatalf("B: POST /repositories/A: HTTP %d", code)
	}
	if code := call(t, b.http, b.token, "POST", "/parents/A", api.OOBMessage{XML: child.ParentResponse}, &peer); code != 201 {
		t.Fatalf("B: POST /parents/A: HTTP %d", code)
	}
	syncB(t, b)
	var res api.ProposalResult
	if code := call(t, b.http, b.token, "POST", "/roas/proposals", api.ProposalRequest{Add: roas(t, "192.0.2.0/25 => AS64500"),
		Force: true, Reason: "e2e: no BGP view"}, &res); code != 200 || !res.Applied {
		t.Fatalf("B: ROA: HTTP %d %+v", code, res)
	}
	syncB(t, b)
}
