package rp

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/testshared"
)

// The BBN "RPKI Syntax Conformance Test Cases" (from rpki-commons), laid
// out as the repository it was published as: rsync://rpki.bbn.com/conformance/.
const conformanceDir = "rpki-commons/src/test/resources/conformance" // below ../shared/corpus

func conformanceCache(t *testing.T) (string, TAL) {
	t.Helper()
	dir := testshared.Corpus(t, conformanceDir)
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "rpki.bbn.com"), 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(cache, "rpki.bbn.com", "conformance")); err != nil {
		t.Fatal(err)
	}
	der, err := os.ReadFile(filepath.Join(dir, "root.cer"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := rpki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cache, TAL{Name: "bbn", TAL: &rpki.TAL{URIs: []string{"rsync://rpki.bbn.com/conformance/root.cer"}, SPKI: c.RawSubjectPublicKeyInfo}}
}

// Good files this RP rejects, with the reason.
var conformanceGoodRejected = map[string]Reason{
	// RFC 6487 §4.8.6: "only a single DistributionPoint" (the suite predates it).
	"root/goodCertCRLDP2DistPt.cer": ReasonProfile,
	// The manifest lists foo.nul, which the corpus does not hold: RFC 9286
	// §6.4 makes that a failed fetch (the rejection names the missing file).
	"root/MFTUnkownFileExtension/foo.nul": ReasonFileMissing,
}

// TestBBNConformanceTree validates the whole suite from its root: every
// bad* object is rejected (itself, or as the failing file of its
// publication point), every good* object is accepted except the listed
// ones and the ROAs, whose 2012 EE certificates carry an AS extension that
// RFC 9582 §5 now forbids.
// conformanceBadAccepted are "bad" under RFC 6486: a manifest's
// thisUpdate..nextUpdate outside its EE validity. RFC 9286 §5.1 says a
// relying party MUST NOT treat that misalignment in itself as an error.
var conformanceBadAccepted = map[string]bool{
	"root/MFTEndCrossed/badMFTEndCrossed.mft":     true,
	"root/MFTStartCrossed/badMFTStartCrossed.mft": true,
}

func TestBBNConformanceTree(t *testing.T) {
	cache, tal := conformanceCache(t)
	decided := map[string]error{}
	at := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC) // the suite's objects are valid 2011..2046
	res, err := Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(at),
		Observe: func(uri string, err error) { decided[uri] = err }}, []TAL{tal})
	if err != nil {
		t.Fatal(err)
	}
	const base = "rsync://rpki.bbn.com/conformance/"
	var goodOK, goodTotal, badRejected, badTotal, goodROAsAS int
	dir := testshared.Corpus(t, conformanceDir)
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Ext(p) == "" || filepath.Ext(p) == ".gbr" {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.Base(p)
		derr, seen := decided[base+rel]
		switch {
		case strings.HasPrefix(name, "good") || rel == "root.cer":
			goodTotal++
			switch {
			case seen && derr == nil:
				goodOK++
			case filepath.Ext(p) == ".roa" && seen && strings.Contains(derr.Error(), "has an AS extension (RFC 9582 §5)"):
				goodROAsAS++
			case seen && conformanceGoodRejected[rel] == ReasonOf(derr):
			case strings.HasPrefix(rel, "goodRoot"):
				// self-signed alternatives to root.cer, not on any manifest
			case rel == "root/MFTUnkownFileExtension/goodMFTUnkownFileExtension.mft":
				// its publication point fails on foo.nul (above)
			default:
				t.Errorf("good %s: seen %v, %v", rel, seen, derr)
			}
		case strings.HasPrefix(name, "bad"):
			badTotal++
			if strings.HasPrefix(rel, "badRoot") {
				// self-signed alternatives to root.cer; see the TAL tests
				badRejected++
				return nil
			}
			if seen && derr != nil {
				badRejected++
			} else if seen && conformanceBadAccepted[rel] {
				// accepted on purpose, see conformanceBadAccepted
			} else {
				t.Errorf("bad %s: seen %v, err %v", rel, seen, derr)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for uri, want := range conformanceGoodRejected {
		if got := ReasonOf(decided[base+uri]); got != want {
			t.Errorf("%s: %q, want %q", uri, got, want)
		}
	}
	hist := map[Reason]int{}
	for _, x := range res.Rejected {
		hist[x.Reason]++
	}
	var hs []string
	for _, k := range slices.Sorted(maps.Keys(hist)) {
		hs = append(hs, fmt.Sprintf("%s=%d", k, hist[k]))
	}
	t.Logf("good accepted %d/%d (+%d ROAs rejected only for their EE AS extension); bad rejected %d/%d; rejections: %s",
		goodOK, goodTotal, goodROAsAS, badRejected, badTotal, strings.Join(hs, " "))
	if goodOK != 32 || goodROAsAS != 36 || goodTotal != 72 || badRejected != 277-len(conformanceBadAccepted) || badTotal != 277 {
		t.Errorf("verdict counts changed")
	}
	// Nine publication points are reached through a second certificate of
	// the same key and resources: whichever path comes second (they run in
	// parallel) is rejected as a duplicate, not with the first one's error.
	if got, want := strings.Join(hs, " "), "bad-signature=4 crl-invalid=29 crl-stale=1 duplicate=9 file-missing=1 malformed=6 "+
		"manifest-invalid=20 manifest-missing=11 manifest-not-yet-valid=1 manifest-stale=1 not-yet-valid=1 profile-violation=244"; got != want {
		t.Errorf("rejections by reason:\n got %s\nwant %s", got, want)
	}
	want := Stats{TALs: 1, Certificates: 84, FailedCerts: 103, Manifests: 11, FailedManifests: 73, CRLs: 11, FailedROAs: 152, Ignored: 8}
	if res.Stats != want {
		t.Errorf("stats %+v\nwant  %+v", res.Stats, want)
	}
}

// TestBBNRootCertificates uses each self-signed certificate of the suite
// as a trust anchor: the bad ones fail as such, the good ones validate.
func TestBBNRootCertificates(t *testing.T) {
	cache, _ := conformanceCache(t)
	files, _ := filepath.Glob(filepath.Join(testshared.Corpus(t, conformanceDir), "*Root*.cer"))
	want := map[string]Reason{
		"badRootBadAIA.cer":      ReasonProfile,
		"badRootBadAKI.cer":      ReasonProfile,
		"badRootBadCRLDP.cer":    ReasonProfile,
		"badRootBadSig.cer":      ReasonBadSignature,
		"badRootNameDiff.cer":    ReasonProfile,
		"goodRootAKIMatches.cer": "",
		"goodRootAKIOmitted.cer": "",
	}
	if len(files) != len(want) {
		t.Fatalf("root certificates %v", files)
	}
	for _, f := range files {
		name := filepath.Base(f)
		der, _ := os.ReadFile(f)
		spki := tbsSPKI(t, der)
		tal := TAL{Name: "bbn", TAL: &rpki.TAL{URIs: []string{"rsync://rpki.bbn.com/conformance/" + name}, SPKI: spki}}
		var got Reason
		res, err := Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)),
			Observe: func(uri string, err error) {
				if strings.HasSuffix(uri, "/"+name) {
					got = ReasonOf(err)
				}
			}}, []TAL{tal})
		if err != nil {
			t.Fatal(err)
		}
		if got != want[name] || (got == "") != (res.Stats.TALs == 1) {
			t.Errorf("%s: %q (TALs %d), want %q; %+v", name, got, res.Stats.TALs, want[name], res.Rejected)
		}
	}
}
