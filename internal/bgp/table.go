// Package bgp holds the live BGP routes the safety checks look at: a compact
// (prefix, origin) table fed by an embedded passive BGP speaker and by MRT or
// text imports. Origins follow RFC 6811 §2.
package bgp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/route"
)

// PeerID names a source of routes (a BGP session or an import) in a Table.
type PeerID uint8

// MaxPeers is how many sources a Table can track at once (one bit each).
const MaxPeers = 64

// ErrTooManyPeers is returned when every PeerID is in use.
var ErrTooManyPeers = errors.New("bgp: too-many-peers")

// Table is a concurrency-safe set of routes keyed by (prefix, origin), each
// with the peers that announce it and the time it was last seen. Entries are
// 40 bytes in sorted chunks per address family; Snapshot is copy-on-write.
type Table struct {
	mu     sync.RWMutex
	gen    uint64   // chunks of an older generation are shared with snapshots
	ver    uint64   // counts the changes of the routes (VersionedSnapshot)
	fam    [2]index // IPv4, IPv6
	names  [MaxPeers]string
	byName map[string]PeerID
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{gen: 1, byName: make(map[string]PeerID)}
}

// Peer returns the id of the named source, registering it if new.
func (t *Table) Peer(name string) (PeerID, error) {
	if name == "" {
		return 0, fmt.Errorf("bgp: empty peer name")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.byName[name]; ok {
		return id, nil
	}
	for i := range t.names {
		if t.names[i] == "" {
			t.names[i] = name
			t.byName[name] = PeerID(i)
			return PeerID(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %d sources registered", ErrTooManyPeers, MaxPeers)
}

// PeerName returns the name registered for id, or "".
func (t *Table) PeerName(id PeerID) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(id) >= MaxPeers {
		return ""
	}
	return t.names[id]
}

// Len is the number of distinct (prefix, origin) routes.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.fam[0].len() + t.fam[1].len()
}

func unixSeconds(ts time.Time) uint32 {
	s := ts.Unix()
	if s < 0 {
		return 0
	}
	if s > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(s)
}

func valid(peer PeerID, p netip.Prefix) bool {
	return int(peer) < MaxPeers && p.IsValid()
}

// Add records that peer announces r. Like a BGP UPDATE without ADD-PATH
// (RFC 4271 §3.1), it implicitly withdraws the peer's earlier route for the
// same prefix with another origin.
func (t *Table) Add(peer PeerID, r route.Route, seen time.Time) {
	if !valid(peer, r.Prefix) {
		return
	}
	r.Prefix = r.Prefix.Masked()
	if r.NoOrigin {
		r.Origin = 0
	}
	k := routeKey(r)
	fam := familyOf(r.Prefix)
	bit := uint64(1) << peer
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ver++
	for _, other := range t.peerKeys(fam, prefixKey(r.Prefix), bit) {
		if other != k {
			t.clearBit(fam, other, bit)
		}
	}
	t.upsert(fam, k, bit, unixSeconds(seen))
}

// Withdraw removes peer's routes for exactly prefix p.
func (t *Table) Withdraw(peer PeerID, p netip.Prefix) {
	if !valid(peer, p) {
		return
	}
	p = p.Masked()
	fam := familyOf(p)
	bit := uint64(1) << peer
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ver++
	for _, k := range t.peerKeys(fam, prefixKey(p), bit) {
		t.clearBit(fam, k, bit)
	}
}

// DropPeer removes every route of peer and releases its id.
func (t *Table) DropPeer(peer PeerID) {
	if int(peer) >= MaxPeers {
		return
	}
	bit := uint64(1) << peer
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ver++
	for fam := range t.fam {
		t.fam[fam] = t.filterBit(t.fam[fam], bit)
	}
	delete(t.byName, t.names[peer])
	t.names[peer] = ""
}

// ReplacePeer makes routes the complete set announced by peer (an import
// source re-imported), in one pass over the table.
func (t *Table) ReplacePeer(peer PeerID, routes []route.Route, seen time.Time) {
	if int(peer) >= MaxPeers {
		return
	}
	bit := uint64(1) << peer
	ts := unixSeconds(seen)
	var add [2][]entry
	for _, r := range routes {
		if !r.Prefix.IsValid() {
			continue
		}
		r.Prefix = r.Prefix.Masked()
		k := routeKey(r)
		fam := familyOf(r.Prefix)
		e := entry{hi: k.hi, lo: k.lo, bits: k.bits, origin: k.origin, peers: bit, seen: ts}
		if k.none {
			e.flags = flagNoOrigin
		}
		add[fam] = append(add[fam], e)
	}
	for fam := range add {
		slices.SortFunc(add[fam], func(a, b entry) int { return compareKey(a.key(), b.key()) })
		add[fam] = slices.CompactFunc(add[fam], func(a, b entry) bool { return a.key() == b.key() })
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ver++
	for fam := range t.fam {
		t.fam[fam] = buildIndex(mergeReplace(t.fam[fam], add[fam], bit), t.gen)
	}
}

// mergeReplace returns old's entries without bit, merged with add (sorted,
// unique, carrying bit).
func mergeReplace(old index, add []entry, bit uint64) []entry {
	out := make([]entry, 0, old.len()+len(add))
	i := 0
	emit := func(e entry) {
		for i < len(add) && compareKey(add[i].key(), e.key()) < 0 {
			out = append(out, add[i])
			i++
		}
		if i < len(add) && add[i].key() == e.key() {
			e.peers |= bit
			e.seen = max(e.seen, add[i].seen)
			i++
		}
		if e.peers != 0 {
			out = append(out, e)
		}
	}
	for _, c := range old {
		for _, e := range c.ents {
			e.peers &^= bit
			emit(e)
		}
	}
	return append(out, add[i:]...)
}

// peerKeys lists the keys of entries for prefix pk that carry bit.
func (t *Table) peerKeys(fam int, pk key, bit uint64) []key {
	var ks []key
	t.fam[fam].scan(pk, func(e *entry) bool {
		if e.hi != pk.hi || e.lo != pk.lo || e.bits != pk.bits {
			return false
		}
		if e.peers&bit != 0 {
			ks = append(ks, e.key())
		}
		return true
	})
	return ks
}

// writable returns chunk ci of fam, copying it first if a snapshot may share it.
func (t *Table) writable(fam, ci int) *chunk {
	c := t.fam[fam][ci]
	if c.gen != t.gen {
		n := &chunk{gen: t.gen, ents: make([]entry, len(c.ents), cap(c.ents))}
		copy(n.ents, c.ents)
		t.fam[fam][ci] = n
		c = n
	}
	return c
}

func (t *Table) clearBit(fam int, k key, bit uint64) {
	ix := t.fam[fam]
	ci, pos := ix.find(k)
	if ci == len(ix) || pos >= len(ix[ci].ents) || ix[ci].ents[pos].key() != k {
		return
	}
	c := t.writable(fam, ci)
	c.ents[pos].peers &^= bit
	if c.ents[pos].peers != 0 {
		return
	}
	c.ents = slices.Delete(c.ents, pos, pos+1)
	if len(c.ents) == 0 {
		t.fam[fam] = slices.Delete(t.fam[fam], ci, ci+1)
	}
}

func (t *Table) upsert(fam int, k key, bit uint64, seen uint32) {
	ix := t.fam[fam]
	ci, pos := ix.find(k)
	if ci < len(ix) && pos < len(ix[ci].ents) && ix[ci].ents[pos].key() == k {
		c := t.writable(fam, ci)
		c.ents[pos].peers |= bit
		c.ents[pos].seen = max(c.ents[pos].seen, seen)
		return
	}
	e := entry{hi: k.hi, lo: k.lo, bits: k.bits, origin: k.origin, peers: bit, seen: seen}
	if k.none {
		e.flags = flagNoOrigin
	}
	if len(ix) == 0 {
		t.fam[fam] = index{{gen: t.gen, ents: []entry{e}}}
		return
	}
	if ci == len(ix) { // past the end: append to the last chunk
		ci = len(ix) - 1
		pos = len(ix[ci].ents)
	}
	c := t.writable(fam, ci)
	c.ents = grow(c.ents)
	c.ents = slices.Insert(c.ents, pos, e)
	if len(c.ents) <= maxChunk {
		return
	}
	// Split. Appending at the very end (sorted feeds) keeps the full chunk
	// whole; otherwise halve it.
	cut := len(c.ents) / 2
	if ci == len(t.fam[fam])-1 && pos == len(c.ents)-1 {
		cut = len(c.ents) - 1
	}
	tail := make([]entry, len(c.ents)-cut, len(c.ents)-cut+8)
	copy(tail, c.ents[cut:])
	head := make([]entry, cut, cut+cut/8+1)
	copy(head, c.ents[:cut])
	c.ents = head
	t.fam[fam] = slices.Insert(t.fam[fam], ci+1, &chunk{gen: t.gen, ents: tail})
}

// filterBit removes bit from every entry, dropping entries left without peers.
func (t *Table) filterBit(ix index, bit uint64) index {
	out := ix[:0]
	for _, c := range ix {
		has := false
		for i := range c.ents {
			if c.ents[i].peers&bit != 0 {
				has = true
				break
			}
		}
		if !has {
			out = append(out, c)
			continue
		}
		n := &chunk{gen: t.gen, ents: make([]entry, 0, len(c.ents))}
		for _, e := range c.ents {
			e.peers &^= bit
			if e.peers != 0 {
				n.ents = append(n.ents, e)
			}
		}
		if len(n.ents) > 0 {
			out = append(out, n)
		}
	}
	clear(ix[len(out):])
	return out
}

// RenamePeer changes the name shown for id (a dropped BGP session whose
// routes are held for a while).
func (t *Table) RenamePeer(id PeerID, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if int(id) >= MaxPeers || t.names[id] == "" || name == "" {
		return
	}
	if _, taken := t.byName[name]; taken {
		return
	}
	delete(t.byName, t.names[id])
	t.names[id] = name
	t.byName[name] = id
}
