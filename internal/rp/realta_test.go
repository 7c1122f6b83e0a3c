package rp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
)

// obsdRegress is rpki-client's regress set below ../shared/corpus.
const obsdRegress = "rpki-client-openbsd/src/regress/usr.sbin/rpki-client"

// place copies a corpus file (src below ../shared/corpus) to where its
// rsync URI lives in the cache.
func place(t *testing.T, cache, src, uri string) {
	t.Helper()
	b, err := os.ReadFile(testshared.Corpus(t, src))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := splitRsyncURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cache, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRealTrustAnchors: the real RIPE NCC, AfriNIC and APNIC TA
// certificates (rpki-client's regress set) validate against their real
// TALs; their publication points are not in the corpus, except RIPE's 2019
// TA manifest, which is BER (RFC 6488 §2 requires DER; rpki-client 8.2
// accepts it). A TAL given another TA's certificate is a key mismatch.
func TestRealTrustAnchors(t *testing.T) {
	at := time.Date(2019, 6, 18, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		tal, cert, uri string
		extra          [][2]string // corpus file, URI
		want           []string
	}{
		{"ripe", "ripe-ncc-ta.cer", "rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer",
			[][2]string{{"mft/ripe-ncc-ta.mft", "rsync://rpki.ripe.net/repository/ripe-ncc-ta.mft"}},
			// The BER manifest decodes (as in every deployed RP); its listed CA certificate is not in the corpus.
			[]string{"file-missing rsync://rpki.ripe.net/repository/2a7dd1d787d793e4c8af56e197d4eed92af6ba13.cer: listed on rsync://rpki.ripe.net/repository/ripe-ncc-ta.mft but not in the cache: publication point failed (RFC 9286 §6.4)"}},
		{"afrinic", "AfriNIC.cer", "rsync://rpki.afrinic.net/repository/AfriNIC.cer", nil,
			[]string{"manifest-missing rsync://rpki.afrinic.net/repository/04E8B0D80F4D11E0B657D8931367AE7D/62gPOPXWxxu0sQa4vQZYUBLaMbY.mft: no manifest in the cache (RFC 9286 §6.2)"}},
		{"apnic", "apnic-rpki-root-iana-origin.cer", "rsync://rpki.apnic.net/repository/apnic-rpki-root-iana-origin.cer", nil,
			[]string{"not-yet-valid rsync://rpki.apnic.net/repository/apnic-rpki-root-iana-origin.cer: notBefore 2021-09-20T22:14:57Z is after 2019-06-18T00:00:00Z"}},
		{"afrinic", "ripe-ncc-ta.cer", "rsync://rpki.afrinic.net/repository/AfriNIC.cer", nil,
			[]string{"ta-key-mismatch rsync://rpki.afrinic.net/repository/AfriNIC.cer: rsync://rpki.afrinic.net/repository/AfriNIC.cer: subjectPublicKeyInfo differs from the TAL's (RFC 8630 §3)"}},
	}
	for _, c := range cases {
		t.Run(c.tal+"/"+c.cert, func(t *testing.T) {
			cache := t.TempDir()
			place(t, cache, filepath.Join(obsdRegress, "ta", c.cert), c.uri)
			for _, e := range c.extra {
				place(t, cache, filepath.Join(obsdRegress, e[0]), e[1])
			}
			tal, err := LoadTAL(testshared.Corpus(t, obsdRegress+"/tal/"+c.tal+".tal"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(at)}, []TAL{tal})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range res.Rejected {
				got = append(got, string(x.Reason)+" "+x.URI+": "+x.Detail)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("rejections\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			wantTA := !strings.HasPrefix(c.want[0], "ta-") && !strings.HasPrefix(c.want[0], "not-yet")
			if (res.Stats.TALs == 1) != wantTA {
				t.Errorf("TA accepted: %v, want %v", res.Stats.TALs == 1, wantTA)
			}
		})
	}
	// With the clock at 2022, APNIC's TA is current.
	cache := t.TempDir()
	place(t, cache, filepath.Join(obsdRegress, "ta", "apnic-rpki-root-iana-origin.cer"), "rsync://rpki.apnic.net/repository/apnic-rpki-root-iana-origin.cer")
	tal, _ := LoadTAL(testshared.Corpus(t, obsdRegress+"/tal/apnic.tal"))
	res, err := Validate(t.Context(), Options{Cache: cache, Clock: fixedClock(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))}, []TAL{tal})
	if err != nil || res.Stats.TALs != 1 || len(res.Rejected) != 1 || res.Rejected[0].Reason != ReasonManifestMissing {
		t.Errorf("APNIC 2022: %v %+v", err, res)
	}
}
