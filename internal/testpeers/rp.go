package testpeers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// rpTimeout bounds one relying-party run.
const rpTimeout = 3 * time.Minute

// RPResult is the outcome of one relying-party run. VRPs is nil when the RP
// wrote no output (it failed: see ExitCode and Log); an RP that validated
// nothing gives a non-nil empty slice. Both RPs may exit 0 with nothing valid:
// assert on VRPs, not on ExitCode alone.
type RPResult struct {
	VRPs     []vrp.VRP // sorted (vrp.Compare), unique
	Log      string    // stdout and stderr interleaved
	Duration time.Duration
	ExitCode int
}

// RPKIClientOptions configures one rpki-client run.
type RPKIClientOptions struct {
	TAL       string   // TAL file; its base name is the TA name ("test.tal" → "test"); URIs must be on loopback
	TLSCAFile string   // PEM trust anchor for HTTPS/RRDP, passed as SSL_CERT_FILE (rpki-client has no flag)
	CacheDir  string   // persistent cache (make it with RPKIClientDir); empty: a fresh one per run
	RsyncOnly bool     // -R
	Extra     []string // more flags, before the fixed ones
	Hosts     []string // -H shortlist entries, "127.0.0.1:PORT" as written in the URIs
	// Trixie runs rpki-client 9.5 from the Debian 13 chroot (TrixieScript)
	// instead of the host's 8.2; its _rpki-client has another uid, so the
	// cache and output directories are made world-writable.
	Trixie bool
}

// RunRPKIClient runs rpki-client once (-j -c -vv) and returns the VRPs of its
// OUT/csv, cross-checked against OUT/json. It fails the test when the output
// exists but does not parse or the two files disagree.
func RunRPKIClient(t testing.TB, o RPKIClientOptions) RPResult {
	t.Helper()
	var wrap []string
	if o.Trixie {
		wrap = []string{TrixieScript(t), "run", "env"}
	} else {
		Require(t, "rpki-client", "rsync")
	}
	base := traversableDir(t, "testpeers-rpki-client-")
	tal := stageTAL(t, o.TAL, base)
	cache := o.CacheDir
	if cache == "" {
		cache = filepath.Join(base, "cache")
		mkdir(t, cache)
	}
	chownToRPKIClient(t, cache)
	out := filepath.Join(base, "out")
	mkdir(t, out)
	chownToRPKIClient(t, out)
	if o.Trixie {
		for _, d := range []string{cache, out} {
			if err := os.Chmod(d, 0o777); err != nil {
				t.Fatalf("testpeers: %v", err)
			}
		}
	}
	var env []string
	if o.TLSCAFile != "" {
		ca := filepath.Join(base, "tls-ca.pem")
		copyFile(t, o.TLSCAFile, ca, 0o644)
		env = append(env, "SSL_CERT_FILE="+ca)
	}
	var args []string
	if o.RsyncOnly {
		args = append(args, "-R")
	}
	for _, h := range o.Hosts {
		args = append(args, "-H", h)
	}
	args = append(args, o.Extra...)
	args = append(args, "-t", tal, "-d", cache, "-j", "-c", "-vv", "-s", "120", out)

	ctx, cancel := context.WithTimeout(context.Background(), rpTimeout)
	defer cancel()
	name := "rpki-client"
	if wrap != nil {
		// The chroot's env(1) carries SSL_CERT_FILE inside.
		args = append(append(append(wrap[1:], env...), name), args...)
		name, env = "bash", nil
		args = append([]string{wrap[0]}, args...)
	}
	res, err := runCommand(ctx, env, name, args...)
	r := RPResult{Log: string(res.output), Duration: res.duration, ExitCode: res.exitCode}
	if err != nil {
		t.Fatalf("testpeers: rpki-client: %v\n%s", err, tailString(r.Log, 4000))
	}
	readRPKIClientOutput(t, out, &r)
	return r
}

// readRPKIClientOutput fills r.VRPs from rpki-client's csv and json
// output, which must agree; no output at all is fine only on failure.
func readRPKIClientOutput(t testing.TB, out string, r *RPResult) {
	t.Helper()
	csvBytes, csvErr := os.ReadFile(filepath.Join(out, "csv"))
	jsonBytes, jsonErr := os.ReadFile(filepath.Join(out, "json"))
	if errors.Is(csvErr, os.ErrNotExist) && errors.Is(jsonErr, os.ErrNotExist) {
		if r.ExitCode == 0 {
			t.Fatalf("testpeers: rpki-client exited 0 without writing output\n%s", tailString(r.Log, 4000))
		}
		return
	}
	if csvErr != nil || jsonErr != nil {
		t.Fatalf("testpeers: rpki-client output: csv: %v, json: %v", csvErr, jsonErr)
	}
	fromCSV, err := ParseRPKIClientCSV(csvBytes)
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	fromJSON, err := ParseVRPJSON(jsonBytes)
	if err != nil {
		t.Fatalf("testpeers: rpki-client json: %v", err)
	}
	if !slices.Equal(fromCSV, fromJSON) {
		t.Fatalf("testpeers: rpki-client csv (%d VRPs) and json (%d VRPs) disagree", len(fromCSV), len(fromJSON))
	}
	r.VRPs = []vrp.VRP(fromCSV)
}

// RPKIClientFile runs `rpki-client -t TAL -d CACHEDIR -f FILE` (file mode:
// decode one object and validate it against the cache) and returns its
// output. cacheDir should come from RPKIClientDir (or an earlier run's
// CacheDir). FILE is an rsync:// or https:// URI or a local path (copied
// where _rpki-client can read it, under its own base name). The error is
// ErrFailed when rpki-client exits non-zero or prints a "Validation:" line
// other than "Validation: OK".
func RPKIClientFile(t testing.TB, tal, cacheDir, file string) (string, error) {
	t.Helper()
	Require(t, "rpki-client")
	base := traversableDir(t, "testpeers-rpki-client-")
	staged := stageTAL(t, tal, base)
	chownToRPKIClient(t, cacheDir)
	if !strings.HasPrefix(file, "rsync://") && !strings.HasPrefix(file, "https://") {
		local := filepath.Join(base, filepath.Base(file))
		copyFile(t, file, local, 0o644)
		file = local
	}
	ctx, cancel := context.WithTimeout(context.Background(), rpTimeout)
	defer cancel()
	res, err := runCommand(ctx, nil, "rpki-client", "-t", staged, "-d", cacheDir, "-f", file)
	out := string(res.output)
	switch {
	case err != nil:
		return out, err
	case res.exitCode != 0:
		return out, fmt.Errorf("%w: rpki-client -f %s exited %d", ErrFailed, file, res.exitCode)
	}
	if v, ok := fileValidation(out); ok && v != "OK" {
		return out, fmt.Errorf("%w: rpki-client -f %s: Validation: %q", ErrFailed, file, v)
	}
	return out, nil
}

// fileValidation returns the value of rpki-client -f's "Validation:" line:
// "OK", "Failed, <reason>", or "" when the object did not even parse (8.2
// then still exits 0).
func fileValidation(out string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Validation:"); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// stageTAL copies the TAL, under its own base name (the TA name), into dir
// readable by _rpki-client, refusing off-machine URIs.
func stageTAL(t testing.TB, tal, dir string) string {
	t.Helper()
	b, err := os.ReadFile(tal)
	if err != nil {
		t.Fatalf("testpeers: TAL: %v", err)
	}
	if err := checkLoopbackTAL(b); err != nil {
		t.Fatalf("testpeers: %s: %v", tal, err)
	}
	dst := filepath.Join(dir, filepath.Base(tal))
	copyFile(t, tal, dst, 0o644)
	return dst
}

func mkdir(t testing.TB, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// FortOptions configures one FORT run (--mode=standalone).
type FortOptions struct {
	TAL       string   // TAL file (or a directory of *.tal); URIs must be on loopback
	TLSCAFile string   // PEM file (copied and rehashed) or an `openssl rehash`ed directory, for --http.ca-path
	CacheDir  string   // persistent --local-repository; empty: a fresh one per run
	RsyncOnly bool     // --http.enabled=false
	Extra     []string // more flags, after the fixed ones
}

// RunFort runs FORT 1.5 once and returns the VRPs of its CSV output. FORT
// exits 22 ("First validation wasn't successful") and leaves an empty output
// file when a TAL fails; then VRPs is nil.
func RunFort(t testing.TB, o FortOptions) RPResult {
	t.Helper()
	Require(t, "fort", "rsync")
	base := t.TempDir()
	if st, err := os.Stat(o.TAL); err != nil {
		t.Fatalf("testpeers: fort TAL: %v", err)
	} else if !st.IsDir() {
		b, _ := os.ReadFile(o.TAL)
		if err := checkLoopbackTAL(b); err != nil {
			t.Fatalf("testpeers: %s: %v", o.TAL, err)
		}
	} else {
		tals, _ := filepath.Glob(filepath.Join(o.TAL, "*.tal"))
		for _, f := range tals {
			b, _ := os.ReadFile(f)
			if err := checkLoopbackTAL(b); err != nil {
				t.Fatalf("testpeers: %s: %v", f, err)
			}
		}
	}
	cache := o.CacheDir
	if cache == "" {
		cache = filepath.Join(base, "cache")
		mkdir(t, cache)
	}
	cache, _ = filepath.Abs(cache)
	out := filepath.Join(base, "roas.csv")
	args := []string{"--mode=standalone", "--tal", o.TAL, "--local-repository", cache,
		"--output.roa=" + out, "--output.format=csv",
		"--log.output=console", "--log.level=warning",
		"--validation-log.enabled=true", "--validation-log.output=console", "--validation-log.level=warning",
		"--http.retry.count=0", "--rsync.retry.count=0"}
	if o.TLSCAFile != "" {
		args = append(args, "--http.ca-path="+rehashedCADir(t, o.TLSCAFile))
	}
	if o.RsyncOnly {
		args = append(args, "--http.enabled=false")
	}
	args = append(args, o.Extra...)
	ctx, cancel := context.WithTimeout(context.Background(), rpTimeout)
	defer cancel()
	res, err := runCommand(ctx, nil, "fort", args...)
	r := RPResult{Log: string(res.output), Duration: res.duration, ExitCode: res.exitCode}
	if err != nil {
		t.Fatalf("testpeers: fort: %v\n%s", err, tailString(r.Log, 4000))
	}
	b, err := os.ReadFile(out)
	if (err != nil || len(b) == 0) && r.ExitCode != 0 {
		return r
	}
	if err != nil {
		t.Fatalf("testpeers: fort exited 0 without output: %v\n%s", err, tailString(r.Log, 4000))
	}
	set, err := ParseFortCSV(b)
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	r.VRPs = []vrp.VRP(set)
	return r
}
