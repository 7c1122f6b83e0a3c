package ca

import (
	"context"
	"fmt"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// TAL returns the RFC 8630 Trust Anchor Locator of the testbed TA: the
// configured TA URIs (HTTPS first, RFC 8630 §4 recommends it), then the
// rsync URI, and the TA's SubjectPublicKeyInfo.
func (c *CA) TAL(ctx context.Context) (*rpki.TAL, error) {
	var tal *rpki.TAL
	err := c.st.View(ctx, func(tx *store.Tx) error {
		ta, err := c.load(tx, TAName)
		if err != nil {
			return err
		}
		uris := append([]string{}, c.cfg.TAURIs...)
		uris = append(uris, c.TACertURI())
		tal = &rpki.TAL{
			Comments: []string{"ROAd testbed trust anchor " + ta.cert.Subject},
			URIs:     uris,
			SPKI:     ta.cert.RawSubjectPublicKeyInfo,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ca: TAL: %w", err)
	}
	return tal, nil
}
