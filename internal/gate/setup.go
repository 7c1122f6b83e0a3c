package gate

import (
	"path/filepath"

	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/rp"
)

// Setup completes gc from road's [publish] settings: the gate (unless
// publish.gate is off) validates from DataDir/road.tal in scratch caches
// under DataDir/gate, remembering parsed objects between checks.
func Setup(p config.Publish, dataDir, rsyncBase string, gc GuardConfig) GuardConfig {
	gc.MaxShrink = p.MaxShrink
	if p.Gate {
		gc.Gate = New(Config{TALPath: filepath.Join(dataDir, "road.tal"), RsyncBase: rsyncBase, Command: p.GateCommand,
			Timeout: p.GateTimeout, WorkDir: filepath.Join(dataDir, "gate"), Memo: &rp.Memo{}, Logger: gc.Logger})
	}
	return gc
}
