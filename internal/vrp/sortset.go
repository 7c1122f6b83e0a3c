package vrp

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"
)

// sortKey is a VRP packed into 192 bits whose unsigned order is Compare
// order: family (IPv4 first), address, prefix length, maxLength, ASN. i is
// the VRP's index in the input.
type sortKey struct {
	k0, k1, k2 uint64
	i          int32
}

func sortKeyOf(v VRP, i int) sortKey {
	tail := uint64(v.Prefix.Bits())<<40 | uint64(v.MaxLen)<<32 | uint64(v.ASN)
	a := v.Prefix.Addr()
	if a.Is4() {
		a4 := a.As4()
		return sortKey{0, uint64(binary.BigEndian.Uint32(a4[:])), tail, int32(i)}
	}
	a16 := a.As16()
	hi, lo := binary.BigEndian.Uint64(a16[:8]), binary.BigEndian.Uint64(a16[8:])
	return sortKey{1<<63 | hi>>1, hi<<63 | lo>>1, (lo&1)<<63 | tail, int32(i)}
}

func compareKeys(a, b sortKey) int {
	if c := cmp.Compare(a.k0, b.k0); c != 0 {
		return c
	}
	if c := cmp.Compare(a.k1, b.k1); c != 0 {
		return c
	}
	return cmp.Compare(a.k2, b.k2)
}

func sameKey(a, b sortKey) bool { return a.k0 == b.k0 && a.k1 == b.k1 && a.k2 == b.k2 }

// NewLargeSet is NewSet for large inputs: the sort runs on packed integer
// keys (several times cheaper than comparing netip values), on two cores
// (both halves sorted concurrently, then merged); the sort is most of a
// 424k-VRP reload, which delays every change routers see. Like NewSet it
// reorders vs in place and returns a prefix of it.
func NewLargeSet(vs []VRP) Set {
	if len(vs) < 1<<14 {
		return NewSet(vs)
	}
	keys := make([]sortKey, len(vs))
	for i, v := range vs {
		keys[i] = sortKeyOf(v, i)
	}
	h := len(keys) / 2
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); slices.SortFunc(keys[:h], compareKeys) }()
	slices.SortFunc(keys[h:], compareKeys)
	wg.Wait()
	// The merge yields an order, not a copy: vs is permuted in place, so a
	// 424k-VRP load holds the VRPs once (plus the keys), not twice.
	order := make([]int32, 0, len(vs))
	var last sortKey
	emit := func(k sortKey) {
		if len(order) > 0 && sameKey(last, k) {
			return
		}
		order = append(order, k.i)
		last = k
	}
	a, b := keys[:h], keys[h:]
	for len(a) > 0 && len(b) > 0 {
		if compareKeys(a[0], b[0]) <= 0 {
			emit(a[0])
			a = a[1:]
		} else {
			emit(b[0])
			b = b[1:]
		}
	}
	for _, k := range a {
		emit(k)
	}
	for _, k := range b {
		emit(k)
	}
	keys = nil
	return Set(permute(vs, order))
}

// permute rearranges vs in place so that vs[j] is the old vs[order[j]] and
// returns vs[:len(order)]; order lists distinct indices, those it leaves out
// (duplicates) end up past the end. Each cycle of the permutation is
// followed once, its visited entries marked -1.
func permute(vs []VRP, order []int32) []VRP {
	m := len(order)
	used := make([]bool, len(vs))
	for _, i := range order {
		used[i] = true
	}
	for i := range vs {
		if !used[i] {
			order = append(order, int32(i))
		}
	}
	for j := range order {
		if order[j] < 0 || int(order[j]) == j {
			continue
		}
		tmp, k := vs[j], j
		for {
			src := int(order[k])
			order[k] = -1
			if src == j {
				vs[k] = tmp
				break
			}
			vs[k] = vs[src]
			k = src
		}
	}
	return vs[:m:m]
}
