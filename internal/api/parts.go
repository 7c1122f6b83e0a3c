package api

import (
	"context"
	"io"
	"time"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/proposal"
)

// Proposals is what the API asks internal/proposal.
type Proposals interface {
	ROAs(ctx context.Context) ([]proposal.ROAEntry, error)
	Propose(ctx context.Context, actor string, req *proposal.Request) (*proposal.Result, error)
	Intents(ctx context.Context) ([]proposal.Intent, error)
	AddIntent(ctx context.Context, actor string, in *proposal.Intent) error
	RemoveIntent(ctx context.Context, actor string, in *proposal.Intent) error
	History(ctx context.Context, limit int) ([]proposal.HistoryEntry, error)
	Analysis(ctx context.Context) (conflict.Analysis, error)
	Suggestions(ctx context.Context) (conflict.Suggestion, error)
	Resilience(ctx context.Context) (impact.Resilience, error)
	ChangeBackend
}

// Routes is what the API asks internal/liveroutes.
type Routes interface {
	List(ctx context.Context, prefix string, limit int) (*liveroutes.RouteList, error)
	Import(ctx context.Context, actor, name string, body io.Reader) (*liveroutes.ImportResult, error)
	RemoveImport(ctx context.Context, actor, name string) error
	Peers(ctx context.Context) (*liveroutes.PeerList, error)
}

// Audits is what the API asks internal/audit.
type Audits interface {
	RunAudit(ctx context.Context, kind string) (*audit.Result, error)
	Audits(ctx context.Context, kind string, limit int) ([]audit.Result, error)
	Expiry(ctx context.Context, within time.Duration) (*audit.ExpiryList, error)
}

// Node is what the API asks the running daemon itself.
type Node interface {
	Status(ctx context.Context) (*Status, error)
	RPVRPs(ctx context.Context) ([]byte, error)
	RPStatus(ctx context.Context) (*RPStatus, error)
}

// Parts is the Backend made of the rooms that own each call.
type Parts struct {
	Proposals Proposals
	Routes    Routes
	Auditor   Audits
	Node      Node
	Waves     Waves // RTR waves (waves.go)
	// Delegation is road's parents and repository (delegation.go).
	Delegation Delegation
	// Publication is the publication guard (publish override); nil: none.
	Publication Publication
	Parent      // children and publishers (internal/parent)
}

var _ Backend = Parts{}

func (p Parts) RPVRPs(ctx context.Context) ([]byte, error)      { return p.Node.RPVRPs(ctx) }
func (p Parts) RPStatus(ctx context.Context) (*RPStatus, error) { return p.Node.RPStatus(ctx) }
func (p Parts) ROAs(ctx context.Context) ([]proposal.ROAEntry, error) {
	return p.Proposals.ROAs(ctx)
}
func (p Parts) Propose(ctx context.Context, actor string, req *proposal.Request) (*proposal.Result, error) {
	return p.Proposals.Propose(ctx, actor, req)
}
func (p Parts) Intents(ctx context.Context) ([]proposal.Intent, error) {
	return p.Proposals.Intents(ctx)
}
func (p Parts) AddIntent(ctx context.Context, actor string, in *proposal.Intent) error {
	return p.Proposals.AddIntent(ctx, actor, in)
}
func (p Parts) RemoveIntent(ctx context.Context, actor string, in *proposal.Intent) error {
	return p.Proposals.RemoveIntent(ctx, actor, in)
}
func (p Parts) History(ctx context.Context, limit int) ([]proposal.HistoryEntry, error) {
	return p.Proposals.History(ctx, limit)
}
func (p Parts) BGPAnalysis(ctx context.Context) (conflict.Analysis, error) {
	return p.Proposals.Analysis(ctx)
}
func (p Parts) BGPSuggestions(ctx context.Context) (conflict.Suggestion, error) {
	return p.Proposals.Suggestions(ctx)
}
func (p Parts) BGPResilience(ctx context.Context) (impact.Resilience, error) {
	return p.Proposals.Resilience(ctx)
}
func (p Parts) BGPRoutes(ctx context.Context, prefix string, limit int) (*liveroutes.RouteList, error) {
	return p.Routes.List(ctx, prefix, limit)
}
func (p Parts) BGPImport(ctx context.Context, actor, name string, body io.Reader) (*liveroutes.ImportResult, error) {
	return p.Routes.Import(ctx, actor, name, body)
}
func (p Parts) BGPRemoveImport(ctx context.Context, actor, name string) error {
	return p.Routes.RemoveImport(ctx, actor, name)
}
func (p Parts) BGPPeers(ctx context.Context) (*liveroutes.PeerList, error) {
	return p.Routes.Peers(ctx)
}
func (p Parts) RunAudit(ctx context.Context, kind string) (*audit.Result, error) {
	return p.Auditor.RunAudit(ctx, kind)
}
func (p Parts) Audits(ctx context.Context, kind string, limit int) ([]audit.Result, error) {
	return p.Auditor.Audits(ctx, kind, limit)
}
func (p Parts) Expiry(ctx context.Context, within time.Duration) (*audit.ExpiryList, error) {
	return p.Auditor.Expiry(ctx, within)
}
func (p Parts) Changes(ctx context.Context, state string, limit int) ([]proposal.ChangeInfo, error) {
	return p.Proposals.Changes(ctx, state, limit)
}
func (p Parts) Change(ctx context.Context, id int64) (*proposal.ChangeInfo, error) {
	return p.Proposals.Change(ctx, id)
}
func (p Parts) Approve(ctx context.Context, by proposal.Actor, id int64, d proposal.Decision) (*proposal.Result, error) {
	return p.Proposals.Approve(ctx, by, id, d)
}
func (p Parts) Reject(ctx context.Context, by proposal.Actor, id int64, reason string) (*proposal.ChangeInfo, error) {
	return p.Proposals.Reject(ctx, by, id, reason)
}
func (p Parts) Revert(ctx context.Context, actor string, rr *proposal.RevertRequest) (*proposal.Result, error) {
	return p.Proposals.Revert(ctx, actor, rr)
}
