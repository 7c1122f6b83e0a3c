package xmltree

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

// AttackFiles are the XML attack inputs of the shared corpus.
var AttackFiles = []string{
	"rpki-client-openbsd/src/regress/usr.sbin/rpki-client/rrdp/xxe.xml",
	"rpki-client-openbsd/src/regress/usr.sbin/rpki-client/rrdp/billion_lol.xml",
	"rpki-rs/test-data/rrdp/lolz-notification.xml",
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

func TestAttacksRefused(t *testing.T) {
	for _, rel := range AttackFiles {
		data, err := os.ReadFile(testshared.Corpus(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		var perr error
		n := allocated(func() { _, perr = Parse(data, Limits{}) })
		t.Logf("%s: refused with %d bytes allocated", rel, n)
		if !errors.Is(perr, ErrDoctype) {
			t.Errorf("%s: %v, want %v", rel, perr, ErrDoctype)
		}
		if n > 64<<10 {
			t.Errorf("%s: %d bytes allocated to refuse it", rel, n)
		}
	}
}

func TestBounds(t *testing.T) {
	huge := []byte("<a>" + strings.Repeat("x", 8<<20) + "</a>")
	var err error
	if n := allocated(func() { _, err = Parse(huge, Limits{MaxBytes: 1 << 20}) }); !errors.Is(err, ErrTooLarge) || n > 64<<10 { // MemStats counts the whole process (GC, other goroutines): the bound is far from 8 MiB, not exact
		t.Errorf("8 MiB over a 1 MiB bound: %v, %d bytes allocated", err, n)
	}
	deep := []byte(strings.Repeat("<a>", 17) + strings.Repeat("</a>", 17))
	if _, err := Parse(deep, Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("depth 17: %v", err)
	}
	if _, err := Parse(deep, Limits{MaxDepth: 17}); err != nil {
		t.Errorf("depth 17 within MaxDepth 17: %v", err)
	}
	wide := []byte("<a>" + strings.Repeat("<b/>", 10) + "</a>")
	if _, err := Parse(wide, Limits{MaxElements: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("11 elements: %v", err)
	}
}

func TestTree(t *testing.T) {
	in := `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<p:a xmlns:p="urn:p" xmlns="urn:d" x="1" p:y="2"><b>t&amp;<![CDATA[<c>]]></b><!-- c --> <c/></p:a>
`
	n, err := Parse([]byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Space != "urn:p" || n.Local != "a" || len(n.Attrs) != 2 || n.Attrs[0] != (Attr{"", "x", "1"}) ||
		n.Attrs[1] != (Attr{"urn:p", "y", "2"}) || n.Text != " " || len(n.Children) != 2 {
		t.Fatalf("root %+v", n)
	}
	b, c := n.Children[0], n.Children[1]
	if b.Space != "urn:d" || b.Local != "b" || b.Text != "t&<c>" || c.Local != "c" || c.Text != "" || len(c.Children) != 0 {
		t.Fatalf("children %+v %+v", b, c)
	}
	if v, ok := n.Attr("x"); v != "1" || !ok {
		t.Errorf("Attr x: %q %v", v, ok)
	}
	if v, ok := n.Attr("y"); ok {
		t.Errorf("Attr y (prefixed) found: %q", v)
	}
	if a, bad := n.CheckAttrs("x"); !bad || a.Local != "y" {
		t.Errorf("CheckAttrs: %+v %v", a, bad)
	}
	for _, bad := range []string{`<a x="1" x="2"/>`, `<a/><b/>`, `<a>`, ``, `text`, `<a/>text`, `<a><?pi x?></a>`, `<a/><?xml version="1.0"?>`} {
		if _, err := Parse([]byte(bad), Limits{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
