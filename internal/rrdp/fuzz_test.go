package rrdp

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

func addSeeds(f *testing.F) {
	obsdRRDP := testshared.Corpus(f, "rpki-client-openbsd/src/regress/usr.sbin/rpki-client/rrdp") + "/"
	for _, p := range []string{obsdRRDP + "snapshot.xml", obsdRRDP + "delta.xml", obsdRRDP + "xxe.xml",
		obsdRRDP + "billion_lol.xml", obsdRRDP + "notification_xmlns.xml",
		"../publish/testdata/snapshot-1.xml", "../publish/testdata/snapshot-2.xml", "../publish/testdata/delta-2.xml",
		"../publish/testdata/notification-1.xml", "../publish/testdata/notification-2.xml"} {
		// Small seeds only: coverage-guided minimisation of large ones
		// stalls the fuzzer.
		if b, err := os.ReadFile(p); err == nil && len(b) <= 8<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(`<!DOCTYPE notification [<!ENTITY x "y">]><notification/>`))
	f.Add([]byte(`<notification xmlns="` + Namespace + `" version="01" session_id="00000000-0000-4000-8000-00000000000A" serial="+007">` +
		`<snapshot uri="https://a/s" hash="AB000000000000000000000000000000000000000000000000000000000000cd"/></notification>`))
}

const fuzzMaxURI, fuzzMaxObject = 512, 1 << 16

var fuzzLimits = Limits{MaxURI: fuzzMaxURI, MaxObject: fuzzMaxObject, MaxElements: 1000, MaxDeltas: 100}

// codeOK: every failure is a codec error with a code.
func codeOK(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) || (e.Code != ErrMalformed && e.Code != ErrTooLarge) {
		t.Fatalf("error without a code: %v", err)
	}
}

// Go's minimisation of new inputs can stall these fuzzers for minutes;
// run them with -fuzzminimizetime 100x.

// FuzzNotification: no panic, bounds hold, and whatever decodes encodes
// to a file that decodes to the same value.
func FuzzNotification(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNotification(bytes.NewReader(data), fuzzLimits)
		if err != nil {
			codeOK(t, err)
			return
		}
		if len(n.Deltas) > fuzzLimits.MaxDeltas || !strings.HasPrefix(n.Snapshot.URI, "https://") || len(n.Snapshot.URI) > fuzzLimits.MaxURI {
			t.Fatalf("accepted %+v", n)
		}
		var b bytes.Buffer
		WriteNotification(&b, n)
		n2, err := ParseNotification(&b, fuzzLimits)
		if err != nil {
			t.Fatalf("re-encoded notification does not decode: %v", err)
		}
		if !reflect.DeepEqual(n, n2) {
			t.Fatalf("round trip: %+v != %+v", n, n2)
		}
	})
}

// FuzzChanges feeds one input to the snapshot and delta decoders: no
// panic, bounded elements with rsync URIs, and a round trip that keeps
// every element.
func FuzzChanges(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, delta := range []bool{false, true} {
			parse, start := ParseSnapshot, StartSnapshot
			if delta {
				parse, start = ParseDelta, StartDelta
			}
			var els []Element
			h, err := parse(bytes.NewReader(data), fuzzLimits, func(el Element) error {
				if len(el.Data) > fuzzLimits.MaxObject || !strings.HasPrefix(el.URI, "rsync://") || len(el.URI) > fuzzLimits.MaxURI {
					t.Fatalf("accepted element %q (%d bytes)", el.URI, len(el.Data))
				}
				els = append(els, el)
				return nil
			})
			if err != nil {
				codeOK(t, err)
				continue
			}
			var b bytes.Buffer
			e := start(&b, h)
			for _, el := range els {
				if el.Withdraw {
					e.Withdraw(el.URI, *el.Hash)
				} else {
					e.Publish(el.URI, el.Hash, el.Data)
				}
			}
			e.Close()
			var els2 []Element
			h2, err := parse(&b, fuzzLimits, func(el Element) error { els2 = append(els2, el); return nil })
			if err != nil || h2 != h || !sameElements(els, els2) {
				t.Fatalf("round trip (delta %v): %v", delta, err)
			}
		}
	})
}

func sameElements(a, b []Element) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].URI != b[i].URI || a[i].Withdraw != b[i].Withdraw || !bytes.Equal(a[i].Data, b[i].Data) ||
			(a[i].Hash == nil) != (b[i].Hash == nil) || (a[i].Hash != nil && *a[i].Hash != *b[i].Hash) {
			return false
		}
	}
	return true
}
