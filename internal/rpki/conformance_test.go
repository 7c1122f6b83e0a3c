package rpki

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

// conformanceDir is the BBN conformance suite below ../shared/corpus.
const conformanceDir = "rpki-commons/src/test/resources/conformance"

// parseConformanceFile applies every check this package can make on one file.
func parseConformanceFile(path string) (*Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch filepath.Ext(path) {
	case ".cer":
		return ParseCertificate(b)
	case ".crl":
		_, err := ParseCRL(b)
		return nil, err
	case ".mft":
		so, _, err := ParseManifestObject(b)
		if err != nil {
			return nil, err
		}
		return so.EE, nil
	case ".roa":
		so, _, err := parseROAObjectRFC6482(b)
		if err != nil {
			return nil, err
		}
		return so.EE, nil
	}
	return nil, errors.New("unknown type")
}

// parseROAObjectRFC6482 is ParseROAObject without the RFC 9582 §5 ban on an
// AS extension in the EE certificate, which the 2012 suite predates.
func parseROAObjectRFC6482(b []byte) (*SignedObject, *ROA, error) {
	so, roa, err := ParseROAObject(b)
	if err == nil || !strings.Contains(err.Error(), "has an AS extension") {
		return so, roa, err
	}
	so, err = ParseSignedObject(b)
	if err != nil {
		return nil, nil, err
	}
	if roa, err = ParseROA(so.EContent); err != nil {
		return nil, nil, err
	}
	ee := *so.EE
	ee.AS = nil
	return so, roa, roa.CheckEE(&ee)
}

// chainCheck verifies path against its issuer in the suite's layout:
// conformance/*.cer are self-signed, root/* are issued by root.cer, and
// root/NAME/* by root/NAME.cer.
func chainCheck(t *testing.T, path string, cert *Certificate) error {
	dir := testshared.Corpus(t, conformanceDir)
	rel, _ := filepath.Rel(dir, path)
	var parentPath string
	switch strings.Count(rel, "/") {
	case 0:
		if cert == nil {
			return nil
		}
		return cert.CheckSignatureFrom(cert)
	case 1:
		parentPath = filepath.Join(dir, "root.cer")
	default:
		parentPath = filepath.Join(dir, filepath.Dir(rel)+".cer")
	}
	pb, err := os.ReadFile(parentPath)
	if err != nil {
		return err
	}
	parent, err := ParseCertificate(pb)
	if err != nil {
		t.Fatalf("parent %s: %v", parentPath, err)
	}
	if filepath.Ext(path) == ".crl" {
		b, _ := os.ReadFile(path)
		crl, _ := ParseCRL(b)
		return crl.CheckSignatureFrom(parent)
	}
	if err := cert.CheckSignatureFrom(parent); err != nil {
		return err
	}
	if cert.IP != nil && !parent.IP.Covers(*cert.IP) || cert.AS != nil && (parent.AS == nil || !parent.AS.Covers(*cert.AS)) {
		return errors.New("resources not encompassed")
	}
	return nil
}

// Conformance files whose expected verdict this package does not follow,
// with the reason.
var conformanceExceptions = map[string]string{
	// RFC 6487 §4.8.6: "The sequence of distributionPoint values MUST contain
	// only a single DistributionPoint" (the suite predates that wording).
	"root/goodCertCRLDP2DistPt.cer": "rejected",
	// RFC 7935 §2: verifiers MUST accept rsaEncryption in SignerInfo.
	"root/badCMSSigInfoWrongSigAlg.roa": "accepted",
}

// Bad files that need the current time to detect; the RP checks them.
// (badMFTNextUpdPast is caught anyway: its thisUpdate precedes the EE
// notBefore, RFC 9286 §5.1.)
var conformanceTimeOnly = []string{
	"root/CRLNextUpdatePast/badCRLNextUpdatePast.crl",
	"root/MFTThisUpdFuture/badMFTThisUpdFuture.mft",
	"root/MFTNextUpdPast/badMFTNextUpdPast.mft", // stale at validation (RFC 9286 §6.3), no parse error
	"root/badCertValFromFuture.cer",
}

// "Bad" under RFC 6486, where a manifest's thisUpdate..nextUpdate had to lie
// inside its EE validity. RFC 9286 §5.1 says a relying party MUST NOT treat
// that misalignment in itself as an error: accepted, counted as
// LenientManifestEEValidity.
var conformanceRFC9286Accepts = []string{
	"root/MFTEndCrossed/badMFTEndCrossed.mft",
	"root/MFTStartCrossed/badMFTStartCrossed.mft",
}

// Bad files only detectable with the issuer certificate (chainCheck).
var conformanceChainOnly = []string{
	"badRootBadSig.cer",
	"root/badCertAKIHash.cer",
	"root/badCertBadSig.cer",
	"root/badEEBadSig.roa",
}

func TestBBNConformance(t *testing.T) {
	dir := testshared.Corpus(t, conformanceDir)
	var goodOK, goodTotal, badParser, badChain, badTotal, goodROAWithAS int
	var parserMissed, chainMissed []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || filepath.Ext(path) == "" || filepath.Base(path) == "README" {
			return err
		}
		if filepath.Ext(path) == ".gbr" { // Ghostbusters (RFC 6493) is out of scope
			return nil
		}
		if filepath.Ext(path) == ".roa" && strings.HasPrefix(filepath.Base(path), "good") {
			b, _ := os.ReadFile(path)
			if _, _, err := ParseROAObject(b); err != nil && strings.Contains(err.Error(), "has an AS extension") {
				goodROAWithAS++
			}
		}
		rel, _ := filepath.Rel(dir, path)
		base := filepath.Base(path)
		cert, perr := parseConformanceFile(path)
		switch {
		case strings.HasPrefix(base, "good"):
			goodTotal++
			if perr == nil {
				perr = chainCheck(t, path, cert)
			}
			if perr == nil {
				goodOK++
			} else if conformanceExceptions[rel] != "rejected" {
				t.Errorf("%s rejected: %v", rel, perr)
			}
		case strings.HasPrefix(base, "bad"):
			badTotal++
			if perr != nil {
				badParser++
				badChain++
				return nil
			}
			parserMissed = append(parserMissed, rel)
			if cerr := chainCheck(t, path, cert); cerr != nil {
				badChain++
				return nil
			}
			chainMissed = append(chainMissed, rel)
		default: // neither good nor bad: must at least parse without panicking
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("good accepted %d/%d; bad rejected by the parser alone %d/%d, with issuer checks %d/%d",
		goodOK, goodTotal, badParser, badTotal, badChain, badTotal)
	t.Logf("%d good ROAs carry an AS extension in their EE certificate, which RFC 9582 §5 now forbids", goodROAWithAS)
	wantParserMissed := slices.Concat(conformanceTimeOnly, conformanceChainOnly, conformanceRFC9286Accepts, []string{"root/badCMSSigInfoWrongSigAlg.roa"})
	slices.Sort(wantParserMissed)
	slices.Sort(parserMissed)
	if !slices.Equal(parserMissed, wantParserMissed) {
		t.Errorf("bad files the parser accepts:\n got %q\nwant %q", parserMissed, wantParserMissed)
	}
	wantChainMissed := slices.Concat(conformanceTimeOnly, conformanceRFC9286Accepts, []string{"root/badCMSSigInfoWrongSigAlg.roa"})
	slices.Sort(wantChainMissed)
	slices.Sort(chainMissed)
	if !slices.Equal(chainMissed, wantChainMissed) {
		t.Errorf("bad files accepted even with issuer checks:\n got %q\nwant %q", chainMissed, wantChainMissed)
	}
	if goodTotal == 0 || badTotal == 0 {
		t.Fatal("no conformance files found")
	}
}
