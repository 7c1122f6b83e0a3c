package audit

import (
	"fmt"
	"time"
)

// rpStaleAfter is how old the bundled RP's last run may be before the
// consistency audit reports it: two missed periodic runs and a minute.
func (s *Service) rpStaleAfter() time.Duration {
	return 2*s.opt.RPInterval + time.Minute
}

// auditConsistency reports what the bundled RP's last run found (the diff
// checkConsistency computed against the configured ROAs) and whether that
// run is fresh.
func (s *Service) auditConsistency(res *Result) {
	now := s.clock()
	rs := s.opt.RP.Snapshot()
	last, lastRun, lastErr, diff := rs.Last, rs.LastRun, rs.LastErr, rs
	add := res.add
	res.Counts = map[string]int{CodeMissing: len(diff.Missing), CodeExtra: len(diff.Extra)}
	switch {
	case last == nil && lastErr == nil:
		add(CodeRPNotRun, SeverityError, "", "the bundled relying party has not validated the publication yet")
	case lastErr != nil:
		add(CodeRPError, SeverityError, "", fmt.Sprintf("the last run of the bundled relying party (%s) failed: %v",
			lastRun.UTC().Format(time.RFC3339), lastErr))
	}
	if !lastRun.IsZero() {
		if age := now.Sub(lastRun); age > s.rpStaleAfter() {
			add(CodeRPStale, SeverityError, "", fmt.Sprintf("the bundled relying party last ran %s ago (at %s), more than %s",
				age.Truncate(time.Second), lastRun.UTC().Format(time.RFC3339), s.rpStaleAfter()))
		}
	}
	for _, v := range diff.Missing {
		add(CodeMissing, SeverityError, v.String(), fmt.Sprintf("configured ROA %s is not among the VRPs the bundled relying party validated", v))
	}
	for _, v := range diff.Extra {
		add(CodeExtra, SeverityError, v.String(), fmt.Sprintf("the bundled relying party validated %s, which is not configured", v))
	}
	if last != nil {
		res.Counts["vrps"], res.Counts[CodeRejected] = len(last.VRPs), len(last.Rejected)
		for _, x := range last.Rejected {
			add(CodeRejected, SeverityError, x.URI, fmt.Sprintf("the bundled relying party rejected %s: %s %s", x.URI, x.Reason, x.Detail))
		}
	}
	res.Summary = fmt.Sprintf("last RP run %s: %d VRPs validated, %d configured ROAs missing, %d extra, %d objects rejected",
		orNever(lastRun), res.Counts["vrps"], len(diff.Missing), len(diff.Extra), res.Counts[CodeRejected])
}

func orNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
