package pubproto

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

var corpusFiles = []string{"error-reply.xml", "list-reply-empty-short.xml", "list-reply-empty.xml", "list-reply-single.xml",
	"list-reply.xml", "list.xml", "publish-empty-short.xml", "publish-empty.xml", "publish-multi.xml", "publish-single.xml",
	"success-reply.xml"}

// fixedPoint: whatever parses emits, and the emitted XML parses to the
// same message and emits to the same bytes.
func fixedPoint(t *testing.T, data []byte) {
	t.Helper()
	m1, err := Parse(data, Options{MaxBytes: 1 << 20})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error without a code: %v", err)
		}
		return
	}
	b1, err := Emit(m1)
	if err != nil {
		t.Fatalf("a parsed message does not emit: %v\n%+v", err, m1)
	}
	m2, err := Parse(b1, Options{})
	if err != nil {
		t.Fatalf("emitted XML does not parse: %v\n%s", err, b1)
	}
	if !reflect.DeepEqual(m1, m2) {
		t.Fatalf("parse(emit(m)) != m:\n%+v\n%+v", m1, m2)
	}
	if b2, _ := Emit(m2); !bytes.Equal(b1, b2) {
		t.Fatalf("not a fixed point:\n%s\n%s", b1, b2)
	}
}

func TestCorpusFixedPoint(t *testing.T) {
	for _, f := range corpusFiles {
		fixedPoint(t, readCorpus(t, f))
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range corpusFiles {
		f.Add(readCorpus(f, name))
	}
	for _, rel := range attackFiles {
		if b, err := os.ReadFile(testshared.Corpus(f, rel)); err == nil {
			f.Add(b)
		}
	}
	for name := range goldenMessages {
		if b, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fixedPoint(t, data)
	})
}
