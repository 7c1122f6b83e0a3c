package bgp

import (
	"math/bits"
	"net/netip"
	"slices"
	"time"

	"github.com/roadrpki/road/internal/route"
)

// Snapshot is an immutable view of a Table at one moment. It implements
// route.Source and needs no locking.
type Snapshot struct {
	fam   [2]index
	names [MaxPeers]string
}

var _ route.Source = (*Snapshot)(nil)
var _ route.Source = (*Table)(nil)

// Snapshot returns a consistent read-only view. It copies only the chunk
// lists; chunks are shared until the table next writes them.
func (t *Table) Snapshot() route.Source { return t.snapshot() }

// VersionedSnapshot is Snapshot with the table's version: a number that
// grows with every change of the routes, so two snapshots of one version
// hold the same routes (what is derived from one may be reused).
func (t *Table) VersionedSnapshot() (route.Source, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshotLocked(), t.ver
}

func (t *Table) snapshot() *Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshotLocked()
}

func (t *Table) snapshotLocked() *Snapshot {
	s := &Snapshot{names: t.names}
	for fam := range t.fam {
		s.fam[fam] = slices.Clone(t.fam[fam])
	}
	t.gen++ // every existing chunk is now shared: copy before writing
	return s
}

// Within implements route.Source: routes equal to or more specific than p.
func (s *Snapshot) Within(p netip.Prefix, yield func(route.Route) bool) {
	within(&s.fam, p, func(fam int, e *entry) bool { return yield(e.route(fam)) })
}

// All implements route.Source, IPv4 first, in prefix order.
func (s *Snapshot) All(yield func(route.Route) bool) {
	all(&s.fam, func(fam int, e *entry) bool { return yield(e.route(fam)) })
}

// Len is the number of routes in the snapshot.
func (s *Snapshot) Len() int { return s.fam[0].len() + s.fam[1].len() }

// Within implements route.Source on the live table (read-locked while it runs).
func (t *Table) Within(p netip.Prefix, yield func(route.Route) bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	within(&t.fam, p, func(fam int, e *entry) bool { return yield(e.route(fam)) })
}

// All implements route.Source on the live table (read-locked while it runs).
func (t *Table) All(yield func(route.Route) bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	all(&t.fam, func(fam int, e *entry) bool { return yield(e.route(fam)) })
}

func within(fams *[2]index, p netip.Prefix, fn func(int, *entry) bool) {
	if !p.IsValid() {
		return
	}
	p = p.Masked()
	fam := familyOf(p)
	start := prefixKey(p)
	endHi, endLo := rangeEnd(p)
	bits := uint8(p.Bits())
	fams[fam].scan(start, func(e *entry) bool {
		if e.hi > endHi || (e.hi == endHi && e.lo > endLo) {
			return false
		}
		if e.bits < bits { // a less-specific sharing the range's first addresses
			return true
		}
		return fn(fam, e)
	})
}

func all(fams *[2]index, fn func(int, *entry) bool) {
	for fam := range fams {
		for _, c := range fams[fam] {
			for i := range c.ents {
				if !fn(fam, &c.ents[i]) {
					return
				}
			}
		}
	}
}

// Entry is one route as `roactl bgp routes` shows it.
type Entry struct {
	Prefix   netip.Prefix `json:"prefix"`
	Origin   uint32       `json:"origin"`
	NoOrigin bool         `json:"no_origin,omitempty"` // final AS_SET: RFC 6811 origin NONE
	Peers    []string     `json:"peers"`
	LastSeen time.Time    `json:"last_seen"`
}

func toEntry(names *[MaxPeers]string, fam int, e *entry) Entry {
	r := e.route(fam)
	out := Entry{Prefix: r.Prefix, Origin: r.Origin, NoOrigin: r.NoOrigin, LastSeen: time.Unix(int64(e.seen), 0).UTC()}
	for b := e.peers; b != 0; b &= b - 1 {
		out.Peers = append(out.Peers, names[bits.TrailingZeros64(b)])
	}
	return out
}

// Lookup returns the routes for exactly prefix p (one per origin).
func (t *Table) Lookup(p netip.Prefix) []Entry {
	return t.Entries(p, true, 0)
}

// Entries lists routes with their peers and last-seen time: all of them when
// p is the zero Prefix, else those within p (exactly p when exact is set).
// limit > 0 caps the result.
func (t *Table) Entries(p netip.Prefix, exact bool, limit int) []Entry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []Entry
	fn := func(fam int, e *entry) bool {
		if exact && int(e.bits) != p.Bits() {
			return e.bits <= uint8(p.Bits())
		}
		out = append(out, toEntry(&t.names, fam, e))
		return limit <= 0 || len(out) < limit
	}
	if p.IsValid() {
		within(&t.fam, p, fn)
	} else {
		all(&t.fam, fn)
	}
	return out
}
