package bgp

import "sort"

// Chunk sizes: a chunk splits when it reaches maxChunk entries; bulk builds
// fill chunks to fillChunk so that later inserts rarely split at once.
const (
	maxChunk  = 512
	fillChunk = 448
)

// chunk is a sorted run of entries. A chunk whose gen differs from the
// table's current generation may be shared with a snapshot and is copied
// before it is written (copy-on-write).
type chunk struct {
	gen  uint64
	ents []entry
}

// index is one family's entries as a sorted list of sorted chunks; the
// first key of chunk i+1 is greater than the last key of chunk i.
type index []*chunk

// find returns the chunk number and position of the first entry with key
// >= k. Chunk number may be len(ix) when k is past every entry.
func (ix index) find(k key) (int, int) {
	ci := sort.Search(len(ix), func(i int) bool {
		c := ix[i].ents
		return compareKey(c[len(c)-1].key(), k) >= 0
	})
	if ci == len(ix) {
		return ci, 0
	}
	c := ix[ci].ents
	pos := sort.Search(len(c), func(i int) bool { return compareKey(c[i].key(), k) >= 0 })
	return ci, pos
}

// scan calls fn for every entry from key k on, in order, until fn returns false.
func (ix index) scan(k key, fn func(e *entry) bool) {
	ci, pos := ix.find(k)
	for ; ci < len(ix); ci, pos = ci+1, 0 {
		c := ix[ci].ents
		for ; pos < len(c); pos++ {
			if !fn(&c[pos]) {
				return
			}
		}
	}
}

func (ix index) len() int {
	n := 0
	for _, c := range ix {
		n += len(c.ents)
	}
	return n
}

// grow returns ents with room for one more entry, growing by a quarter
// rather than doubling to keep the slack per route small.
func grow(ents []entry) []entry {
	if len(ents) < cap(ents) {
		return ents
	}
	n := make([]entry, len(ents), len(ents)+len(ents)/4+8)
	copy(n, ents)
	return n
}

// buildIndex packs sorted entries into fresh chunks of generation gen.
func buildIndex(ents []entry, gen uint64) index {
	var ix index
	for len(ents) > 0 {
		n := min(len(ents), fillChunk)
		c := &chunk{gen: gen, ents: make([]entry, n, n+n/8)}
		copy(c.ents, ents[:n])
		ix = append(ix, c)
		ents = ents[n:]
	}
	return ix
}
