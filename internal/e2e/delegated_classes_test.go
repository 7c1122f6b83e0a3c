package e2e

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/testpeers"
)

// TestDelegatedTwoParents: road B holds space from two parents, A1 and A2
// (two RIRs), publishing in its own repository. A key is certified in one
// class only (RFC 6492 §3.4): B's first CA holds A1's certificate, a
// second CA instance with its own key, publication point, manifest and
// CRL holds A2's. Each ROA is issued under the certificate covering it,
// and rpki-client 9.5 (Debian 13) validates each through its parent's TAL
// alone.
func TestDelegatedTwoParents(t *testing.T) {
	testpeers.Require(t, "rsync", "openssl")
	poll := func(c *config.Config) { c.Delegation.Poll = 2 * time.Second; c.Delegation.BackoffMax = 2 * time.Second }
	a1 := startRoad(t)
	a2 := startRoad(t)
	b := startRoad(t, poll, func(c *config.Config) { c.Delegation.Handle = "B" })

	adoptAs(t, a1, b, "B", "A1", "192.0.2.0/24")
	adoptAs(t, a2, b, "B", "A2", "198.51.100.0/24, AS64498")
	waitDelegated(t, b, "", "")
	want := []string{"192.0.2.0/24", "198.51.100.0/24", "AS64498"}
	var st api.Status
	for deadline := time.Now().Add(time.Minute); ; {
		call(t, b.http, b.token, "GET", "/status", nil, &st)
		if slices.Equal(st.CA.Resources, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B holds %v, want %v", st.CA.Resources, want)
		}
		time.Sleep(200 * time.Millisecond)
	}

	propose(t, b, "192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS64498")
	tlsCA := tlsCAs(t, a1, a2, b)
	for _, tc := range []struct {
		parent *road
		want   string
	}{{a1, "192.0.2.0/24 => AS64496"}, {a2, "198.51.100.0/24 => AS64498"}} {
		tal, cache := filepath.Join(tc.parent.dir, "road.tal"), testpeers.RPKIClientDir(t)
		run := func() testpeers.RPResult {
			return testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, TLSCAFile: filepath.Join(tlsCA, "all.pem"),
				CacheDir: cache, Trixie: true})
		}
		w := vrpSet(t, tc.want)
		if got := waitRP(t, run, w); !sameVRPs(got.VRPs, w) {
			t.Errorf("rpki-client 9.5 through %s's TAL: %v\nwant %v\n%s", tc.parent.dir, got.VRPs, w, got.Log)
		}
	}
}
