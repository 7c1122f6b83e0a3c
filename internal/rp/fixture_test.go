package rp

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The fixture is a committed copy of a road publication issued at t0 for
// rsync://127.0.0.1/repo/ with testROAs: testdata/cache and
// testdata/road.tal. `go test -run Fixture -update-fixture` regenerates it
// (new keys: then regenerate the golden files here and in cmd/road with
// -update and -update-validate). cmd/road's tests use it too.
const fixtureCache, fixtureTAL = "testdata/cache", "testdata/road.tal"

var updateFixture = flag.Bool("update-fixture", false, "rebuild the fixture repository (new keys)")

func TestFixture(t *testing.T) {
	if *updateFixture {
		r := buildRepo(t, "", fixedClock(t0), 0, testROAs...)
		os.RemoveAll(fixtureCache)
		copyTree(t, r.cache, fixtureCache)
		b, err := os.ReadFile(r.talPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixtureTAL, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tal, err := LoadTAL(fixtureTAL)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Validate(t.Context(), Options{Cache: fixtureCache, Clock: fixedClock(t0.Add(time.Hour))}, []TAL{tal})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Set(), mustVRPs(t, testROAs...); !equalSets(got, want) || len(res.Rejected) != 0 {
		t.Fatalf("fixture VRPs %v (rejected %+v)\nwant %v", got, res.Rejected, want)
	}
	var buf bytes.Buffer
	res.WriteJSON(&buf)
	golden(t, "fixture.json", buf.Bytes())
	files, _ := filepath.Glob(filepath.Join(fixtureCache, "127.0.0.1", "repo", "*", "*"))
	if len(files) != 1+3+2+len(testROAs) { // ta.cer; TA mft, crl, CA cert; CA mft, crl, ROAs
		t.Errorf("fixture files: %d %v", len(files), files)
	}
}
