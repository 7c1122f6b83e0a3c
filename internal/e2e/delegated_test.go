package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// TestDelegatedChain is issue 11's chain on loopback: road A (testbed TA,
// RFC 6492 parent, RFC 8181 publication server), road B (child of A,
// publishing in A's repository over RFC 8181) and road C (child of B,
// publishing in its own repository), set up with the RFC 8183 exchanges of
// the REST API. The ROAs proposed on B and C validate in rpki-client 9.5
// (Debian 13) and FORT through A's TAL alone, over RRDP. Then A shrinks B's
// resources: B stops publishing the ROA they no longer cover, and its BGP
// audit reports it not-held.
func TestDelegatedChain(t *testing.T) {
	testpeers.Require(t, "fort", "rsync", "openssl")
	poll := func(c *config.Config) { c.Delegation.Poll = 2 * time.Second; c.Delegation.BackoffMax = 2 * time.Second }
	a := startRoad(t)
	b := startRoad(t, poll, func(c *config.Config) { c.Delegation.Handle = "B" })
	c := startRoad(t, poll, func(c *config.Config) { c.Delegation.Handle = "C" })

	adopt(t, a, b, "B", "192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32")
	publishAt(t, a, b, "B")
	adopt(t, b, c, "C", "198.51.100.0/24")
	waitDelegated(t, b, "rsync://127.0.0.1:", "/repo/B/")
	waitDelegated(t, c, "", "")

	propose(t, b, "192.0.2.0/24 => AS64496", "2001:db8::/32 => AS64497")
	propose(t, c, "198.51.100.0/24 => AS64498")
	want := vrpSet(t, "192.0.2.0/24 => AS64496", "2001:db8::/32 => AS64497", "198.51.100.0/24 => AS64498")
	tal, tlsCA := filepath.Join(a.dir, "road.tal"), tlsCAs(t, a, c)
	cache := testpeers.RPKIClientDir(t)
	rpkiClient := func() testpeers.RPResult {
		return testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, TLSCAFile: filepath.Join(tlsCA, "all.pem"),
			CacheDir: cache, Trixie: true})
	}
	if got := waitRP(t, rpkiClient, want); !sameVRPs(got.VRPs, want) {
		t.Fatalf("rpki-client 9.5 through A's TAL: %v\nwant %v\n%s", got.VRPs, want, got.Log)
	}
	if got := testpeers.RunFort(t, testpeers.FortOptions{TAL: tal, TLSCAFile: tlsCA}); !sameVRPs(got.VRPs, want) {
		t.Errorf("FORT through A's TAL: %v\nwant %v\n%s", got.VRPs, want, got.Log)
	}

	// A shrinks B: the IPv6 ROA goes, the BGP audit names it.
	if code := call(t, a.http, a.token, "PUT", "/children/B/resources", map[string]string{"resources": "192.0.2.0/24, 198.51.100.0/24"}, nil); code != 200 {
		t.Fatalf("PUT /children/B/resources: HTTP %d", code)
	}
	var synced api.Synced
	if code := call(t, b.http, b.token, "POST", "/parents/sync", struct{}{}, &synced); code != 200 || synced.Parents[0].LastError != "" {
		t.Fatalf("B parents/sync: HTTP %d %+v", code, synced)
	}
	var audits struct {
		Audits []audit.Result `json:"audits"`
	}
	call(t, b.http, b.token, "GET", "/audits?kind=bgp", nil, &audits)
	if len(audits.Audits) == 0 {
		t.Fatal("B ran no BGP audit after the shrink")
	}
	var res audit.Result
	call(t, b.http, b.token, "POST", "/audits/bgp", nil, &res)
	var subjects []string
	for _, f := range res.Findings {
		if f.Code == audit.CodeNotHeld {
			subjects = append(subjects, f.Subject)
		}
	}
	if !slices.Equal(subjects, []string{"2001:db8::/32 => AS64497"}) {
		t.Errorf("B's not-held findings %v, want the IPv6 ROA", res.Findings)
	}
	want = vrpSet(t, "192.0.2.0/24 => AS64496", "198.51.100.0/24 => AS64498")
	if got := waitRP(t, rpkiClient, want); !sameVRPs(got.VRPs, want) {
		t.Errorf("rpki-client after the shrink: %v\nwant %v\n%s", got.VRPs, want, got.Log)
	}
}

// adopt makes child a child of parent under name with resources: the
// <child_request> goes to the parent, its <parent_response> back (the
// child calls the parent "parent").
func adopt(t *testing.T, parent, child *road, name, resources string) {
	t.Helper()
	adoptAs(t, parent, child, name, "parent", resources)
}

// adoptAs is adopt with the name the child gives the parent.
func adoptAs(t *testing.T, parent, child *road, name, parentName, resources string) {
	t.Helper()
	var req api.OOBMessage
	if code := call(t, child.http, child.token, "GET", "/parents/request", nil, &req); code != 200 || !strings.Contains(req.XML, "<child_request") {
		t.Fatalf("GET /parents/request: HTTP %d %q", code, req.XML)
	}
	var added struct {
		ParentResponse string `json:"parent_response"`
	}
	if code := call(t, parent.http, parent.token, "POST", "/children", map[string]string{"name": name, "request": req.XML,
		"resources": resources}, &added); code != 201 && code != 200 {
		t.Fatalf("POST /children: HTTP %d", code)
	}
	var p api.Peer
	if code := call(t, child.http, child.token, "POST", "/parents/"+parentName, api.OOBMessage{XML: added.ParentResponse}, &p); code != 201 {
		t.Fatalf("POST /parents/parent: HTTP %d %+v", code, p)
	}
}

// publishAt makes child publish in parent's repository.
func publishAt(t *testing.T, parent, child *road, name string) {
	t.Helper()
	var req api.OOBMessage
	if code := call(t, child.http, child.token, "GET", "/repositories/request", nil, &req); code != 200 {
		t.Fatalf("GET /repositories/request: HTTP %d", code)
	}
	var added struct {
		RepositoryResponse string `json:"repository_response"`
	}
	if code := call(t, parent.http, parent.token, "POST", "/publishers", map[string]string{"name": name, "request": req.XML},
		&added); code != 201 && code != 200 {
		t.Fatalf("POST /publishers: HTTP %d", code)
	}
	var p api.Peer
	if code := call(t, child.http, child.token, "POST", "/repositories/parent", api.OOBMessage{XML: added.RepositoryResponse}, &p); code != 201 {
		t.Fatalf("POST /repositories/parent: HTTP %d %+v", code, p)
	}
}

// waitDelegated waits until r's CA holds a parent's certificate (and, when
// base is given, publishes in the repository: its last contact is set and
// the sia_base has the prefix and suffix).
func waitDelegated(t *testing.T, r *road, prefix, suffix string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var st api.Status
	for time.Now().Before(deadline) {
		call(t, r.http, r.token, "GET", "/status", nil, &st)
		ok := st.CA.Mode == "delegated"
		if prefix != "" {
			ok = ok && len(st.Repositories) == 1 && !st.Repositories[0].LastContact.IsZero() &&
				strings.HasPrefix(st.Repositories[0].SIABase, prefix) && strings.HasSuffix(st.Repositories[0].SIABase, suffix)
		}
		if ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s never became a delegated CA: %+v %+v %+v", r.dir, st.CA, st.Parents, st.Repositories)
}

func propose(t *testing.T, r *road, add ...string) {
	t.Helper()
	var res api.ProposalResult
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", api.ProposalRequest{Add: roas(t, add...)}, &res); code != 200 || !res.Applied {
		t.Fatalf("proposal %v: HTTP %d %+v", add, code, res)
	}
}

// tlsCAs is a rehashed directory of the roads' testbed TLS CAs, with all.pem
// holding them all (rpki-client's SSL_CERT_FILE).
func tlsCAs(t *testing.T, rs ...*road) string {
	t.Helper()
	d := filepath.Join(worldReadableDir(t), "tls")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	var all []byte
	for i, r := range rs {
		b, err := os.ReadFile(filepath.Join(r.dir, "tls", "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
		os.WriteFile(filepath.Join(d, "ca"+string(rune('0'+i))+".pem"), b, 0o644)
	}
	if out, err := exec.Command("openssl", "rehash", d).CombinedOutput(); err != nil {
		t.Fatalf("openssl rehash: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(d, "all.pem"), all, 0o644) // after the rehash: not one of its files
	return d
}

// waitRP runs the relying party until it sees want (publication to a remote
// repository takes a moment), at most a minute.
func waitRP(t *testing.T, run func() testpeers.RPResult, want []vrp.VRP) testpeers.RPResult {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got := run()
		if sameVRPs(got.VRPs, want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(time.Second)
	}
}
