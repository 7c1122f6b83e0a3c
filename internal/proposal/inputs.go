package proposal

import (
	"context"

	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// checkState is what the safety checks read from the store: the configured
// ROAs (a clean, sorted set), their recorded exceptions and the intents.
// Values are shared between readers and never modified.
type checkState struct {
	current    vrp.Set
	exceptions map[vrp.VRP]string
	intents    []conflict.Intent
}

// checkInputs returns the checkState, from a cache when no write happened
// since it was filled. Reading 10,000 ROAs from SQLite costs ~10 ms, twice
// the budget of a whole one-prefix check. The roas and intents tables are
// written only by Propose (through ca.ApplyChange), AddIntent and
// RemoveIntent, and each drops the cache after its commit.
func (s *Service) checkInputs(ctx context.Context) (*checkState, error) {
	s.cacheMu.Lock()
	c, gen := s.cache, s.cacheGen
	s.cacheMu.Unlock()
	if c != nil {
		return c, nil
	}
	c = &checkState{exceptions: map[vrp.VRP]string{}}
	var roas []vrp.VRP
	err := s.st.View(ctx, func(tx *store.Tx) error {
		rs, err := tx.ROAs()
		if err != nil {
			return err
		}
		for _, r := range rs {
			roas = append(roas, r.VRP)
			if r.Exception != "" {
				c.exceptions[r.VRP] = r.Exception
			}
		}
		c.intents, err = s.intents(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.current = vrp.NewSet(roas)
	s.cacheMu.Lock()
	if s.cacheGen == gen { // no write since we started reading
		s.cache = c
	}
	s.cacheMu.Unlock()
	return c, nil
}

// dropCheckCache is called after every commit that may change ROAs or intents.
func (s *Service) dropCheckCache() {
	s.cacheMu.Lock()
	s.cache = nil
	s.cacheGen++
	s.cacheMu.Unlock()
}
