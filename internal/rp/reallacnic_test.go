package rp

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// The real tree below LACNIC's trust anchor as relying parties saw it on
// 2023-11-07 (shared/corpus/real-lacnic-2023): rpki-client 9.5 and FORT
// both find exactly the 30,490 VRPs of its vrps.txt at this time.
var lacnicAt = time.Date(2023, 11, 7, 23, 0, 0, 0, time.UTC)

// unpackLACNIC extracts the cache into a fresh directory under /tmp that
// rpki-client can read after dropping privileges.
func unpackLACNIC(t *testing.T) (cache, talPath string) {
	t.Helper()
	dir := testpeers.Corpus(t, "real-lacnic-2023")
	testpeers.Require(t, "tar")
	cache = worldReadableDir(t)
	if out, err := exec.Command("tar", "-xzf", filepath.Join(dir, "cache.tar.gz"), "-C", cache).CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v\n%s", err, out)
	}
	return cache, filepath.Join(dir, "lacnic.tal")
}

func readLACNICVRPs(t *testing.T) vrp.Set {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testpeers.Corpus(t, "real-lacnic-2023"), "vrps.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []vrp.VRP
	for line := range strings.Lines(string(b)) {
		var p string
		var ml int
		var asn uint32
		if _, err := fmt.Sscan(line, &p, &ml, &asn); err != nil {
			t.Fatalf("vrps.txt %q: %v", line, err)
		}
		v, err := vrp.Parse(fmt.Sprintf("%s-%d => AS%d", p, ml, asn))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vrp.NewSet(vs)
}

func validateLACNIC(t *testing.T, cache, talPath string) *Result {
	t.Helper()
	tal, err := LoadTAL(talPath)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(lacnicAt)}, []TAL{tal})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rejectedPaths lists the rejected objects as cache paths (host/path), the
// form rpki-client names them in.
func rejectedPaths(res *Result) []string {
	var out []string
	for _, x := range res.Rejected {
		out = append(out, strings.TrimPrefix(x.URI, "rsync://")+" "+string(x.Reason))
	}
	return out
}

// TestRealLACNIC2023 pins road's verdicts on the real tree: exactly the
// VRPs rpki-client 9.5 and FORT agree on, exactly the 65 objects
// rpki-client 9.5 rejects (testdata/lacnic-2023-rejected.txt, checked
// against rpki-client itself by TestRealLACNIC2023AgainstRPKIClient95),
// and the leniencies that made it possible.
//
// One unpacked tree serves both road and, in the subtest, rpki-client:
// writing and removing 40,000 files costs more than validating them.
func TestRealLACNIC2023(t *testing.T) {
	cache, talPath := unpackLACNIC(t)
	start := time.Now()
	res := validateLACNIC(t, cache, talPath)
	roadTime := time.Since(start)
	want := readLACNICVRPs(t)
	if len(want) != 30490 {
		t.Fatalf("vrps.txt holds %d VRPs, want 30,490", len(want))
	}
	got := res.Set()
	if missing, extra := want.Diff(got); len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%d VRPs missing, %d extra (of %d); first missing %v, first extra %v", len(missing), len(extra), len(want),
			first(missing), first(extra))
	}
	golden, err := os.ReadFile("testdata/lacnic-2023-rejected.txt")
	if err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(rejectedPaths(res), "\n") + "\n"; g != string(golden) {
		t.Errorf("rejections differ from testdata/lacnic-2023-rejected.txt:\n%s", g)
	}
	wantLenient := map[string]int{"ber-encoding": 9718, "crl-empty-revoked-list": 1379, "manifest-ee-validity-mismatch": 266}
	if !maps.Equal(res.Lenient, wantLenient) {
		t.Errorf("leniencies %v, want %v", res.Lenient, wantLenient)
	}
	if s := res.Stats; s.ROAs != 18877 || s.Manifests != 6233 || s.Certificates != 6292 {
		t.Errorf("stats %+v, want 18,877 ROAs, 6,233 publication points, 6,292 CA certificates (rpki-client 9.5's counts)", s)
	}
	t.Run("AgainstRPKIClient95", func(t *testing.T) { compareWithRPKIClient95(t, cache, talPath, res, roadTime) })
}

func first(vs []vrp.VRP) string {
	if len(vs) == 0 {
		return "-"
	}
	return vs[0].String()
}

// compareWithRPKIClient95 runs rpki-client 9.5 (Debian 13) over the same
// tree at the same pinned time and compares object by object: every object
// one of the two rejects and the other does not is a failure, named with
// both verdicts. Every difference must be fixed or named in the code as a
// deliberate, RFC-backed choice.
func compareWithRPKIClient95(t *testing.T, cache, talPath string, res *Result, roadTime time.Duration) {
	trixie := testpeers.Trixie(t)
	out := worldReadableDir(t)
	tal := filepath.Join(out, "lacnic.tal")
	b, _ := os.ReadFile(talPath)
	if err := os.WriteFile(tal, b, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := trixie("chown", "-R", "_rpki-client", cache, out).Run(); err != nil {
		t.Fatalf("chown: %v", err)
	}
	cmd := trixie("env", "FAKETIME_DONT_FAKE_MONOTONIC=1", "faketime", lacnicAt.Format("2006-01-02 15:04:05"),
		"rpki-client", "-v", "-n", "-j", "-d", cache, "-t", tal, out)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rpki-client 9.5: %v\n%s", err, tail(stderr.String()))
	}
	theirs := rpkiClientRejected(stderr.Bytes())
	t.Logf("wall time (informative; scripts/bench-rp.sh measures the ratio): rpki-client 9.5 %v (with chown), road %v", time.Since(start), roadTime)
	ours := map[string]string{}
	for _, x := range res.Rejected {
		ours[strings.TrimPrefix(x.URI, "rsync://")] = string(x.Reason)
	}
	for _, p := range slices.Sorted(maps.Keys(theirs)) {
		if _, ok := ours[p]; !ok {
			t.Errorf("%s: rpki-client 9.5 rejects (%s), road accepts", p, theirs[p])
		}
	}
	for _, p := range slices.Sorted(maps.Keys(ours)) {
		if _, ok := theirs[p]; !ok {
			t.Errorf("%s: road rejects (%s), rpki-client 9.5 accepts", p, ours[p])
		}
	}
	rj, err := os.ReadFile(filepath.Join(out, "json"))
	if err != nil {
		t.Fatal(err)
	}
	rcVRPs, err := testpeers.ParseVRPJSON(rj)
	if err != nil {
		t.Fatal(err)
	}
	if missing, extra := rcVRPs.Diff(res.Set()); len(missing)+len(extra) > 0 {
		t.Errorf("VRPs: %d only in rpki-client 9.5, %d only in road", len(missing), len(extra))
	}
	t.Logf("rpki-client 9.5 and road agree on %d rejected objects and %d VRPs", len(theirs), len(rcVRPs))
}

// rpkiClientRejected reads rpki-client -v's warnings "rpki-client: PATH: why"
// about objects (not repositories) into PATH -> why.
func rpkiClientRejected(log []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "rpki-client: ")
		if !ok {
			continue
		}
		path, why, ok := strings.Cut(rest, ": ")
		if !ok {
			continue
		}
		switch filepath.Ext(path) {
		case ".cer", ".crl", ".mft", ".roa", ".asa", ".gbr", ".tak", ".spl":
			out[path] = why
		}
	}
	return out
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
