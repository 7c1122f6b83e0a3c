package proposal

import (
	"context"
	"encoding/json"

	"github.com/roadrpki/road/internal/store"
)

// History lists the change log, newest first.
func (s *Service) History(ctx context.Context, limit int) ([]HistoryEntry, error) {
	out := []HistoryEntry{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		hs, err := tx.History(limit)
		for _, h := range hs {
			e := HistoryEntry{ID: h.ID, At: h.At, Actor: h.Actor, Action: h.Action, Summary: h.Summary}
			var ch Change
			if json.Unmarshal(h.Detail, &ch) == nil {
				e.Change = ch
			}
			out = append(out, e)
		}
		return err
	})
	return out, err
}
