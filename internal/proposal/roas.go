package proposal

import (
	"context"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/store"
)

// ROAs lists the configured ROAs with their published objects.
func (s *Service) ROAs(ctx context.Context) ([]ROAEntry, error) {
	out := []ROAEntry{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		roas, err := tx.ROAs()
		if err != nil {
			return err
		}
		objs, err := tx.Objects("")
		if err != nil {
			return err
		}
		byROA := map[int64]store.Object{}
		for _, o := range objs {
			if o.ROAID != 0 && ca.IssuesROAs(o.CA) { // every resource class's CA
				byROA[o.ROAID] = o
			}
		}
		for _, r := range roas {
			e := ROAEntry{ROA: roaOf(r.VRP), CreatedAt: r.CreatedAt, State: "pending"}
			e.Comment, e.Exception = r.Comment, r.Exception
			if o, ok := byROA[r.ID]; ok {
				e.Object, e.NotAfter, e.State = o.URI, o.NotAfter, "published"
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
