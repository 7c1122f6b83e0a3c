package rtr

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"
	"time"
)

// BenchmarkDecodeCorpus measures loading the 424k-VRP corpus (decompressed).
func BenchmarkDecodeCorpus(b *testing.B) {
	f, err := os.Open(corpusFile(b, "rpki-client-web/tests/inputs/outputs/json.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, _ := gzip.NewReader(f)
	doc, _ := io.ReadAll(zr)
	now := time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, _, _, err := DecodeVRPJSON(bytes.NewReader(doc), now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeFull measures building one version's full-sync response for
// the 424k-VRP corpus (done once per generation and version, then shared).
func BenchmarkEncodeFull(b *testing.B) {
	f, err := os.Open(corpusFile(b, "rpki-client-web/tests/inputs/outputs/json.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	vrps, aspas, _, err := LoadVRPJSON(f)
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
