package oob

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/xmltree"
)

var attackFiles = []string{
	"rpki-client-openbsd/src/regress/usr.sbin/rpki-client/rrdp/xxe.xml",
	"rpki-client-openbsd/src/regress/usr.sbin/rpki-client/rrdp/billion_lol.xml",
	"rpki-rs/test-data/rrdp/lolz-notification.xml",
}

// roundTrip decodes data with each parser; for what decodes, it emits,
// parses the emitted XML as RFC-only, and emits again: the two emitted
// documents must be equal (parse→emit→parse is a fixed point). It returns
// how many parsers accepted data.
func roundTrip(t *testing.T, data []byte) int {
	t.Helper()
	accepted := 0
	step := func(parse func([]byte, Options) ([]byte, bool, error)) {
		b1, self, err := parse(data, Options{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		accepted++
		if b1 == nil {
			if self {
				t.Fatalf("a self-signed message did not emit")
			}
			return // parsed, but not something road emits (variant V4)
		}
		b2, _, err := parse(b1, Options{RFCOnly: true})
		if err != nil {
			t.Fatalf("emitted XML does not parse: %v\n%s", err, b1)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("not a fixed point:\n%s\n%s", b1, b2)
		}
	}
	step(func(d []byte, o Options) ([]byte, bool, error) {
		m, err := ParseChildRequest(d, o)
		if err != nil {
			return nil, false, err
		}
		b, _ := EmitChildRequest(m)
		return b, m.ChildBPKI.SelfSigned, nil
	})
	step(func(d []byte, o Options) ([]byte, bool, error) {
		m, err := ParseParentResponse(d, o)
		if err != nil {
			return nil, false, err
		}
		b, _ := EmitParentResponse(m)
		return b, m.ParentBPKI.SelfSigned, nil
	})
	step(func(d []byte, o Options) ([]byte, bool, error) {
		m, err := ParsePublisherRequest(d, o)
		if err != nil {
			return nil, false, err
		}
		b, _ := EmitPublisherRequest(m)
		return b, m.PublisherBPKI.SelfSigned, nil
	})
	step(func(d []byte, o Options) ([]byte, bool, error) {
		m, err := ParseRepositoryResponse(d, o)
		if err != nil {
			return nil, false, err
		}
		b, _ := EmitRepositoryResponse(m)
		return b, m.RepositoryBPKI.SelfSigned, nil
	})
	return accepted
}

var seedFiles = []string{
	rpkirs + "afrinic-parent-response.xml", rpkirs + "apnic-parent-response.xml", rpkirs + "apnic-repository-response.xml",
	rpkirs + "krill-0-9-parent-response.xml", rpkirs + "krill-0-9-repository-response.xml", rpkirs + "rpkid-child-id.xml",
	rpkirs + "rpkid-parent-response-offer.xml", rpkirs + "rpkid-parent-response-referral.xml", rpkirs + "rpkid-publisher-request.xml",
	commons + "bob-child-id.xml", commons + "carol-child-id.xml", commons + "rpkid-parent-response.xml",
}

// TestCorpusRoundTrip: every real file decodes with exactly one parser and
// re-emits to a fixed point.
func TestCorpusRoundTrip(t *testing.T) {
	for _, f := range seedFiles {
		if n := roundTrip(t, readCorpus(t, f)); n != 1 {
			t.Errorf("%s: accepted by %d parsers", f, n)
		}
	}
	for _, f := range []string{"child_request.xml", "parent_response.xml", "publisher_request.xml", "repository_response.xml"} {
		b, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if n := roundTrip(t, b); n != 1 {
			t.Errorf("%s: accepted by %d parsers", f, n)
		}
	}
}

func TestAttacksRefused(t *testing.T) {
	for _, rel := range attackFiles {
		data := readCorpus(t, rel)
		for name, parse := range map[string]func() error{
			"child":      func() error { return second(ParseChildRequest(data, Options{})) },
			"parent":     func() error { return second(ParseParentResponse(data, Options{})) },
			"publisher":  func() error { return second(ParsePublisherRequest(data, Options{})) },
			"repository": func() error { return second(ParseRepositoryResponse(data, Options{})) },
		} {
			var err error
			n := allocated(func() { err = parse() })
			if !errors.Is(err, ErrMalformed) || !errors.Is(err, xmltree.ErrDoctype) || n > 64<<10 {
				t.Errorf("%s by %s: %v, %d bytes allocated", rel, name, err, n)
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func FuzzParse(f *testing.F) {
	for _, rel := range append(append([]string{}, seedFiles...), attackFiles...) {
		if b, err := os.ReadFile(testshared.Corpus(f, rel)); err == nil {
			f.Add(b)
		}
	}
	for _, name := range []string{"child_request.xml", "parent_response.xml", "publisher_request.xml", "repository_response.xml"} {
		if b, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data)
	})
}
