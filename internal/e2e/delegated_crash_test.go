package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/testpeers"
)

// delegatedKills is how many times the crash test kills road B with an
// RFC 6492 or RFC 8181 exchange in flight.
const delegatedKills = 20

// TestDelegatedCrashConvergence kills road B, the child of road A that
// publishes in A's repository, with SIGKILL at random points of its
// exchanges with A (a ROA change being published over RFC 8181, an on-demand
// list/issue over RFC 6492), restarts it on the same data directory, and
// checks after every restart: A's repository converges to exactly B's
// objects (the list reconciliation after start), B's CA key never changed
// and A certified only that one key for B (no duplicate key requested),
// and A never had to refuse a publish or withdraw of B's (nothing
// published twice, no withdraw of what A does not hold).
func TestDelegatedCrashConvergence(t *testing.T) {
	testpeers.Require(t, "sqlite3")
	bin := buildRoad(t)
	a := startRoad(t)
	dir := filepath.Join(worldReadableDir(t), "road-data")
	cfg := filepath.Join(filepath.Dir(dir), "road.toml")
	if err := os.WriteFile(cfg, []byte("[ca]\nhandle = \"B\"\npoll_interval = \"1s\"\nbackoff_max = \"1s\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &road{dir: dir, http: freeAddr(t)}
	https := freeAddr(t)
	args := []string{"serve", "--config", cfg, "--data-dir", dir, "--http", b.http, "--https", https, "--rtr", "",
		"--rrdp-base", "https://" + https + "/rrdp/", "--rsync-base", "rsync://127.0.0.1:1/repo/"}
	start := func(i int) *roadProcess {
		p := startRoadProcess(t, bin, args, filepath.Join(filepath.Dir(dir), fmt.Sprintf("road-%02d.log", i)))
		waitHTTP(t, "http://"+b.http+"/healthz")
		b.token = readToken(t, dir)
		return p
	}
	p := start(0)
	adopt(t, a, b, "B", "192.0.2.0/24, 198.51.100.0/24")
	publishAt(t, a, b, "B")
	waitDelegated(t, b, "rsync://127.0.0.1:", "/repo/B/")
	key := sqlite(t, dir, "SELECT hex(key_der) FROM cas WHERE name = 'ca'")
	converged(t, a, b, "after the setup")

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	seed := rng.Uint64()
	rng = rand.New(rand.NewPCG(seed, 4))
	t.Logf("seed %d", seed)
	for i := 1; i <= delegatedKills; i++ {
		// An exchange in flight: a ROA added (published to A), or a ROA
		// removed (withdrawn from A), or an on-demand sync with the parent.
		roa := fmt.Sprintf("192.0.2.%d/30 => AS64496", 4*(i%60))
		switch i % 3 {
		case 0:
			go tryCall(b.http, b.token, "POST", "/parents/sync", struct{}{}, nil)
		default:
			go tryCall(b.http, b.token, "POST", "/roas/proposals", api.ProposalRequest{Add: roas(t, roa)}, nil)
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		p.kill(t)
		p = start(i)
		converged(t, a, b, fmt.Sprintf("after kill %d", i))
		if got := sqlite(t, dir, "SELECT hex(key_der) FROM cas WHERE name = 'ca'"); got != key {
			t.Fatalf("after kill %d B's CA key changed", i)
		}
		if n := sqlite(t, a.dir, "SELECT count(DISTINCT ski) FROM child_certs WHERE child = 'B'"); n != "1" {
			t.Fatalf("after kill %d A certified %s keys for B", i, n)
		}
	}
	// Some of the changes went through before their kill: the exchanges ran.
	if n := sqlite(t, a.dir, "SELECT count(*) FROM published WHERE publisher = 'B' AND uri LIKE '%.roa'"); n == "0" {
		t.Error("no ROA of B ever reached A: the kills never had an exchange in flight")
	}
	log, err := os.ReadFile(filepath.Join(a.dir, "road.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "rfc8181: query not applied") || strings.Contains(l, "rfc8181: refused") {
			t.Errorf("A refused one of B's queries: %s", l)
		}
	}
}

// converged waits until A's repository holds exactly B's CA objects
// (URI and SHA-256), at most 30 seconds after B answers again.
func converged(t *testing.T, a, b *road, when string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var have, want string
	for time.Now().Before(deadline) {
		want = hashed(t, sqlite(t, b.dir, "SELECT uri, hex(der) FROM objects WHERE ca = 'ca' ORDER BY uri"))
		have = sqlite(t, a.dir, "SELECT uri, upper(hash) FROM published WHERE publisher = 'B' ORDER BY uri")
		if have == want && want != "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: A's repository never converged to B's objects\nA: %s\nB: %s", when, have, want)
}

// hashed replaces the hex DER of "uri|HEX" lines by its SHA-256.
func hashed(t *testing.T, rows string) string {
	var out []string
	for _, l := range strings.Split(rows, "\n") {
		uri, h, ok := strings.Cut(l, "|")
		if !ok {
			continue
		}
		der, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		out = append(out, uri+"|"+strings.ToUpper(hex.EncodeToString(sum[:])))
	}
	return strings.Join(out, "\n")
}

// sqlite runs one read-only query on a road's database.
func sqlite(t *testing.T, dir, q string) string {
	t.Helper()
	out, err := exec.Command("sqlite3", "-readonly", filepath.Join(dir, "road.db"), q).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %s: %v\n%s", q, err, out)
	}
	return strings.TrimSpace(string(out))
}
