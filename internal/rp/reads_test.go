package rp

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestReadsSharedRunsAgree: runs side by side sharing one Reads and a Memo,
// as the gate's runs at two clocks do, decide exactly as lone runs without
// either: over the fixture, with a listed ROA missing, with a ROA altered
// (hash mismatch), and at a clock where the manifests are stale; twice, the
// second time with the Memo warm.
func TestReadsSharedRunsAgree(t *testing.T) {
	tal, err := LoadTAL(fixtureTAL)
	if err != nil {
		t.Fatal(err)
	}
	firstROA := func(t *testing.T, cache string) string {
		roas, _ := filepath.Glob(filepath.Join(cache, "127.0.0.1", "repo", "ca", "*.roa"))
		slices.Sort(roas)
		return roas[0]
	}
	cases := []struct {
		name    string
		damage  func(t *testing.T, cache string)
		wantRej int // rejections at the first clock
	}{
		{"intact", func(*testing.T, string) {}, 0},
		{"missing ROA", func(t *testing.T, cache string) { os.Remove(firstROA(t, cache)) }, 1},
		{"altered ROA", func(t *testing.T, cache string) {
			p := firstROA(t, cache)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 1
			os.Remove(p)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1},
	}
	clocks := []time.Time{t0.Add(time.Hour), t0.Add(30 * 24 * time.Hour)}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			copyTree(t, fixtureCache, cache)
			tc.damage(t, cache)
			var want [2]*Result
			for i, at := range clocks {
				if want[i], err = Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(at)}, []TAL{tal}); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(want[0].Rejected); n != tc.wantRej {
				t.Fatalf("lone run: %d rejections %+v, want %d", n, want[0].Rejected, tc.wantRej)
			}
			if len(want[1].Rejected) == 0 {
				t.Fatalf("lone run at %s: no rejection, want stale manifests", clocks[1])
			}
			memo := &Memo{}
			for round := range 2 {
				memo.Rotate()
				reads := &Reads{}
				var got [2]*Result
				var wg sync.WaitGroup
				for i, at := range clocks {
					wg.Go(func() {
						res, err := Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(at), Memo: memo, Reads: reads}, []TAL{tal})
						if err != nil {
							t.Error(err)
						}
						got[i] = res
					})
				}
				wg.Wait()
				reads.Close()
				for i := range clocks {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Errorf("round %d at %s: shared run\n%+v\nwant\n%+v", round, clocks[i], got[i], want[i])
					}
				}
			}
		})
	}
}
