package bgp

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/roadrpki/road/internal/route"
)

// ImportStats reports what an import decoded.
type ImportStats struct {
	Format      string         `json:"format"`      // "mrt" or "text"
	Compression string         `json:"compression"` // "", "gzip" or "bzip2"
	Records     int            `json:"records"`     // MRT records or text lines
	Routes      int            `json:"routes"`      // announcements with an origin (or NONE)
	Withdrawals int            `json:"withdrawals"` // withdrawn prefixes
	IPv4        int            `json:"ipv4"`        // announcements of IPv4 prefixes
	IPv6        int            `json:"ipv6"`        // announcements of IPv6 prefixes
	Skipped     map[string]int `json:"skipped"`     // by reason code
	Unique      int            `json:"unique"`      // distinct (prefix, origin) pairs at the end
	Prefixes    int            `json:"prefixes"`    // distinct prefixes at the end
}

func (s *ImportStats) skip(reason string) {
	if s.Skipped == nil {
		s.Skipped = make(map[string]int)
	}
	s.Skipped[reason]++
}

func (s *ImportStats) count(ev Event) {
	switch ev.Kind {
	case EventAnnounce:
		s.Routes++
		if ev.Route.Prefix.Addr().Is4() {
			s.IPv4++
		} else {
			s.IPv6++
		}
	case EventWithdraw:
		s.Withdrawals++
	}
}

// ErrImport marks input that is not a supported format at all.
var ErrImport = errors.New("bgp: import-format")

// Decode streams the changes in r to fn, in order. It detects gzip and
// bzip2 compression, MRT (RFC 6396) and text: `PREFIX ORIGIN` lines or
// `bgpdump -m` lines. Malformed records are counted and skipped.
func Decode(ctx context.Context, r io.Reader, fn func(Event) error) (ImportStats, error) {
	return decode(ctx, r, false, fn)
}

func decode(ctx context.Context, r io.Reader, anySAFI bool, fn func(Event) error) (ImportStats, error) {
	var st ImportStats
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return st, fmt.Errorf("%w: %w", ErrImport, err) // "gzip: invalid header"
		}
		defer zr.Close()
		st.Compression = "gzip"
		br = bufio.NewReaderSize(zr, 64<<10)
	case len(head) >= 3 && string(head) == "BZh":
		st.Compression = "bzip2"
		br = bufio.NewReaderSize(bzip2.NewReader(br), 64<<10)
	}
	wrapped := func(ev Event) error {
		st.count(ev)
		return fn(ev)
	}
	var err error
	if looksLikeText(br) {
		st.Format = "text"
		err = decodeText(ctx, br, &st, wrapped)
	} else {
		st.Format = "mrt"
		d := &mrtDecoder{r: br, stats: &st, emit: wrapped, anySAFI: anySAFI}
		err = d.run(ctx)
	}
	var stop errStop
	if errors.As(err, &stop) {
		return st, stop.err
	}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		// compression layers report corrupt input as read errors
		return st, fmt.Errorf("%w: %w", ErrImport, err)
	}
	return st, err
}

// looksLikeText is true when the first bytes are printable ASCII: an MRT
// header starts with a timestamp and type code that are not.
func looksLikeText(br *bufio.Reader) bool {
	b, _ := br.Peek(512)
	if len(b) == 0 {
		return true
	}
	for _, c := range b {
		if c != '\n' && c != '\r' && c != '\t' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return true
}

// sourceKey identifies one path of one collector peer inside an import.
type sourceKey struct {
	peer   MRTPeer
	pathID uint32
	prefix netip.Prefix
}

// Import decodes r and returns the routes present at its end: for RIB dumps
// every entry, for update streams what the announcements and withdrawals
// leave. The result is sorted and unique by (prefix, origin).
func Import(ctx context.Context, r io.Reader) (ImportStats, []route.Route, error) {
	return ImportMax(ctx, r, 0)
}

// ErrImportTooLarge is returned by ImportMax when the input holds more paths
// than allowed (a decompression bomb, or a dump far beyond a full table).
var ErrImportTooLarge = errors.New("bgp: import-too-large")

// ImportMax is Import with a bound on the paths held while decoding (one per
// collector peer, path id and prefix); maxPaths <= 0 means no bound.
func ImportMax(ctx context.Context, r io.Reader, maxPaths int) (ImportStats, []route.Route, error) {
	state := make(map[sourceKey]route.Route)
	st, err := Decode(ctx, r, func(ev Event) error {
		switch ev.Kind {
		case EventAnnounce:
			k := sourceKey{ev.Peer, ev.PathID, ev.Route.Prefix}
			if _, ok := state[k]; !ok && maxPaths > 0 && len(state) >= maxPaths {
				return fmt.Errorf("%w: more than %d paths", ErrImportTooLarge, maxPaths)
			}
			state[k] = ev.Route
		case EventWithdraw:
			delete(state, sourceKey{ev.Peer, ev.PathID, ev.Route.Prefix})
		case EventPeerDown:
			for k := range state {
				if k.peer == ev.Peer {
					delete(state, k)
				}
			}
		}
		return nil
	})
	if err != nil {
		return st, nil, err
	}
	type keyed struct {
		k key
		r route.Route
	}
	ks := make([]keyed, 0, len(state))
	for _, rt := range state {
		ks = append(ks, keyed{routeKey(rt), rt})
	}
	clear(state)
	slices.SortFunc(ks, func(a, b keyed) int { return compareKey(a.k, b.k) })
	ks = slices.CompactFunc(ks, func(a, b keyed) bool { return a.k == b.k })
	routes := make([]route.Route, len(ks))
	for i := range ks {
		routes[i] = ks[i].r
	}
	st.Unique = len(routes)
	for i := range routes {
		if i == 0 || routes[i].Prefix != routes[i-1].Prefix {
			st.Prefixes++
		}
	}
	return st, routes, nil
}

// ImportPeerName is the pseudo-peer holding an import source's routes.
func ImportPeerName(name string) string { return "import:" + name }

// ImportInto imports r as source name: the routes replace whatever an
// earlier import of the same name left, stamped with seen.
func (t *Table) ImportInto(ctx context.Context, r io.Reader, name string, seen time.Time) (ImportStats, error) {
	st, routes, err := Import(ctx, r)
	if err != nil {
		return st, err
	}
	id, err := t.Peer(ImportPeerName(name))
	if err != nil {
		return st, err
	}
	t.ReplacePeer(id, routes, seen)
	return st, nil
}
