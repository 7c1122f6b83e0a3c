package parent

import (
	"context"
	"errors"
	"strings"

	"github.com/roadrpki/road/internal/gate"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// Delegated is what road's publication carries for others, for the
// pre-publication gate (gate.GuardConfig.Delegated): the publishers'
// spaces, the repositories of the child certificates road issued and of
// those its publishers published (grandchildren), and the VRPs of the
// ROAs the publishers published. A child's publication point is its own:
// its state must not refuse road's publication, nor its ROAs count as
// road's.
func (s *Service) Delegated(ctx context.Context) (gate.Delegated, error) {
	var d gate.Delegated
	var vrps []vrp.VRP
	err := s.store.View(ctx, func(tx *store.Tx) error {
		pubs, err := tx.Publishers()
		if err != nil {
			return err
		}
		for _, p := range pubs {
			d.Spaces = append(d.Spaces, p.SIABase)
		}
		// The certificates issued to children, whichever instance of the
		// CA holds them (a key roll moves them to the new key).
		certs, err := tx.ChildCerts("")
		if err != nil {
			return err
		}
		for _, cc := range certs { // each its own read: not every object's DER on every publication
			der, err := tx.ObjectDER(cc.URI)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if c, err := rpki.ParseCertificate(der); err == nil && c.IsCA && c.SIA.CARepository != "" {
				d.Spaces = append(d.Spaces, c.SIA.CARepository)
			}
		}
		published, err := tx.Published("")
		if err != nil {
			return err
		}
		for _, o := range published {
			switch {
			case strings.HasSuffix(o.URI, ".roa"):
				if _, roa, err := rpki.ParseROAObject(o.DER); err == nil {
					vrps = append(vrps, roaVRPs(roa)...)
				}
			case strings.HasSuffix(o.URI, ".cer"):
				// A publisher's own child CA (road's grandchild) publishing
				// elsewhere: its publication point is not in road's tree.
				if c, err := rpki.ParseCertificate(o.DER); err == nil && c.IsCA && c.SIA.CARepository != "" {
					d.Spaces = append(d.Spaces, c.SIA.CARepository)
				}
			}
		}
		return nil
	})
	d.VRPs = vrp.NewSet(vrps)
	return d, err
}

func roaVRPs(r *rpki.ROA) []vrp.VRP {
	var out []vrp.VRP
	for _, p := range r.Prefixes {
		ml := p.MaxLength
		if ml == 0 {
			ml = p.Prefix.Bits()
		}
		out = append(out, vrp.VRP{Prefix: p.Prefix, MaxLen: uint8(ml), ASN: r.ASID})
	}
	return out
}

// WithDelegated is road's configured VRPs (own) plus the VRPs of the ROAs
// road's publishers published: what road's own TAL yields when every child
// is in order (the bundled relying party's expectation: a child
// withdrawing a ROA is then no unexplained loss). A nil Service (not open
// yet) adds nothing.
func (s *Service) WithDelegated(ctx context.Context, own func(context.Context) (vrp.Set, error)) (vrp.Set, error) {
	set, err := own(ctx)
	if err != nil || s == nil {
		return set, err
	}
	d, err := s.Delegated(ctx)
	if err != nil {
		return set, err
	}
	return vrp.NewSet(append(append([]vrp.VRP{}, set...), d.VRPs...)), nil
}
