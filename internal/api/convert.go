package api

import (
	"time"

	"github.com/roadrpki/road/internal/audit"
)

// The wire shapes of the domain results: the handlers answer with these.

func auditResult(r audit.Result) *AuditResult {
	out := &AuditResult{ID: r.ID, Kind: r.Kind, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, OK: r.OK,
		Summary: r.Summary, FindingCount: r.FindingCount, Counts: r.Counts, Truncated: r.Truncated}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, AuditFinding{Code: f.Code, Severity: f.Severity, Subject: f.Subject,
			Expires: f.Expires, Message: f.Message})
	}
	return out
}

func expiryList(l *audit.ExpiryList) *ExpiryList {
	out := &ExpiryList{Now: l.Now, RPRun: l.RPRun, Items: []ExpiryItem{}}
	if l.Within > 0 {
		out.Within = FormatDuration(l.Within)
	}
	for _, it := range l.Items {
		out.Items = append(out.Items, ExpiryItem{Kind: it.Kind, Name: it.Name, Expires: it.Expires,
			In: it.In.Truncate(time.Second).String()})
	}
	return out
}
