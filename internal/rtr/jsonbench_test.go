package rtr

import (
	"os"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/vrpjson"
)

// BenchmarkEncodeFull measures building one version's full-sync response for
// the 424k-VRP corpus (done once per generation and version, then shared).
func BenchmarkEncodeFull(b *testing.B) {
	f, err := os.Open(corpusFile(b, "rpki-client-web/tests/inputs/outputs/json.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	vrps, aspas, _, err := vrpjson.Load(f)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		g := next(nil, 1, vrps, aspas, 100, [3]uint16{}, Timers{})
		if r := g.fullResponse(2); r.pdus != len(vrps)+len(aspas) {
			b.Fatal(r.pdus)
		}
	}
}

// corpusFile returns a file of ../shared/corpus (testshared.Corpus).
func corpusFile(t testing.TB, rel string) string {
	t.Helper()
	return testshared.Corpus(t, rel)
}
