package vrpjson

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
		if _, _, _, err := Decode(bytes.NewReader(doc), now); err != nil {
			b.Fatal(err)
		}
	}
}
