// Package expiry computes what of the publication expires when and the expiry
// audit's findings. It is pure: objects, VRPs and the time come in, sorted
// items and findings go out.
package expiry

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// Object kinds as the store records them, and the kind of a VRP item.
const (
	KindCer = "cer"
	KindCRL = "crl"
	KindMft = "mft"
	KindROA = "roa"
	KindVRP = "vrp"
)

// Finding codes of the expiry audit.
const (
	// Expired: a certificate, ROA or VRP whose (effective) expiry passed.
	Expired = "expired"
	// Stale: a manifest or CRL whose nextUpdate passed (RFC 9286 §6.3; RFC
	// 6487 §5 for the CRL): relying parties treat the publication point as stale.
	Stale = "stale"
	// Expiring: the expiry is within the warning window.
	Expiring = "expiring"
)

// Object is one published object: for a certificate or ROA NotAfter is the
// (EE) certificate's notAfter, for a manifest or CRL its nextUpdate.
type Object struct {
	URI      string
	Kind     string // cer, crl, mft, roa
	NotAfter time.Time
}

// VRP is a validated ROA payload with its effective expiry: the earliest
// notAfter/nextUpdate along its chain from the trust anchor.
type VRP struct {
	VRP     vrp.VRP
	Expires time.Time
}

// Item is one thing that expires.
type Item struct {
	Kind    string        `json:"kind"` // cer, crl, mft, roa, vrp
	Name    string        `json:"name"` // the object's URI, or the VRP as "PREFIX[-MAX] => ASN"
	Expires time.Time     `json:"expires"`
	In      time.Duration `json:"-"` // Expires - now; negative when past
}

// Finding is one result of the expiry audit.
type Finding struct {
	Code     string    `json:"code"`     // expired, stale, expiring
	Severity string    `json:"severity"` // "error" (past), "warn" (within the window)
	Kind     string    `json:"kind"`
	Name     string    `json:"name"`
	Expires  time.Time `json:"expires"`
	Message  string    `json:"message"`
}

// List returns the objects and VRPs sorted by expiry (then kind, then name).
// With within > 0 only those expiring before now+within are kept (past ones included).
func List(now time.Time, objs []Object, vrps []VRP, within time.Duration) []Item {
	out := []Item{}
	add := func(kind, name string, exp time.Time) {
		if within > 0 && !exp.Before(now.Add(within)) {
			return
		}
		out = append(out, Item{Kind: kind, Name: name, Expires: exp.UTC(), In: exp.Sub(now)})
	}
	for _, o := range objs {
		add(o.Kind, o.URI, o.NotAfter)
	}
	for _, v := range vrps {
		add(KindVRP, v.VRP.String(), v.Expires)
	}
	slices.SortFunc(out, func(a, b Item) int {
		return cmp.Or(a.Expires.Compare(b.Expires), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Policy says how close an expiry must be to be worth a warning.
type Policy struct {
	// Warning is the window for certificates and ROAs (alerts.expiry_warning).
	Warning time.Duration
	// Renewal, when set, is the window for what is renewed routinely and
	// lives shorter than Warning: manifests, CRLs, and VRPs whose effective
	// expiry is a manifest's or CRL's nextUpdate. road reissues those well
	// before they expire, so only an expiry closer than Renewal (renewal
	// overdue) is worth a warning; without it every 24 h manifest would always
	// be "expiring" within a 72 h window.
	Renewal time.Duration
}

// Audit returns a finding for every object or VRP whose expiry has passed or
// falls within the policy's window, in List order. An expiry exactly at now
// counts as passed (nothing is valid at its nextUpdate instant onwards for
// our purpose).
func Audit(now time.Time, p Policy, objs []Object, vrps []VRP) []Finding {
	out := []Finding{}
	pointBound := map[time.Time]bool{} // nextUpdate instants of manifests and CRLs
	for _, o := range objs {
		if o.Kind == KindMft || o.Kind == KindCRL {
			pointBound[o.NotAfter.UTC()] = true
		}
	}
	for _, it := range List(now, objs, vrps, 0) {
		f := Finding{Kind: it.Kind, Name: it.Name, Expires: it.Expires}
		warning := p.Warning
		routine := it.Kind == KindMft || it.Kind == KindCRL || (it.Kind == KindVRP && pointBound[it.Expires])
		if routine && p.Renewal > 0 {
			warning = min(warning, p.Renewal)
		}
		switch {
		case it.In <= 0 && (it.Kind == KindMft || it.Kind == KindCRL):
			f.Code, f.Severity = Stale, "error"
			f.Message = fmt.Sprintf("%s %s: nextUpdate %s passed %s ago (stale, RFC 9286 §6.3)",
				it.Kind, it.Name, it.Expires.Format(time.RFC3339), -it.In)
		case it.In <= 0:
			f.Code, f.Severity = Expired, "error"
			f.Message = fmt.Sprintf("%s %s expired at %s, %s ago", it.Kind, it.Name, it.Expires.Format(time.RFC3339), -it.In)
		case it.In <= warning:
			f.Code, f.Severity = Expiring, "warn"
			f.Message = fmt.Sprintf("%s %s expires at %s, in %s (warning window %s)",
				it.Kind, it.Name, it.Expires.Format(time.RFC3339), it.In, warning)
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}
