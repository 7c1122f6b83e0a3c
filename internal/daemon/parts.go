package daemon

import (
	"cmp"
	"context"
	"time"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/delegation"
	"github.com/roadrpki/road/internal/health"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/proposal"
)

// wire builds the parts that need the store, the CA and the publication:
// the proposal path, the audits and the readiness checks.
func (d *Daemon) wire() {
	clock := func() time.Time { return d.clock() } // tests move d.clock after Open
	d.routes = liveroutes.New(liveroutes.Config{DataDir: d.cfg.DataDir, BGP: bgpOptions(d.cfg), Store: d.st,
		Logger: d.log, Clock: clock, Registry: d.reg})
	d.props = proposal.New(proposal.Config{Store: d.st, CA: d.ca, Routes: d.routes, Publish: d.publish,
		Serial: func() uint64 { _, s := d.pub.State(); return s }, Clock: clock, Logger: d.log, Registry: d.reg,
		Impact: proposal.Thresholds(d.cfg.Impact), Approval: proposal.Policy(d.cfg.Approval),
		PropagationAlarm: d.cfg.PropagationAlarm, Alarm: func(ctx context.Context, v any) { d.audits.Alarm(ctx, v) }})
	d.audits = audit.New(d.auditConfig(rpView{d.rp}))
	d.deleg = delegation.New(delegation.Config{Store: d.st, CA: d.ca, Settings: d.cfg.Delegation, Keys: d.signer, RsyncBase: d.cfg.RsyncBase,
		Changed: d.publish, Withdrawn: func(ctx context.Context) error { _, err := d.audits.RunAudit(ctx, audit.BGP); return err },
		Clock: clock, Logger: d.log.With("pkg", "delegation")})
	d.health = health.New(health.Sources{Listeners: func() bool { l := d.listeners.Load(); return l != nil && l.IsBound() },
		Store: d.st, RP: d.rp, RPInterval: cmp.Or(d.rt.RPInterval, DefaultRPInterval), Publisher: d.pub, Clock: clock})
}

// auditConfig is the audits' configuration, reading the RP through view.
func (d *Daemon) auditConfig(view audit.RPView) audit.Config {
	clock := func() time.Time { return d.clock() }
	schedule, alerts := auditOptions(d.cfg, d.rt)
	return audit.Config{Store: d.st, RP: view, BGP: d.props, Impact: d.props, Timing: caTiming(d.cfg),
		RPInterval: cmp.Or(d.rt.RPInterval, DefaultRPInterval), Schedule: schedule, Alerts: alerts,
		Clock: clock, Logger: d.log, Errors: d.metrics.errors, Version: d.rt.Version, Registry: d.reg}
}
