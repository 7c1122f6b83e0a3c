package daemon

import (
	"context"
	"path/filepath"

	"github.com/roadrpki/road/internal/api"
)

// Status reports the daemon, CA, publication and RTR state.
func (d *Daemon) Status(ctx context.Context) (*api.Status, error) {
	st := &api.Status{Version: d.rt.Version, StartedAt: d.started, Now: d.clock()}
	cs, err := d.ca.Status(ctx)
	if err != nil {
		return nil, err
	}
	st.CA = api.CAStatus{Mode: "testbed", Name: cs.Name, Resources: cs.Resources, CertNotAfter: cs.CertNotAfter,
		ROAs: cs.ROAs, ManifestNext: cs.ManifestNext, TAL: filepath.Join(d.cfg.DataDir, "road.tal"), Keys: d.signer.Kind(),
		KeyRoll: cs.KeyRoll}
	session, serial := d.pub.State()
	st.Publication = api.PublicationStatus{Session: session, Serial: serial,
		Notification: d.cfg.RRDPBase + "notification.xml", RsyncBase: d.cfg.RsyncBase,
		Objects: len(d.pub.Objects()), LastChange: d.lastChange}
	rs := d.rtr.Status()
	st.RTR = api.RTRStatusOf(d.cfg.RTR, rs)
	if st.RP, err = d.RPStatus(ctx); err != nil {
		return nil, err
	}
	st.RP.Rejections = nil // the list is on /rp/status
	st.Ready = d.health.Report(ctx)
	return st, nil
}
