package api

import (
	"time"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/proposal"
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

func proposalRequest(r *ProposalRequest) *proposal.Request {
	return &proposal.Request{Add: proposalROAs(r.Add), Remove: proposalROAs(r.Remove), DryRun: r.DryRun, Force: r.Force,
		Reason: r.Reason}
}

func proposalROAs(rs []ROA) []proposal.ROA {
	var out []proposal.ROA
	for _, r := range rs {
		out = append(out, proposal.ROA(r))
	}
	return out
}

func wireROAs(rs []proposal.ROA) []ROA {
	var out []ROA
	for _, r := range rs {
		out = append(out, ROA(r))
	}
	return out
}

func wireFindings(fs []proposal.Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		w := Finding{Kind: f.Kind, Severity: f.Severity, Overridable: f.Overridable, Message: f.Message}
		if f.ROA != nil {
			r := ROA(*f.ROA)
			w.ROA = &r
		}
		if f.Route != nil {
			r := RouteRef(*f.Route)
			w.Route = &r
		}
		if f.Intent != nil {
			i := IntentRef(*f.Intent)
			w.Intent = &i
		}
		out = append(out, w)
	}
	return out
}

func proposalResult(r *proposal.Result) *ProposalResult {
	out := &ProposalResult{Applied: r.Applied, DryRun: r.DryRun, Blocked: r.Blocked, Overridden: r.Overridden,
		Findings: wireFindings(r.Findings), Added: wireROAs(r.Added), Removed: wireROAs(r.Removed), Serial: r.Serial,
		Pending: r.Pending, ChangeID: r.ChangeID, Approval: r.Approval}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	if r.Impact != nil {
		out.Impact = impactOf(*r.Impact)
	}
	return out
}

func roaList(l []proposal.ROAEntry) *ROAList {
	out := &ROAList{ROAs: []ROAEntry{}}
	for _, e := range l {
		out.ROAs = append(out.ROAs, ROAEntry{ROA: ROA(e.ROA), Object: e.Object, NotAfter: e.NotAfter, State: e.State,
			CreatedAt: e.CreatedAt})
	}
	return out
}

func intentOf(in *Intent) *proposal.Intent {
	return &proposal.Intent{Prefix: in.Prefix, Origin: in.Origin, Note: in.Note, CreatedAt: in.CreatedAt}
}

func intentList(l []proposal.Intent) *IntentList {
	out := &IntentList{Intents: []Intent{}}
	for _, in := range l {
		out.Intents = append(out.Intents, Intent(in))
	}
	return out
}

func historyList(l []proposal.HistoryEntry) *HistoryList {
	out := &HistoryList{Entries: []HistoryEntry{}}
	for _, h := range l {
		c := h.Change
		name, says := splitActor(h.Actor)
		out.Entries = append(out.Entries, HistoryEntry{ID: h.ID, At: h.At, Actor: name, ActorRemark: says, Action: h.Action,
			Summary: h.Summary, Added: wireROAs(c.Added), Removed: wireROAs(c.Removed), Findings: wireFindings(c.Findings),
			Forced: c.Forced, Reason: c.Reason, Serial: c.Serial, ChangeID: c.ChangeID, Approver: c.Approver})
	}
	return out
}

func routeList(l *liveroutes.RouteList) *BGPRouteList {
	out := &BGPRouteList{Routes: []BGPRoute{}, Total: l.Total, Truncated: l.Truncated}
	for _, e := range l.Routes {
		out.Routes = append(out.Routes, BGPRoute{Prefix: e.Prefix.String(), Origin: e.Origin, NoOrigin: e.NoOrigin,
			Peers: e.Peers, LastSeen: e.LastSeen})
	}
	return out
}

func peerList(l *liveroutes.PeerList) *BGPPeerList {
	out := &BGPPeerList{Listen: l.Listen, ASN: l.ASN, Peers: []BGPPeer{}}
	for _, p := range l.Peers {
		bp := BGPPeer{Address: p.Address, ASN: p.ASN, State: p.State, Synced: p.Synced, Received: p.Received}
		if p.Uptime > 0 {
			bp.Uptime = p.Uptime.String()
		}
		out.Peers = append(out.Peers, bp)
	}
	return out
}
