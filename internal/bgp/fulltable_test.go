package bgp

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
)

// fullTable2010 is the 2010 RouteViews table as `bgpdump -m` text.
func fullTable2010(tb testing.TB) string {
	tb.Helper()
	return testshared.Corpus(tb, "bgpdump/test_expect/bview.20100701.0759.gz.bgp.gz")
}

// TestFullTable2010 imports the 2010 RouteViews table (bgpdump -m text) and
// checks the counts against a plain independent pass over the same text.
func TestFullTable2010(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	table := fullTable2010(t)
	// independent count: origin = last path token, "{...}" = NONE
	f, err := os.Open(table)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	prefixes := map[string]bool{}
	pairs := map[string]bool{}
	allPrefixes := map[string]bool{}
	routes, lines, empty := 0, 0, 0
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "|")
		lines++
		allPrefixes[fs[5]] = true
		path := strings.Fields(fs[6])
		if len(path) == 0 {
			empty++
			continue
		}
		origin := path[len(path)-1]
		if strings.HasPrefix(origin, "{") || strings.HasSuffix(origin, "}") {
			origin = "NONE"
		}
		routes++
		prefixes[fs[5]] = true
		pairs[fs[5]+" "+origin] = true
	}
	f.Close()
	// 641,957 paths for 323,487 prefixes; one path (84.205.86.0/24 from a
	// RIS beacon peer) has an empty AS_PATH and no origin to check.
	if lines != 641957 || len(allPrefixes) != 323487 || empty != 1 || routes != 641956 || len(prefixes) != 323486 {
		t.Fatalf("independent pass: %d lines %d prefixes, %d with origin over %d prefixes", lines, len(allPrefixes), routes, len(prefixes))
	}

	f, err = os.Open(table)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb := NewTable()
	start := time.Now()
	st, err := tb.ImportInto(context.Background(), f, "rv2010", time.Unix(1277971199, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported in %v: %+v", time.Since(start), st)
	if st.Routes != routes || st.Prefixes != len(prefixes) || st.Unique != len(pairs) || tb.Len() != len(pairs) {
		t.Fatalf("import: routes %d prefixes %d unique %d table %d; want %d %d %d", st.Routes, st.Prefixes, st.Unique, tb.Len(), routes, len(prefixes), len(pairs))
	}
	if st.IPv4+st.IPv6 != st.Routes || st.Compression != "gzip" || st.Format != "text" || st.Records != lines || st.Skipped[ReasonEmptyPath] != 1 || len(st.Skipped) != 1 {
		t.Fatalf("stats %+v", st)
	}
	// re-importing the same source replaces, not adds
	if _, err := tb.ImportInto(context.Background(), strings.NewReader("192.0.2.0/24 AS64496\n"), "rv2010", time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	if tb.Len() != 1 {
		t.Fatalf("after re-import: %d routes", tb.Len())
	}
}
