package bgp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/roadrpki/road/internal/testshared"
)

// corpusDir is bgpdump's samples in ../shared/corpus (testshared.Corpus:
// skip when missing, fail under CI=true).
func corpusDir(tb testing.TB) string {
	tb.Helper()
	return testshared.Corpus(tb, "bgpdump")
}

func eventString(ev Event) string {
	switch ev.Kind {
	case EventAnnounce:
		o := fmt.Sprint(ev.Route.Origin)
		if ev.Route.NoOrigin {
			o = "NONE"
		}
		return fmt.Sprintf("A %s %d %s %s %d", ev.Peer.Addr, ev.Peer.ASN, ev.Route.Prefix, o, ev.PathID)
	case EventWithdraw:
		return fmt.Sprintf("W %s %d %s %d", ev.Peer.Addr, ev.Peer.ASN, ev.Route.Prefix, ev.PathID)
	case EventPeerDown:
		return fmt.Sprintf("DOWN %s %d", ev.Peer.Addr, ev.Peer.ASN)
	}
	return "?"
}

func decodeFile(t testing.TB, path string, anySAFI bool) ([]string, ImportStats) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	st, err := decode(context.Background(), f, anySAFI, func(ev Event) error {
		out = append(out, eventString(ev))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out, st
}

// TestBgpdumpGolden decodes every MRT sample and compares each event (peer,
// prefix, RFC 6811 origin, path id; withdrawals; session downs) in order with
// the `bgpdump -m` output shipped beside it.
func TestBgpdumpGolden(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "test_data", "*"))
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, data := range files {
		name := filepath.Base(data)
		t.Run(name, func(t *testing.T) {
			// bgpdump prints multicast NLRI like unicast; compare with
			// multicast decoded, then check plain decoding drops exactly them.
			got, gst := decodeFile(t, data, true)
			want, wst := decodeFile(t, filepath.Join(dir, "test_expect", name+".bgp.gz"), false)
			uni, ust := decodeFile(t, data, false)
			if len(got)-len(uni) != ust.Skipped[ReasonNonUnicast] || gst.Skipped[ReasonNonUnicast] != 0 {
				t.Fatalf("unicast-only decode has %d events, with multicast %d, skipped %v", len(uni), len(got), ust.Skipped)
			}
			if gst.Format != "mrt" || wst.Format != "text" {
				t.Fatalf("formats %q %q", gst.Format, wst.Format)
			}
			n := min(len(got), len(want))
			for i := range n {
				if got[i] != want[i] {
					t.Fatalf("event %d: got %q want %q", i, got[i], want[i])
				}
			}
			if len(got) != len(want) {
				t.Fatalf("got %d events, want %d (first extra: %v)", len(got), len(want), extra(got, want))
			}
			if gst.Routes != wst.Routes || gst.Withdrawals != wst.Withdrawals {
				t.Fatalf("stats mrt %+v text %+v", gst, wst)
			}
			t.Logf("%d events, %d routes, %d withdrawals, skipped %v", len(got), gst.Routes, gst.Withdrawals, gst.Skipped)
		})
	}
}

func extra(a, b []string) string {
	if len(a) > len(b) {
		return a[len(b)]
	}
	return b[len(a)]
}
