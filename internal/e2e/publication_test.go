package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/testpeers"
)

// TestRelyingPartiesValidateExactlyTheConfiguredROAs is the first proof that
// the world accepts what road signs: rpki-client (RRDP over HTTPS, and rsync)
// and FORT (RRDP, and rsync) must produce exactly the configured VRPs, follow
// a change, and rpki-client must fetch that change as an RRDP delta.
func TestRelyingPartiesValidateExactlyTheConfiguredROAs(t *testing.T) {
	testpeers.Require(t, "rpki-client", "fort", "rsync", "openssl")
	r := startRoad(t)
	tal := filepath.Join(r.dir, "road.tal")
	tlsCA := filepath.Join(r.dir, "tls", "ca.pem")

	add := []string{"192.0.2.0/24 => AS64496", "198.51.100.0/24-25 => AS64497", "2001:db8::/32 => AS64498",
		"2001:db8:100::/40 => AS4200000000", "203.0.113.0/24 => AS0", "2001:db8:200::/40-48 => AS64499",
		"192.0.2.128/25-32 => AS64500", "2001:db8:300::/48-128 => AS64501"}
	var res api.ProposalResult
	// No BGP routes are seen here, so the safety checks rightly block the
	// loose maxLengths; this test is about what the validators accept.
	first := api.ProposalRequest{Add: roas(t, add...), Force: true, Reason: "e2e: maxLength encodings"}
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", first, &res); code != 200 || !res.Applied {
		t.Fatalf("proposal: HTTP %d %+v", code, res)
	}
	want := vrpSet(t, add...)
	cache := testpeers.RPKIClientDir(t)

	checks := []struct {
		name string
		run  func() testpeers.RPResult
	}{
		{"rpki-client RRDP", func() testpeers.RPResult {
			return testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, TLSCAFile: tlsCA, CacheDir: cache})
		}},
		{"rpki-client rsync", func() testpeers.RPResult {
			return testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, RsyncOnly: true})
		}},
		{"FORT RRDP", func() testpeers.RPResult {
			return testpeers.RunFort(t, testpeers.FortOptions{TAL: tal, TLSCAFile: tlsCA})
		}},
		{"FORT rsync", func() testpeers.RPResult {
			return testpeers.RunFort(t, testpeers.FortOptions{TAL: tal, RsyncOnly: true})
		}},
	}
	for _, c := range checks {
		got := c.run()
		if !sameVRPs(got.VRPs, want) {
			t.Errorf("%s: VRPs %v\nwant %v\nlog:\n%s", c.name, got.VRPs, want, got.Log)
		}
	}

	// Every object road publishes is valid on its own for rpki-client -f.
	var files []string
	filepath.WalkDir(filepath.Join(r.dir, "rsync", "current"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 6+len(add) {
		t.Fatalf("rsync tree has %d files: %v", len(files), files)
	}
	var certs []string
	for _, f := range files {
		if strings.HasSuffix(f, ".cer") {
			certs = append(certs, f)
		}
	}
	for _, f := range files {
		out, err := testpeers.RPKIClientFile(t, tal, cache, f)
		if strings.HasSuffix(f, ".crl") {
			// rpki-client 8.2 only decodes a CRL in file mode ("Validation:"
			// stays empty); its signature is checked with openssl against
			// the issuer among the published certificates.
			if !strings.Contains(out, "CRL Serial Number:") || strings.Contains(out, "Validation: Failed") {
				t.Errorf("rpki-client -f %s did not decode the CRL: %v\n%s", f, err, out)
			}
			if !crlVerifies(t, f, certs) {
				t.Errorf("openssl: no published certificate verifies the CRL %s", f)
			}
			continue
		}
		if err != nil || !strings.Contains(out, "Validation: OK") {
			t.Errorf("rpki-client -f %s: %v\n%s", f, err, out)
		}
	}

	// A change: one removed, one added. rpki-client on its kept cache must
	// fetch it as an RRDP delta, and both validators must follow it.
	change := api.ProposalRequest{Add: roas(t, "198.51.100.0/25 => AS64497"), Remove: roas(t, "203.0.113.0/24 => AS0")}
	if code := call(t, r.http, r.token, "POST", "/roas/proposals", change, &res); code != 200 || !res.Applied {
		t.Fatalf("change: HTTP %d %+v", code, res)
	}
	want2 := vrpSet(t, "192.0.2.0/24 => AS64496", "198.51.100.0/24-25 => AS64497", "2001:db8::/32 => AS64498",
		"2001:db8:100::/40 => AS4200000000", "2001:db8:200::/40-48 => AS64499", "192.0.2.128/25-32 => AS64500",
		"2001:db8:300::/48-128 => AS64501", "198.51.100.0/25 => AS64497")
	got := testpeers.RunRPKIClient(t, testpeers.RPKIClientOptions{TAL: tal, TLSCAFile: tlsCA, CacheDir: cache})
	if !sameVRPs(got.VRPs, want2) {
		t.Errorf("rpki-client after change: %v\nwant %v\n%s", got.VRPs, want2, got.Log)
	}
	if !regexp.MustCompile(`(?i)downloading \d+ deltas?`).MatchString(got.Log) ||
		regexp.MustCompile(`(?i)downloading snapshot`).MatchString(got.Log) {
		t.Errorf("rpki-client did not fetch the change as an RRDP delta:\n%s", got.Log)
	}
	for _, o := range []testpeers.FortOptions{{TAL: tal, TLSCAFile: tlsCA}, {TAL: tal, RsyncOnly: true}} {
		if got := testpeers.RunFort(t, o); !sameVRPs(got.VRPs, want2) {
			t.Errorf("FORT (rsync only %v) after change: %v\nwant %v\n%s", o.RsyncOnly, got.VRPs, want2, got.Log)
		}
	}
}
