package rp

import (
	"testing"
	"time"
)

// BenchmarkValidateFixture: one run over the committed fixture (TA, CA,
// 2 manifests, 2 CRLs, 7 ROAs: 11 signature checks and 13 files).
func BenchmarkValidateFixture(b *testing.B) {
	tal, err := LoadTAL(fixtureTAL)
	if err != nil {
		b.Fatal(err)
	}
	o := Options{Cache: fixtureCache, Clock: fixedClock(t0.Add(time.Hour))}
	for b.Loop() {
		res, err := Validate(b.Context(), o, []TAL{tal})
		if err != nil || len(res.VRPs) != len(testROAs) {
			b.Fatal(err, res)
		}
	}
}
