package waves

import (
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rtr"
)

// RTRGroups are the configured waves as the RTR server groups routers.
func RTRGroups(c config.RTRWaves) []rtr.WaveGroup {
	var out []rtr.WaveGroup
	for _, w := range c.Waves {
		out = append(out, rtr.WaveGroup{Name: w.Name, Sources: w.Sources, CertNames: w.CertNames})
	}
	return out
}

// ConfigFor is the controller's configuration from the configured waves,
// serving through srv and keeping its state in stateFile; the caller adds
// the clock, logger, registry and (road serve) the live routes.
func ConfigFor(c config.RTRWaves, srv Server, stateFile string) Config {
	cfg := Config{Server: srv, StateFile: stateFile, CheckInterval: c.CheckInterval,
		Health: Health{MaxInvalid: c.MaxInvalid, Command: c.HealthCommand, URL: c.HealthURL, Timeout: c.HealthTimeout}}
	for _, w := range c.Waves {
		cfg.Groups = append(cfg.Groups, Group{Name: w.Name, Hold: w.Hold})
	}
	return cfg
}
