// Package liveroutes is the live route table the safety checks read: the
// embedded passive BGP speaker's sessions (RFC 4271, End-of-RIB RFC 4724 §2),
// the kept MRT (RFC 6396) and text imports, and whether the table is complete.
package liveroutes

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// Config is what Routes needs: where kept imports live, the speaker's
// options, and the history the imports are recorded in.
type Config struct {
	DataDir  string
	BGP      Options
	Store    *store.Store
	Logger   *slog.Logger
	Clock    func() time.Time
	Registry prometheus.Registerer
}

// Routes is the live route table and what feeds it: the embedded speaker's
// sessions and the kept imports.
type Routes struct {
	opt   Options
	dir   string // DataDir
	st    *store.Store
	log   *slog.Logger
	clock func() time.Time
	table *bgp.Table

	loadOnce sync.Once     // reload of the kept imports (imports.go)
	loaded   chan struct{} // closed when done

	mu      sync.Mutex
	speaker *bgp.Speaker
}

// New returns the route table with its metrics registered; the kept imports
// load on the first Ready, the speaker runs in Run.
func New(c Config) *Routes {
	s := &Routes{opt: c.BGP, dir: c.DataDir, st: c.Store, log: c.Logger, clock: c.Clock,
		table: bgp.NewTable(), loaded: make(chan struct{})}
	reg := c.Registry
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "road_bgp_routes", Help: "Distinct (prefix, origin) routes in the live table (sessions and imports).",
	}, func() float64 { return float64(s.table.Len()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "road_bgp_sessions_established", Help: "Configured BGP neighbours whose session is established.",
	}, func() float64 {
		n := 0
		for _, p := range s.peers() {
			if p.State == "established" {
				n++
			}
		}
		return float64(n)
	}))
	return s
}

// Table is the live table (tests feed it directly).
func (rt *Routes) Table() *bgp.Table { return rt.table }

// Snapshot is an immutable view of the routes now.
func (rt *Routes) Snapshot() route.Source { return rt.table.Snapshot() }

// Route listing bounds (GET /bgp/routes).
const (
	DefaultRouteLimit = 10_000
	MaxRouteLimit     = 200_000
)

// List lists the live table, or the routes equal to or more specific
// than prefix.
func (rt *Routes) List(ctx context.Context, prefix string, limit int) (*RouteList, error) {
	switch {
	case limit == 0:
		limit = DefaultRouteLimit
	case limit < 0 || limit > MaxRouteLimit:
		return nil, fault.Invalidf("limit %d: want 1..%d", limit, MaxRouteLimit)
	}
	if err := rt.Ready(ctx); err != nil {
		return nil, err
	}
	var p netip.Prefix
	if prefix != "" {
		var err error
		if p, err = vrp.ParsePrefix(prefix); err != nil {
			return nil, fault.Invalidf("prefix: %v", err)
		}
	}
	t := rt.table
	out := &RouteList{Routes: t.Entries(p, false, limit)}
	if p.IsValid() {
		t.Within(p, func(route.Route) bool { out.Total++; return true })
	} else {
		out.Total = t.Len()
	}
	out.Truncated = out.Total > len(out.Routes)
	return out, nil
}

// RouteList is a page of the live table.
type RouteList struct {
	Routes    []bgp.Entry
	Total     int  // every matching route
	Truncated bool // Routes stops at the limit
}

// Ready waits until the persisted imports are back in the table (the
// first call starts loading them).
func (rt *Routes) Ready(ctx context.Context) error {
	rt.loadOnce.Do(func() {
		go func() {
			defer close(rt.loaded)
			rt.loadImports()
		}()
	})
	select {
	case <-rt.loaded:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the imported routes to load: %w", ctx.Err())
	}
}

// Incomplete describes the configured BGP peers whose routes the table
// does not have in full: no live session and no routes held after one
// dropped, or a session still sending its initial table. A check without
// them cannot see what they announce.
func (rt *Routes) Incomplete() []string {
	if rt.opt.Listen == "" {
		return nil
	}
	sp := rt.runningSpeaker()
	var names []string
	for i := range bgp.MaxPeers {
		if n := rt.table.PeerName(bgp.PeerID(i)); strings.HasPrefix(n, "bgp:") {
			names = append(names, n)
		}
	}
	var missing []string
	for _, p := range rt.opt.Peers {
		if sp != nil {
			if up, synced := sp.Synced(p.Address, rt.opt.syncTimeout()); up && !synced {
				missing = append(missing, fmt.Sprintf("%d@%s (still sending its table: no End-of-RIB yet)", p.ASN, p.Address))
				continue
			}
		}
		live := "bgp:" + p.Address
		seen := false
		for _, n := range names {
			if n == live || strings.HasPrefix(n, live+"#down") {
				seen = true
				break
			}
		}
		if !seen {
			missing = append(missing, fmt.Sprintf("%d@%s (session not established)", p.ASN, p.Address))
		}
	}
	return missing
}
