package ca

import (
	"context"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// Status is what the CA holds and has signed, as road status shows it.
type Status struct {
	Name         string    // the CA certificate's subject
	CertNotAfter time.Time // the CA certificate's notAfter
	ManifestNext time.Time // the current manifest's nextUpdate
	ROAs         int       // configured ROAs
	Resources    []string  // held prefixes, then AS numbers and ranges ("AS64496", "AS64496-AS64511")
	KeyRoll      *Roll     // the current or last key roll (nil: never rolled)
}

// Status reads the CA's state.
func (c *CA) Status(ctx context.Context) (Status, error) {
	var out Status
	ip, as := c.Resources()
	for _, p := range ip.Prefixes() {
		out.Resources = append(out.Resources, p.String())
	}
	for _, r := range as.Ranges {
		if r.Min == r.Max {
			out.Resources = append(out.Resources, fmt.Sprintf("AS%d", r.Min))
		} else {
			out.Resources = append(out.Resources, fmt.Sprintf("AS%d-AS%d", r.Min, r.Max))
		}
	}
	err := c.st.View(ctx, func(tx *store.Tx) error {
		row, err := tx.CA(CAName)
		if err != nil {
			return err
		}
		if cert, err := rpki.ParseCertificate(row.CertDER); err == nil {
			out.Name, out.CertNotAfter = cert.Subject, cert.NotAfter
		}
		out.ManifestNext = row.MftNextUpdate
		if out.KeyRoll, err = readRoll(tx); err != nil {
			return err
		}
		roas, err := tx.ROAs()
		out.ROAs = len(roas)
		return err
	})
	return out, err
}
