package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/expiry"
	"github.com/roadrpki/road/internal/store"
)

// expiryInputs reads the published objects and the bundled RP's last VRPs.
func (s *Service) expiryInputs(ctx context.Context) ([]expiry.Object, []expiry.VRP, time.Time, error) {
	var objs []expiry.Object
	if err := s.st.View(ctx, func(tx *store.Tx) error {
		stored, err := tx.ObjectExpiries() // with a parent-issued CA certificate
		for _, o := range stored {
			objs = append(objs, expiry.Object{URI: o.URI, Kind: o.Kind, NotAfter: o.NotAfter})
		}
		return err
	}); err != nil {
		return nil, nil, time.Time{}, err
	}
	last := s.opt.RP.Snapshot().Last
	var vrps []expiry.VRP
	var rpRun time.Time
	if last != nil {
		rpRun = last.Time
		for _, v := range last.VRPs {
			vrps = append(vrps, expiry.VRP{VRP: v.VRP, Expires: v.Expires})
		}
	}
	return objs, vrps, rpRun, nil
}

func (s *Service) expiryWarning() time.Duration {
	if w := s.opt.Alerts.ExpiryWarning; w > 0 {
		return w
	}
	return DefaultExpiryWarning
}

// renewalOverdue is how close a manifest/CRL nextUpdate may come before its
// renewal counts as overdue: half the margin at which the CA reissues them
// (ca.Timing.ManifestReissueMargin).
func (s *Service) renewalOverdue() time.Duration {
	t := s.opt.Timing
	if t.ManifestValidity <= 0 {
		t = ca.DefaultTiming()
	}
	return t.ManifestReissueMargin() / 2
}

func (s *Service) auditExpiry(ctx context.Context, res *Result) error {
	objs, vrps, _, err := s.expiryInputs(ctx)
	if err != nil {
		return err
	}
	warn := s.expiryWarning()
	fs := expiry.Audit(s.clock(), expiry.Policy{Warning: warn, Renewal: s.renewalOverdue()}, objs, vrps)
	res.Counts = map[string]int{"objects": len(objs), "vrps": len(vrps)}
	for _, f := range fs {
		res.Counts[f.Code]++
		res.Findings = append(res.Findings, Finding{Code: f.Code, Severity: f.Severity,
			Subject: f.Kind + " " + f.Name, Expires: f.Expires, Message: f.Message})
	}
	window := warn.String()
	if r := s.renewalOverdue(); r < warn {
		window += fmt.Sprintf(" (%s for manifests, CRLs and the VRPs they bound)", r)
	}
	res.Summary = fmt.Sprintf("%d objects, %d VRPs: %d expired, %d stale, %d expiring within %s",
		len(objs), len(vrps), res.Counts[CodeExpired], res.Counts[CodeStale], res.Counts[CodeExpiring], window)
	return nil
}

// Expiry lists the published objects and the bundled RP's VRPs by
// effective expiry, soonest first.
func (s *Service) Expiry(ctx context.Context, within time.Duration) (*ExpiryList, error) {
	objs, vrps, rpRun, err := s.expiryInputs(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock().UTC()
	return &ExpiryList{Now: now, RPRun: rpRun.UTC(), Within: within, Items: expiry.List(now, objs, vrps, within)}, nil
}

// ExpiryList is what expires when: published objects and the bundled RP's
// VRPs, soonest first.
type ExpiryList struct {
	Now    time.Time
	RPRun  time.Time     // when the RP validated the VRPs listed (zero: no run yet)
	Within time.Duration // 0: everything
	Items  []expiry.Item
}
