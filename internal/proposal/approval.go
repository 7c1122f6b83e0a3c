package proposal

import (
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// Policy is the two-person rule: which changes wait, pending, until a second
// token with the approver or admin role approves them. Its fields match
// config.Approval's, so the daemon converts one into the other.
type Policy struct {
	Force        bool // any forced change (--force)
	OriginChange bool // a change authorizing another origin AS for an announced prefix
	RemovesValid bool // a removal of a ROA that validates a seen route
	// MaxAddresses: a change whose ROAs cover more addresses than this
	// (additions and removals together; 0: off).
	MaxAddresses int
	Expiry       time.Duration // a pending change expires this long after it was proposed
	// MaxHarmedRoutes: a change whose impact report counts more harmed
	// routes (turning Invalid) than this (0: off).
	MaxHarmedRoutes int
	// ExternalVRPs is an external relying party's VRP JSON (http(s) URL,
	// "" for none), polled every ExternalInterval: when it shows an applied
	// change, the change's timeline gets the stage StageExternal (external.go).
	ExternalVRPs     string
	ExternalInterval time.Duration
}

// DefaultExpiry is Policy.Expiry when it is unset.
const DefaultExpiry = 24 * time.Hour

// Reasons of the policy, as a pending change lists them.
const (
	NeedsForce        = "forced"
	NeedsOriginChange = "origin-change"
	NeedsRemovesValid = "removes-valid"
	NeedsMaxAddresses = "max-addresses"
	NeedsFlagged      = "flagged-token"
	NeedsHarmedRoutes = "harmed-routes"
)

// reasons lists why the change in needs a second approver under p (nil:
// it needs none). rep is the change's impact report (nil: none). routes is
// read only when a switch that needs it is on.
func (p Policy) reasons(req *Request, in *parsed, rep *impact.Report, routes func() route.Source) []string {
	var out []string
	if p.Force && req.Force {
		out = append(out, NeedsForce)
	}
	if p.OriginChange || p.RemovesValid {
		src := routes()
		if p.OriginChange && originChange(in.adds, src) {
			out = append(out, NeedsOriginChange)
		}
		if p.RemovesValid && removesValid(in.removes, src) {
			out = append(out, NeedsRemovesValid)
		}
	}
	if p.MaxAddresses > 0 && addresses(in) > uint64(p.MaxAddresses) {
		out = append(out, NeedsMaxAddresses)
	}
	if p.MaxHarmedRoutes > 0 && rep != nil && rep.HarmedRoutes > p.MaxHarmedRoutes {
		out = append(out, NeedsHarmedRoutes)
	}
	if req.Flagged {
		out = append(out, NeedsFlagged)
	}
	return out
}

// Explain is the sentence a pending change shows for a reason.
func (p Policy) Explain(reason string) string {
	switch reason {
	case NeedsForce:
		return "the change is forced ([approval] force)"
	case NeedsOriginChange:
		return "it authorizes another origin AS for an announced prefix ([approval] origin_change)"
	case NeedsRemovesValid:
		return "it removes a ROA that validates seen routes ([approval] removes_valid)"
	case NeedsMaxAddresses:
		return fmt.Sprintf("it touches more than %d addresses ([approval] max_addresses)", p.MaxAddresses)
	case NeedsHarmedRoutes:
		return fmt.Sprintf("it turns more than %d route(s) Invalid ([approval] max_harmed_routes)", p.MaxHarmedRoutes)
	case NeedsFlagged:
		return "the proposing token is flagged (roactl token flag)"
	}
	return reason
}

// originChange reports whether an added ROA authorizes an origin other than
// the one announcing a route it covers (RFC 6811 §2: the route's prefix is
// the ROA's or a more-specific within its maxLength): a new origin for an
// announced prefix, the shape of a hijack signed by the holder's own CA.
func originChange(adds []ca.NewROA, src route.Source) bool {
	for _, a := range adds {
		found := false
		src.Within(a.VRP.Prefix, func(r route.Route) bool {
			if r.Prefix.Bits() <= int(a.VRP.MaxLen) && (r.NoOrigin || r.Origin != a.VRP.ASN) {
				found = true
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// removesValid reports whether a removed ROA matches a seen route: covers
// it within its maxLength with the route's origin (RFC 6811 §2, Valid).
func removesValid(removes []vrp.VRP, src route.Source) bool {
	for _, v := range removes {
		found := false
		src.Within(v.Prefix, func(r route.Route) bool {
			found = r.Prefix.Bits() <= int(v.MaxLen) && !r.NoOrigin && r.Origin == v.ASN
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// addresses counts the addresses of every added and removed ROA's prefix,
// saturating at 2^62 (an IPv6 /66 and shorter all count as "very many").
func addresses(in *parsed) uint64 {
	const limit = uint64(1) << 62
	var n uint64
	add := func(p vrp.VRP) {
		host := p.Prefix.Addr().BitLen() - p.Prefix.Bits()
		if host >= 62 {
			n = limit
			return
		}
		n = min(n+uint64(1)<<host, limit)
	}
	for _, a := range in.adds {
		add(a.VRP)
	}
	for _, v := range in.removes {
		add(v)
	}
	return n
}
