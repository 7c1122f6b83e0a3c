package updown

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// maxSeed leaves LACNIC's 240 KB list_response out of the fuzz seeds: each
// of its mutations costs the fuzzer seconds, and TestRealMessages covers it.
const maxSeed = 64 << 10

// seedXML adds every real message's XML and the golden files.
func seedXML(f *testing.F) {
	for _, rm := range realMessages {
		data := readReal(f, rm)
		if rm.signedAt != "" {
			sd, err := parseSignedData(mustDER(f, data))
			if err != nil {
				f.Fatal(err)
			}
			data = sd.content
		}
		if len(data) <= maxSeed {
			f.Add(data)
		}
	}
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.xml"))
	for _, g := range golden {
		b, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParse: Parse never panics, and what it accepts Marshal writes and
// Parse reads back to the same message.
func FuzzParse(f *testing.F) {
	seedXML(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if Reason(err) == "" {
				t.Fatalf("error without a reason code: %v", err)
			}
			return
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatalf("Marshal of a parsed message: %v", err)
		}
		back, err := Parse(out)
		if err != nil || summarize(back) != summarize(m) {
			t.Fatalf("round trip: %v\n%s\n%s", err, summarize(m), out)
		}
	})
}

// FuzzUnwrap: Unwrap never panics and every refusal has a reason code.
// Seeds: the real CMS messages and a fresh one; the identity is Alice's
// and the clock the ISC interop's, so the seeds signed by Alice verify.
func FuzzUnwrap(f *testing.F) {
	for _, rm := range realMessages {
		if data := readReal(f, rm); rm.signedAt != "" && len(data) <= maxSeed {
			f.Add(data)
		}
	}
	s := newIdentity(f, "fuzz", t0)
	fresh, err := Wrap([]byte("<x/>"), s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fresh)
	alice := identity(f, "alice")
	now := time.Date(2011, 7, 1, 4, 9, 30, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := Unwrap(data, alice, now, time.Time{})
		if err != nil {
			if Reason(err) == "" {
				t.Fatalf("error without a reason code: %v", err)
			}
			return
		}
		if u.EE == nil || u.SigningTime.IsZero() {
			t.Fatalf("accepted without an EE certificate or signing-time")
		}
	})
}
