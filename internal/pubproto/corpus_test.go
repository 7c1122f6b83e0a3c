package pubproto

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"runtime"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/xmltree"
)

const rfc8181 = "rpki-rs/test-data/ca/rfc8181/"

const (
	hashTA  = "fae1c03bde9da15e26e90a9585d246ee4db79ee9f0b1db1a6c7deb2fc4e2d093" // sha256 of the 808-byte cms-ta.cer
	hashPDU = "501655fb625a03520741801dcc71b5d3148cba2ef7106ca2762620c292c9f08d" // sha256 of the 3067-byte CMS
	taURI   = "rsync://host/path/cms-ta.cer"
)

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testshared.Corpus(t, rfc8181+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// object is what a test expects of a publish PDU's content.
type object struct {
	size int
	sum  string
}

func checkContent(t *testing.T, got []byte, want object) {
	t.Helper()
	sum := sha256.Sum256(got)
	if len(got) != want.size || hex.EncodeToString(sum[:]) != want.sum {
		t.Errorf("content of %d bytes, sha256 %x; want %d, %s", len(got), sum, want.size, want.sum)
	}
}

func TestCorpus(t *testing.T) {
	ta, cms := object{808, hashTA}, object{3067, hashPDU}
	cases := []struct {
		file     string
		want     Message
		contents []object // of the publish PDUs, in order (failed PDUs included)
	}{
		{"list.xml", Message{Type: Query, PDUs: []PDU{{Kind: List}}}, nil},
		{"list-reply.xml", Message{Type: Reply, List: []Listed{{taURI, hashTA}, {"rsync://host/path/pdu.200.der", hashPDU}}}, nil},
		{"list-reply-single.xml", Message{Type: Reply, List: []Listed{{taURI, hashTA}}}, nil},
		{"list-reply-empty.xml", Message{Type: Reply}, nil},
		{"list-reply-empty-short.xml", Message{Type: Reply}, nil},
		{"publish-empty.xml", Message{Type: Query}, nil},
		{"publish-empty-short.xml", Message{Type: Query}, nil},
		{"success-reply.xml", Message{Type: Reply, Success: true}, nil},
		{"publish-single.xml", Message{Type: Query, PDUs: []PDU{{Kind: Publish, Tag: hashTA, URI: taURI}}}, []object{ta}},
		{"publish-multi.xml", Message{Type: Query, PDUs: []PDU{
			{Kind: Publish, Tag: hashTA, URI: taURI},
			{Kind: Publish, Tag: hashPDU, URI: taURI},
			{Kind: Withdraw, Tag: hashTA, URI: taURI, Hash: hashTA},
		}}, []object{ta, cms}},
		{"error-reply.xml", Message{Type: Reply, Errors: []ReportError{
			{Tag: hashTA, Code: ObjectAlreadyPresent, Text: `An object is already present at this URI, yet a "hash" attribute was not specified.`,
				Failed: &PDU{Kind: Publish, Tag: hashTA, URI: taURI}},
			{Tag: "", Code: OtherError, Text: "Found some other issue."},
		}}, []object{ta}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := Parse(readCorpus(t, c.file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			// Check the contents, then compare the rest.
			var contents [][]byte
			strip := func(p *PDU) {
				if p.Kind == Publish {
					contents = append(contents, p.Content)
					p.Content = nil
				}
			}
			for i := range got.PDUs {
				strip(&got.PDUs[i])
			}
			for _, e := range got.Errors {
				if e.Failed != nil {
					strip(e.Failed)
				}
			}
			if len(contents) != len(c.contents) {
				t.Fatalf("%d publish PDUs, want %d", len(contents), len(c.contents))
			}
			for i := range contents {
				checkContent(t, contents[i], c.contents[i])
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

var attackFiles = []string{
	"rpki-client-openbsd/src/regress/usr.sbin/rpki-client/rrdp/xxe.xml",
	"rpki-client-openbsd/src/regress/usr.sbin/rpki-client/rrdp/billion_lol.xml",
	"rpki-rs/test-data/rrdp/lolz-notification.xml",
}

func TestAttacksRefused(t *testing.T) {
	for _, rel := range attackFiles {
		data, err := os.ReadFile(testshared.Corpus(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		var perr error
		n := allocated(func() { _, perr = Parse(data, Options{}) })
		if !errors.Is(perr, ErrMalformed) || !errors.Is(perr, xmltree.ErrDoctype) || n > 64<<10 {
			t.Errorf("%s: %v, %d bytes allocated", rel, perr, n)
		}
	}
	// Over the bound: refused before parsing, whatever the size.
	huge := make([]byte, 8<<20)
	var perr error
	if n := allocated(func() { _, perr = Parse(huge, Options{MaxBytes: 1 << 20}) }); !errors.Is(perr, ErrTooLarge) || n > 64<<10 { // MemStats counts the whole process (GC, other goroutines): the bound is far from 8 MiB, not exact
		t.Errorf("8 MiB over a 1 MiB bound: %v, %d bytes allocated", perr, n)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
