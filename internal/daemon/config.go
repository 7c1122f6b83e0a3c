package daemon

import (
	"log/slog"
	"time"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/bgp"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/waves"
)

// Runtime is what the process or a test hands the daemon besides the
// validated config.Config: dependencies and cadences, never a user setting.
type Runtime struct {
	Logger         *slog.Logger     // nil: discard
	Clock          func() time.Time // nil: time.Now
	Version        string
	KeyPoolSize    int           // one-time EE keys kept ready (0: 16)
	RenewInterval  time.Duration // how often renewal checks what is due (0: 10 s)
	RPInterval     time.Duration // re-validation of road's own publication (0: DefaultRPInterval)
	WebhookTimeout time.Duration // one alert POST (0: audit's default)
}

// caTiming and the functions below map the configuration onto the parts'
// own option types.
func caTiming(c *config.Config) ca.Timing {
	t := ca.DefaultTiming()
	t.ROAValidity, t.ROAReissueBefore = c.Timing.ROAValidity, c.Timing.ROAReissueBefore
	t.ManifestValidity, t.ManifestReissueBefore = c.Timing.ManifestValidity, c.Timing.ManifestReissueBefore
	return t
}

func asRanges(c *config.Config) (as []rpki.ASRange) {
	for _, r := range c.ASNs {
		as = append(as, rpki.ASRange{Min: r.Min, Max: r.Max})
	}
	return as
}

func rtrConfig(c *config.Config) rtr.Config {
	sec := func(s uint32) time.Duration { return time.Duration(s) * time.Second }
	t, l := c.RTRTimers, c.RTRLimits
	return rtr.Config{Refresh: sec(t.Refresh), Retry: sec(t.Retry), Expire: sec(t.Expire), NotifyInterval: t.NotifyInterval,
		HandshakeTimeout: l.HandshakeTimeout, PDUTimeout: l.PDUTimeout, SessionTimeout: l.SessionTimeout,
		MaxConnections: l.MaxConnections, MaxPerSource: l.MaxPerSource, Waves: waves.RTRGroups(c.RTRWaves)}
}

func bgpOptions(c *config.Config) liveroutes.Options {
	b := c.BGP
	o := liveroutes.Options{Listen: b.Listen, ASN: b.ASN, HoldAfterDown: b.HoldAfterDown, SyncTimeout: b.SyncTimeout}
	if b.RouterID.IsValid() {
		o.RouterID = b.RouterID.String()
	}
	for _, p := range b.Peers {
		o.Peers = append(o.Peers, bgp.Peer{ASN: p.ASN, Address: p.Address.String()})
	}
	return o
}

func auditOptions(c *config.Config, rt Runtime) (audit.ScheduleOptions, audit.AlertOptions) {
	s := c.Schedule
	return audit.ScheduleOptions{Expiry: s.ExpiryAudit, Consistency: s.ConsistencyAudit, BGP: s.BGPAudit},
		audit.AlertOptions{ExpiryWarning: c.Alerts.ExpiryWarning, Webhook: c.Alerts.Webhook, WebhookTimeout: rt.WebhookTimeout}
}

// rpMaxLoss: rprun reads 0 as its default, so a configured 0 (no
// unexplained loss tolerated) becomes the smallest share instead.
func rpMaxLoss(c *config.Config) float64 {
	if c.RP.MaxVRPLoss == 0 {
		return 1e-12
	}
	return c.RP.MaxVRPLoss
}
