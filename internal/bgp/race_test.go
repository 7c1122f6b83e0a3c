package bgp

import (
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/route"
)

// TestConcurrentReaders: snapshots and live reads while a writer runs; under
// -race this checks the copy-on-write sharing. Each snapshot must stay
// equal to itself while the table changes.
func TestConcurrentReaders(t *testing.T) {
	tb := NewTable()
	id, _ := tb.Peer("w")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(5, 5))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := randPrefix(rng)
			if rng.IntN(4) == 0 {
				tb.Withdraw(id, p)
			} else {
				tb.Add(id, route.Route{Prefix: p, Origin: uint32(i)}, time.Unix(int64(i), 0))
			}
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				s := tb.Snapshot()
				a := collect(s, netip.Prefix{})
				time.Sleep(100 * time.Microsecond)
				b := collect(s, netip.Prefix{})
				if len(a) != len(b) {
					t.Errorf("snapshot changed: %d then %d", len(a), len(b))
					return
				}
				for i := range a {
					if a[i] != b[i] {
						t.Errorf("snapshot changed at %d", i)
						return
					}
				}
				tb.Within(netip.MustParsePrefix("10.0.0.0/8"), func(route.Route) bool { return true })
				tb.Entries(netip.Prefix{}, false, 10)
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
}
