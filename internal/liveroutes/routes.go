package liveroutes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// Route listing bounds (GET /bgp/routes).
const (
	DefaultRouteLimit = 10_000
	MaxRouteLimit     = 200_000
)

// MaxImportPaths bounds the paths one import may hold while decoding: a full
// table seen by a few dozen collector peers, far below what would exhaust
// memory (a decompression bomb stops here).
const MaxImportPaths = 50_000_000

// List lists the live table, or the routes equal to or more specific
// than prefix.
func (d *Routes) List(ctx context.Context, prefix string, limit int) (*RouteList, error) {
	switch {
	case limit == 0:
		limit = DefaultRouteLimit
	case limit < 0 || limit > MaxRouteLimit:
		return nil, fault.Invalidf("limit %d: want 1..%d", limit, MaxRouteLimit)
	}
	if err := d.Ready(ctx); err != nil {
		return nil, err
	}
	var p netip.Prefix
	if prefix != "" {
		var err error
		if p, err = vrp.ParsePrefix(prefix); err != nil {
			return nil, fault.Invalidf("prefix: %v", err)
		}
	}
	t := d.table
	out := &RouteList{Routes: t.Entries(p, false, limit)}
	if p.IsValid() {
		t.Within(p, func(route.Route) bool { out.Total++; return true })
	} else {
		out.Total = t.Len()
	}
	out.Truncated = out.Total > len(out.Routes)
	return out, nil
}

// stickyReader remembers the first read error other than EOF, which the MRT
// decoder would otherwise count as a truncated file: an upload that was cut
// off or too large must not replace a good import with a partial one.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// Import decodes an MRT or text file and makes its routes the complete set
// of the import source name (re-importing a name replaces its routes).
func (d *Routes) Import(ctx context.Context, actor, name string, body io.Reader) (*ImportResult, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "upload"
	}
	if !validImportName(name) {
		return nil, fault.Invalidf("import name %q: want 1..64 of A-Z a-z 0-9 . _ - (not starting with .)", name)
	}
	if err := d.Ready(ctx); err != nil {
		return nil, err
	}
	kept, err := d.newImportFile(name)
	if err != nil {
		return nil, err
	}
	sr := &stickyReader{r: body}
	st, routes, err := bgp.ImportMax(ctx, io.TeeReader(sr, kept), MaxImportPaths)
	if sr.err != nil || err != nil {
		kept.discard()
	}
	if sr.err != nil {
		if e, ok := fault.As(sr.err); ok {
			return nil, e
		}
		return nil, fault.Invalidf("import %s: reading the upload: %v", name, sr.err)
	}
	switch {
	case errors.Is(err, bgp.ErrImportTooLarge):
		return nil, fault.New(fault.TooLarge, fmt.Sprintf("import %s: %v", name, err), nil)
	case errors.Is(err, bgp.ErrImport):
		return nil, fault.Invalidf("import %s: %v", name, err)
	case err != nil:
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	if st.Routes == 0 && st.Withdrawals == 0 && st.Records > 0 {
		kept.discard()
		return nil, fault.New(fault.Invalid,
			fmt.Sprintf("import %s: no routes found in %d %s record(s); nothing changed", name, st.Records, st.Format),
			map[string]any{"skipped": st.Skipped})
	}
	t := d.table
	id, err := t.Peer(bgp.ImportPeerName(name))
	if err != nil {
		kept.discard()
		if errors.Is(err, bgp.ErrTooManyPeers) {
			return nil, fault.New(fault.Conflict, err.Error(), nil)
		}
		return nil, err
	}
	if err := kept.keep(); err != nil {
		return nil, err
	}
	t.ReplacePeer(id, routes, d.clock())
	res := &ImportResult{Name: name, Format: st.Format, Compression: st.Compression, Records: st.Records,
		Routes: st.Routes, Withdrawals: st.Withdrawals, Unique: st.Unique, Prefixes: st.Prefixes,
		Skipped: st.Skipped, TableRoutes: t.Len()}
	if res.Skipped == nil {
		res.Skipped = map[string]int{}
	}
	d.log.Info("bgp import", "name", name, "format", st.Format, "routes", st.Unique, "table", res.TableRoutes)
	err = d.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendHistory(d.clock(), actor, "bgp-import",
			fmt.Sprintf("imported %d routes (%d prefixes) as %s", st.Unique, st.Prefixes, bgp.ImportPeerName(name)), res)
		return err
	})
	return res, err
}

// RemoveImport drops every route of an import source.
func (d *Routes) RemoveImport(ctx context.Context, actor, name string) error {
	if !validImportName(name) {
		return fault.NotFoundf("no import named %q", name)
	}
	if err := d.Ready(ctx); err != nil {
		return err
	}
	t := d.table
	peer := bgp.ImportPeerName(name)
	id, ok := findPeer(t, peer)
	if !ok {
		return fault.NotFoundf("no import named %q", name)
	}
	if err := d.removeImportFile(name); err != nil {
		return err
	}
	t.DropPeer(id)
	return d.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendHistory(d.clock(), actor, "bgp-import-remove", "removed the routes of "+peer, nil)
		return err
	})
}

func findPeer(t *bgp.Table, name string) (bgp.PeerID, bool) {
	for i := range bgp.MaxPeers {
		if t.PeerName(bgp.PeerID(i)) == name {
			return bgp.PeerID(i), true
		}
	}
	return 0, false
}

// Peers lists the configured neighbours with their session state.
func (d *Routes) Peers(context.Context) (*PeerList, error) {
	out := &PeerList{Listen: d.opt.Listen, ASN: d.opt.ASN, Peers: []Peer{}}
	sp := d.runningSpeaker()
	for _, p := range d.peers() {
		bp := Peer{Address: p.Address, ASN: p.ASN, State: p.State, Received: p.Received, Uptime: p.Uptime}
		if sp != nil {
			_, bp.Synced = sp.Synced(p.Address, d.opt.syncTimeout())
		}
		out.Peers = append(out.Peers, bp)
	}
	if len(out.Peers) == 0 {
		for _, p := range d.opt.Peers { // configured, speaker not up (yet)
			out.Peers = append(out.Peers, Peer{Address: p.Address, ASN: p.ASN, State: "down"})
		}
	}
	return out, nil
}

// RouteList is a page of the live table.
type RouteList struct {
	Routes    []bgp.Entry
	Total     int  // every matching route
	Truncated bool // Routes stops at the limit
}

// ImportResult describes one import; its JSON is the bgp-import history
// record's detail.
type ImportResult struct {
	Name        string         `json:"name"`         // the import source
	Format      string         `json:"format"`       // "mrt" or "text"
	Compression string         `json:"compression"`  // "", "gzip" or "bzip2"
	Records     int            `json:"records"`      // MRT records or text lines
	Routes      int            `json:"routes"`       // announcements decoded
	Withdrawals int            `json:"withdrawals"`  // withdrawn prefixes decoded
	Unique      int            `json:"unique"`       // distinct (prefix, origin) routes now held for Name
	Prefixes    int            `json:"prefixes"`     // distinct prefixes among them
	Skipped     map[string]int `json:"skipped"`      // malformed or unsupported parts, by reason
	TableRoutes int            `json:"table_routes"` // routes in the whole table afterwards
}

// PeerList is the speaker's configuration and its neighbours.
type PeerList struct {
	Listen string // "" when no speaker is configured
	ASN    uint32
	Peers  []Peer
}

// Peer is one configured BGP neighbour and its session.
type Peer struct {
	Address string
	ASN     uint32
	State   string // "established", "active", "idle", "down", ...
	// Synced: established and the initial table is in (End-of-RIB received,
	// or the sync timeout passed); until then proposals carry routes-incomplete.
	Synced   bool
	Uptime   time.Duration
	Received int
}
