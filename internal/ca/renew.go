package ca

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// Renew reissues whatever is due, in one transaction: the CA certificate
// near expiry or no longer matching the configured resources, ROAs whose EE
// expires within ROAReissueBefore, configured ROAs that have no object
// (recovery), objects of ROAs no longer configured, and the manifest and CRL
// of every publication point that changed or whose nextUpdate is within
// ManifestReissueBefore (RFC 9286 §5.2: a new manifest before nextUpdate).
// It reports whether anything was reissued.
func (c *CA) Renew(ctx context.Context) (bool, error) {
	rolled := c.AdvanceRoll(ctx) // rollover.go
	var changed bool
	err := c.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		changed, err = c.renew(ctx, tx)
		return err
	})
	return changed || rolled, err
}

func (c *CA) renew(ctx context.Context, tx *store.Tx) (bool, error) {
	now := c.now()
	ta, err := c.load(tx, TAName)
	if err != nil {
		return false, err
	}
	caIn, err := c.load(tx, CAName)
	if err != nil {
		return false, err
	}
	taDirty := false
	ip, as := c.configured()
	parented := c.parented.Load() != nil

	// Refuse resources that no longer hold a configured ROA: its ROA would
	// turn invalid at every RP. The operator removes the ROA first. Under a
	// parent the parent decides; renewROAs leaves the ROAs it no longer
	// covers unsigned (parented.go).
	roas, err := tx.ROAs()
	if err != nil {
		return false, err
	}
	for _, r := range roas {
		if !parented && !ip.ContainsPrefix(r.VRP.Prefix) {
			return false, fmt.Errorf("%w: configured ROA %s lies outside the configured resources; remove it before shrinking the resources", ErrNotHeld, r.VRP)
		}
	}

	// The testbed TA carries the configured resources: reissue it (same
	// key, same URI, so the TAL stays valid) when they changed or it nears
	// expiry; the CA certificate below follows.
	if !sameResources(ta.cert, &ip, &as) || ta.cert.NotAfter.Sub(now) < c.cfg.Timing.ROAReissueBefore {
		if err := c.issueTACert(tx, ta, now); err != nil {
			return false, err
		}
		taDirty = true
	}

	// The CA certificate under the TA (under a parent, the parent renews it).
	if !parented && (caIn.cert.NotAfter.Sub(now) < c.cfg.Timing.ROAReissueBefore || !sameResources(caIn.cert, &ip, &as)) {
		if err := c.issueCACert(tx, ta, caIn.row, caIn.key, now); err != nil {
			return false, err
		}
		if caIn, err = c.load(tx, CAName); err != nil {
			return false, err
		}
		taDirty = true
	}

	caDirty, err := c.renewROAs(ctx, tx, caIn, roas, now)
	if err != nil {
		return false, err
	}
	classDirty, err := c.renewClasses(ctx, tx, roas, now) // classes.go
	if err != nil {
		return false, err
	}

	mftDue := false
	if caDirty || c.manifestDue(caIn, now) {
		mftDue = true
		if err := c.refreshPublicationPoint(ctx, tx, caIn, now); err != nil {
			return false, err
		}
	} else if err := tx.PutCA(caIn.row); err != nil {
		return false, err
	}
	// Reload the TA: issueCACert may have moved its serial counter.
	if ta, err = c.load(tx, TAName); err != nil {
		return false, err
	}
	if taDirty || c.manifestDue(ta, now) {
		mftDue = true
		if err := c.refreshPublicationPoint(ctx, tx, ta, now); err != nil {
			return false, err
		}
	}
	return mftDue || taDirty || classDirty, nil
}

// ROAReissueMargin is how long before a ROA's notAfter the CA reissues it:
// ROAReissueBefore, capped at half the validity so a short validity does not
// mean "reissue on every tick".
func (t Timing) ROAReissueMargin() time.Duration {
	return min(t.ROAReissueBefore, t.ROAValidity/2)
}

// ManifestReissueMargin is how long before a manifest's (and its CRL's)
// nextUpdate the CA reissues them, capped the same way.
func (t Timing) ManifestReissueMargin() time.Duration {
	return min(t.ManifestReissueBefore, t.ManifestValidity/2)
}

func (c *CA) effectiveROAReissue() time.Duration { return c.cfg.Timing.ROAReissueMargin() }

func (c *CA) effectiveManifestReissue() time.Duration { return c.cfg.Timing.ManifestReissueMargin() }

// manifestDue reports whether the publication point needs a new manifest and
// CRL: missing, or nextUpdate within the reissue margin.
func (c *CA) manifestDue(in *instance, now time.Time) bool {
	return in.row.MftNextUpdate.IsZero() || in.row.MftNextUpdate.Sub(now) < c.effectiveManifestReissue()
}

// sameResources reports whether cert carries exactly the IP and AS resources.
func sameResources(cert *rpki.Certificate, ip *rpki.IPResources, as *rpki.ASResources) bool {
	if !sameIP(cert.IP, ip) {
		return false
	}
	want := as
	if len(as.Ranges) == 0 {
		want = nil // no AS resources: the extension is absent
	}
	switch {
	case cert.AS == nil || want == nil:
		return (cert.AS == nil) == (want == nil)
	case cert.AS.Inherit:
		return false
	}
	a, b := rpki.ASResources{Ranges: slices.Clone(cert.AS.Ranges)}, rpki.ASResources{Ranges: slices.Clone(want.Ranges)}
	a.Canonicalize()
	b.Canonicalize()
	return slices.Equal(a.Ranges, b.Ranges)
}

func sameIP(a, b *rpki.IPResources) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(a.Prefixes(), b.Prefixes()) && strings.EqualFold(famKey(a), famKey(b))
}

func famKey(r *rpki.IPResources) string {
	s := ""
	if r.V4 != nil {
		s += "4"
	}
	if r.V6 != nil {
		s += "6"
	}
	return s
}

// renewROAs reissues ROAs near expiry, issues the missing and withdraws the
// orphaned; it reports whether the CA's publication point changed.
func (c *CA) renewROAs(ctx context.Context, tx *store.Tx, caIn *instance, roas []store.ROA, now time.Time) (bool, error) {
	dirty := false
	objs, err := objectsByURI(tx, caIn.row.Name)
	if err != nil {
		return false, err
	}
	want := make(map[string]bool, len(roas))
	var jobs []roaJob
	for _, r := range roas {
		if c.owner(r.VRP.Prefix) != caIn.row.Name {
			continue // another class's, or no longer held (a parent shrank the resources): withdrawn below
		}
		uri := caIn.row.RepoURI + ROAFileName(r.VRP)
		want[uri] = true
		o, ok := objs[uri]
		if !ok || o.NotAfter.Sub(now) < c.effectiveROAReissue() {
			jobs = append(jobs, roaJob{v: r.VRP, roaID: r.ID})
		}
	}
	for uri, o := range objs {
		if o.Kind == "roa" && !want[uri] {
			if err := c.withdraw(tx, o, now); err != nil {
				return false, err
			}
			delete(objs, uri)
			dirty = true
		}
	}
	if len(jobs) > 0 {
		if err := c.issueROAs(ctx, tx, caIn, jobs, objs, now); err != nil {
			return false, err
		}
		dirty = true
	}
	return dirty, nil
}
