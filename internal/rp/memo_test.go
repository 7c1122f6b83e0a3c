package rp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMemoRevalidatesChangedFiles: with a Memo, a second run over the same
// cache finds the same VRPs; a file rewritten between runs (in place, same
// size, a new mtime) is read again and fails its manifest hash.
func TestMemoRevalidatesChangedFiles(t *testing.T) {
	cache := t.TempDir()
	copyTree(t, fixtureCache, cache)
	tal, err := LoadTAL(fixtureTAL)
	if err != nil {
		t.Fatal(err)
	}
	memo := &Memo{}
	run := func() *Result {
		t.Helper()
		memo.Rotate()
		res, err := Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(t0.Add(time.Hour)), Memo: memo}, []TAL{tal})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want := mustVRPs(t, testROAs...)
	for i := range 2 {
		if res := run(); !equalSets(res.Set(), want) || len(res.Rejected) != 0 {
			t.Fatalf("run %d: %v (rejected %+v), want %v", i, res.Set(), res.Rejected, want)
		}
	}
	roas, _ := filepath.Glob(filepath.Join(cache, "127.0.0.1", "repo", "*", "*.roa"))
	slices.Sort(roas)
	p := roas[0]
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	f, err := os.OpenFile(p, os.O_WRONLY, 0) // the same inode and size
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(p, st.ModTime(), st.ModTime().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	res := run()
	if len(res.Rejected) != 1 || res.Rejected[0].Reason != ReasonHashMismatch || !strings.HasSuffix(res.Rejected[0].URI, filepath.Base(p)) {
		t.Errorf("after rewriting %s: rejected %+v, want its hash-mismatch", filepath.Base(p), res.Rejected)
	}
}
