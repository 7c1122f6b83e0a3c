package audit

import (
	"context"
	"fmt"

	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/vrp"
)

// auditBGP counts the ROA and route states of the BGP analysis and reports
// the ROAs and routes that need attention.
func (s *Service) auditBGP(ctx context.Context, res *Result) error {
	an, err := s.opt.BGP.Analysis(ctx)
	if err != nil {
		return err
	}
	res.Counts = map[string]int{}
	for k, n := range an.ROAStates {
		res.Counts["roa:"+k] = n
	}
	for k, n := range an.RouteStates {
		res.Counts["route:"+k] = n
	}
	for _, r := range an.ROAs {
		switch r.State {
		case conflict.ROATooPermissive:
			res.Findings = append(res.Findings, Finding{Code: CodeTooPermissive, Severity: SeverityWarn, Subject: r.ROA.String(),
				Message: fmt.Sprintf("ROA %s authorizes unannounced more-specifics (first: %s; tightest safe maxLength %d; RFC 9319)",
					r.ROA, r.Missing, r.TightestMaxLength)})
		case conflict.ROADisallowing:
			res.Findings = append(res.Findings, Finding{Code: CodeDisallowing, Severity: SeverityWarn, Subject: r.ROA.String(),
				Message: fmt.Sprintf("ROA %s authorizes no seen route and makes %d seen route(s) Invalid", r.ROA, len(r.Disallows))})
		case conflict.ROANotHeld:
			res.Findings = append(res.Findings, Finding{Code: CodeNotHeld, Severity: SeverityError, Subject: r.ROA.String(),
				Message: fmt.Sprintf("ROA %s is outside the CA's resources", r.ROA)})
		}
	}
	for _, r := range an.Routes {
		switch r.State {
		case vrp.ReasonInvalidASN, vrp.ReasonInvalidLength, vrp.ReasonDisallowed:
			origin := fmt.Sprintf("AS%d", r.Route.Origin)
			if r.Route.NoOrigin {
				origin = "AS_SET"
			}
			subject := r.Route.Prefix.String() + " " + origin
			res.Findings = append(res.Findings, Finding{Code: CodeInvalidRoute, Severity: SeverityError, Subject: subject,
				Message: fmt.Sprintf("route %s is Invalid (%s, RFC 6811)", subject, r.State)})
		}
	}
	res.Summary = fmt.Sprintf("%d ROAs, %d routes: %d too-permissive, %d disallowing, %d not held, %d invalid routes",
		len(an.ROAs), len(an.Routes), an.ROAStates[conflict.ROATooPermissive], an.ROAStates[conflict.ROADisallowing],
		an.ROAStates[conflict.ROANotHeld], an.RouteStates[string(vrp.ReasonInvalidASN)]+an.RouteStates[string(vrp.ReasonInvalidLength)]+
			an.RouteStates[string(vrp.ReasonDisallowed)])
	return s.auditImpact(ctx, res)
}
