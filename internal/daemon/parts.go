package daemon

import (
	"cmp"
	"context"
	"io"
	"time"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/proposal"
)

// wire builds the parts that need the store, the CA and the publication:
// the proposal path and the audits.
func (d *Daemon) wire() {
	clock := func() time.Time { return d.clock() } // tests move d.clock after Open
	d.routes = liveroutes.New(liveroutes.Config{DataDir: d.cfg.DataDir, BGP: bgpOptions(d.cfg), Store: d.st,
		Logger: d.log, Clock: clock, Registry: d.reg})
	d.props = proposal.New(proposal.Config{Store: d.st, CA: d.ca, Routes: d.routes, Publish: d.publish,
		Serial: func() uint64 { _, s := d.pub.State(); return s }, Clock: clock, Logger: d.log, Registry: d.reg})
	d.audits = audit.New(d.auditConfig(rpView{d.rp}))
}

// auditConfig is the audits' configuration, reading the RP through view.
func (d *Daemon) auditConfig(view audit.RPView) audit.Config {
	clock := func() time.Time { return d.clock() }
	schedule, alerts := auditOptions(d.cfg, d.rt)
	return audit.Config{Store: d.st, RP: view, BGP: d.props, Timing: caTiming(d.cfg),
		RPInterval: cmp.Or(d.rt.RPInterval, DefaultRPInterval), Schedule: schedule, Alerts: alerts,
		Clock: clock, Logger: d.log, Errors: d.metrics.errors, Version: d.rt.Version}
}

// The REST backend (api.Backend): each call goes to the part that owns it.

func (d *Daemon) ROAs(ctx context.Context) ([]proposal.ROAEntry, error)  { return d.props.ROAs(ctx) }
func (d *Daemon) Intents(ctx context.Context) ([]proposal.Intent, error) { return d.props.Intents(ctx) }
func (d *Daemon) History(ctx context.Context, n int) ([]proposal.HistoryEntry, error) {
	return d.props.History(ctx, n)
}
func (d *Daemon) Propose(ctx context.Context, who string, r *proposal.Request) (*proposal.Result, error) {
	return d.props.Propose(ctx, who, r)
}
func (d *Daemon) AddIntent(ctx context.Context, who string, in *proposal.Intent) error {
	return d.props.AddIntent(ctx, who, in)
}
func (d *Daemon) RemoveIntent(ctx context.Context, who string, in *proposal.Intent) error {
	return d.props.RemoveIntent(ctx, who, in)
}
func (d *Daemon) BGPAnalysis(ctx context.Context) (conflict.Analysis, error) {
	return d.props.Analysis(ctx)
}
func (d *Daemon) BGPSuggestions(ctx context.Context) (conflict.Suggestion, error) {
	return d.props.Suggestions(ctx)
}
func (d *Daemon) BGPRoutes(ctx context.Context, p string, n int) (*liveroutes.RouteList, error) {
	return d.routes.List(ctx, p, n)
}
func (d *Daemon) BGPImport(ctx context.Context, who, name string, body io.Reader) (*liveroutes.ImportResult, error) {
	return d.routes.Import(ctx, who, name, body)
}
func (d *Daemon) BGPRemoveImport(ctx context.Context, who, name string) error {
	return d.routes.RemoveImport(ctx, who, name)
}
func (d *Daemon) BGPPeers(ctx context.Context) (*liveroutes.PeerList, error) {
	return d.routes.Peers(ctx)
}
func (d *Daemon) RunAudit(ctx context.Context, kind string) (*audit.Result, error) {
	return d.audits.RunAudit(ctx, kind)
}
func (d *Daemon) Audits(ctx context.Context, kind string, n int) ([]audit.Result, error) {
	return d.audits.Audits(ctx, kind, n)
}
func (d *Daemon) Expiry(ctx context.Context, within time.Duration) (*audit.ExpiryList, error) {
	return d.audits.Expiry(ctx, within)
}
