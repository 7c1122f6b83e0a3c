package rtr

import (
	"cmp"
	"slices"
	"sync"

	"github.com/roadrpki/road/internal/vrp"
)

// delta is what changed from serial-1 to serial.
type delta struct {
	serial         uint32
	added, removed []vrp.VRP
	aspas          []vrp.ASPA // the full ASPA set at serial (small)
	prevASPAs      []vrp.ASPA // the full ASPA set at serial-1
}

// generation is one immutable serial: its full set, the deltas of the kept
// window, and the encoded responses, built lazily once per version and
// shared read-only by every client (the StayRTR anchor: no per-client copies).
type generation struct {
	serial   uint32
	vrps     vrp.Set
	aspas    []vrp.ASPA
	window   []*delta // oldest first; window[len-1].serial == serial
	sessions [maxVersion + 1]uint16
	timers   Timers

	mu    sync.Mutex
	full  [maxVersion + 1]*response
	diffs map[diffKey]*response
}

type diffKey struct {
	from    uint32
	version uint8
}

// response is a complete encoded answer: Cache Response, payload PDUs, End
// of Data. Its slices are never modified after construction.
type response struct {
	head, body, tail []byte
	pdus             int
}

func (r *response) size() int { return len(r.head) + len(r.body) + len(r.tail) }

// next builds the generation that follows g (g may be nil for the first).
func next(g *generation, serial uint32, vrps vrp.Set, aspas []vrp.ASPA, window int, sessions [maxVersion + 1]uint16, t Timers) *generation {
	n := &generation{serial: serial, vrps: vrps, aspas: aspas, sessions: sessions, timers: t, diffs: map[diffKey]*response{}}
	if g != nil && window > 0 {
		added, removed := vrps.Diff(g.vrps)
		d := &delta{serial: serial, added: added, removed: removed, aspas: aspas, prevASPAs: g.aspas}
		w := append(slices.Clip(g.window), d)
		if len(w) > window {
			w = w[len(w)-window:]
		}
		// Bound memory: once the kept deltas outweigh the set itself, a
		// Cache Reset (full sync) is as cheap as a diff for those clients.
		total, limit := 0, max(len(vrps), 1<<16)
		for i := len(w) - 1; i >= 0; i-- {
			total += len(w[i].added) + len(w[i].removed)
			if total > limit && i < len(w)-1 {
				w = w[i+1:]
				break
			}
		}
		n.window = w
	}
	return n
}

// diffFrom returns the minimal change set from serial from to g.serial, or
// ok=false if from is outside the kept window (the caller sends Cache Reset).
func (g *generation) diffFrom(from uint32) (added, removed []vrp.VRP, aspaAnn, aspaWd []vrp.ASPA, ok bool) {
	dist, ok := serialDistance(from, g.serial)
	if !ok || int(dist) > len(g.window) {
		return nil, nil, nil, nil, false
	}
	if dist == 0 {
		return nil, nil, nil, nil, true
	}
	ds := g.window[len(g.window)-int(dist):]
	added, removed = ds[0].added, ds[0].removed
	for _, d := range ds[1:] {
		added, removed = vrp.ComposeDiffs(added, removed, d.added, d.removed)
	}
	aspaAnn, aspaWd = vrp.DiffASPAs(ds[0].prevASPAs, g.aspas)
	return added, removed, aspaAnn, aspaWd, true
}

// fullResponse returns the encoded Reset Query answer for version v.
func (g *generation) fullResponse(v uint8) *response {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r := g.full[v]; r != nil {
		return r
	}
	r := g.frame(v, encodePayload(v, g.vrps, nil, g.aspas, nil))
	r.pdus = len(g.vrps)
	if v >= 2 {
		r.pdus += len(g.aspas)
	}
	g.full[v] = r
	return r
}

// diffResponse returns the encoded Serial Query answer from serial from, or
// nil if from is outside the window.
func (g *generation) diffResponse(v uint8, from uint32) *response {
	k := diffKey{from, v}
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.diffs[k]; ok {
		return r
	}
	added, removed, aAnn, aWd, ok := g.diffFrom(from)
	if !ok {
		return nil
	}
	r := g.frame(v, encodePayload(v, added, removed, aAnn, aWd))
	r.pdus = len(added) + len(removed)
	if v >= 2 {
		r.pdus += len(aAnn) + len(aWd)
	}
	g.diffs[k] = r
	return r
}

func (g *generation) frame(v uint8, body []byte) *response {
	return &response{
		head: AppendCacheResponse(nil, v, g.sessions[v]),
		body: body,
		tail: AppendEndOfData(nil, v, g.sessions[v], g.serial, g.timers),
	}
}

// raceOrder sorts VRPs for sending (draft-ietf-sidrops-8210bis §11): IPv4
// first, then longer (more specific) prefixes before covering ones, and all
// VRPs of one prefix together.
func raceOrder(a, b vrp.VRP) int {
	if a.IsV4() != b.IsV4() {
		if a.IsV4() {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.Prefix.Bits(), a.Prefix.Bits()); c != 0 {
		return c
	}
	return vrp.Compare(a, b)
}

// encodePayload encodes announcements, then withdrawals (make before break),
// then for v2 the ASPA withdrawals and announcements, as one contiguous slice.
func encodePayload(v uint8, announce, withdraw []vrp.VRP, aspaAnn, aspaWd []vrp.ASPA) []byte {
	n := 0
	for _, x := range announce {
		n += prefixPDULen(x)
	}
	for _, x := range withdraw {
		n += prefixPDULen(x)
	}
	if v >= 2 {
		for _, a := range aspaAnn {
			n += 12 + 4*len(a.Providers)
		}
		n += 12 * len(aspaWd)
	}
	b := make([]byte, 0, n)
	b = appendOrdered(b, v, announce, true)
	b = appendOrdered(b, v, withdraw, false)
	if v >= 2 {
		for _, a := range aspaWd {
			b = AppendASPA(b, a, false)
		}
		for _, a := range aspaAnn {
			b = AppendASPA(b, a, true)
		}
	}
	return b
}

// appendOrdered encodes vs, which is sorted by vrp.Compare, in raceOrder.
// A stable counting sort by (family, prefix length descending) yields that
// order in O(n): within a bucket vrp.Compare order is kept.
func appendOrdered(b []byte, v uint8, vs []vrp.VRP, announce bool) []byte {
	const buckets = 33 + 129 // IPv4 lengths 0..32, then IPv6 0..128
	bucket := func(x vrp.VRP) int {
		if x.IsV4() {
			return 32 - x.Prefix.Bits()
		}
		return 33 + 128 - x.Prefix.Bits()
	}
	var start [buckets + 1]int
	for _, x := range vs {
		start[bucket(x)+1]++
	}
	for i := 1; i <= buckets; i++ {
		start[i] += start[i-1]
	}
	idx := make([]int32, len(vs))
	for i, x := range vs {
		k := bucket(x)
		idx[start[k]] = int32(i)
		start[k]++
	}
	for _, i := range idx {
		b = AppendPrefix(b, v, vs[i], announce)
	}
	return b
}
