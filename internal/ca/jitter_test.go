package ca

import (
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

// TestManifestJitter: the jitter lengthens nextUpdate of the manifest, its EE
// and the CRL alike, asked for at most 1% of the validity capped at 5 min.
func TestManifestJitter(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	c, st := newTestCA(t, clk)
	var asked []time.Duration
	c.cfg.Jitter = func(max time.Duration) time.Duration {
		asked = append(asked, max)
		return 7*time.Second + 300*time.Millisecond
	}
	apply(t, c, st, []string{"192.0.2.0/24 => AS64496"}, nil)
	if len(asked) != 1 || asked[0] != 5*time.Minute {
		t.Fatalf("jitter asked %v, want one call with 5m", asked)
	}
	want := clk.t.Add(24*time.Hour + 7*time.Second)
	in := c.cfg.RsyncBase + "ca/"
	for uri, o := range objects(t, st) {
		if len(uri) <= len(in) || uri[:len(in)] != in {
			continue
		}
		switch o.Kind {
		case "mft":
			so, err := rpki.ParseSignedObject(o.DER)
			if err != nil {
				t.Fatal(err)
			}
			m, err := rpki.ParseManifest(so.EContent)
			if err != nil {
				t.Fatal(err)
			}
			if !m.NextUpdate.Equal(want) || !so.EE.NotAfter.Equal(want) || !o.NotAfter.Equal(want) {
				t.Errorf("manifest nextUpdate %v, EE notAfter %v, stored %v; want %v", m.NextUpdate, so.EE.NotAfter, o.NotAfter, want)
			}
		case "crl":
			crl, err := rpki.ParseCRL(o.DER)
			if err != nil {
				t.Fatal(err)
			}
			if !crl.NextUpdate.Equal(want) {
				t.Errorf("CRL nextUpdate %v, want %v", crl.NextUpdate, want)
			}
		}
	}
	verifyRepository(t, c, objects(t, st))
}
