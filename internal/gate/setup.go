package gate

import (
	"path/filepath"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rp"
)

// Setup completes gc from road's settings: the gate (unless publish.gate
// is off) validates from DataDir/road.tal in scratch caches under
// DataDir/gate, remembering parsed objects between checks; refusals are
// posted to [alerts] webhook when it is set, as the audits' are.
func Setup(c *config.Config, gc GuardConfig) GuardConfig {
	p := c.Publish
	gc.MaxShrink = p.MaxShrink
	if p.Gate {
		gc.Gate = New(Config{TALPath: filepath.Join(c.DataDir, "road.tal"), RsyncBase: c.RsyncBase, Command: p.GateCommand,
			Timeout: p.GateTimeout, WorkDir: filepath.Join(c.DataDir, "gate"), Memo: &rp.Memo{}, Logger: gc.Logger, TAL: gc.TAL})
	}
	if c.Alerts.Webhook != "" && gc.Alert == nil {
		gc.Alert = (&audit.Webhook{URL: c.Alerts.Webhook, UserAgent: "road"}).Send
	}
	return gc
}
