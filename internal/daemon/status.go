package daemon

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// Status reports the daemon, CA, publication and RTR state.
func (d *Daemon) Status(ctx context.Context) (*api.Status, error) {
	st := &api.Status{Version: d.opt.Version, StartedAt: d.started, Now: d.clock()}
	ip, as := d.ca.Resources()
	for _, p := range ip.Prefixes() {
		st.CA.Resources = append(st.CA.Resources, p.String())
	}
	for _, r := range as.Ranges {
		if r.Min == r.Max {
			st.CA.Resources = append(st.CA.Resources, fmt.Sprintf("AS%d", r.Min))
		} else {
			st.CA.Resources = append(st.CA.Resources, fmt.Sprintf("AS%d-AS%d", r.Min, r.Max))
		}
	}
	st.CA.Mode = "testbed"
	st.CA.TAL = filepath.Join(d.opt.DataDir, "road.tal")
	err := d.st.View(ctx, func(tx *store.Tx) error {
		row, err := tx.CA(ca.CAName)
		if err != nil {
			return err
		}
		if c, err := rpki.ParseCertificate(row.CertDER); err == nil {
			st.CA.Name, st.CA.CertNotAfter = c.Subject, c.NotAfter
		}
		st.CA.ManifestNext = row.MftNextUpdate
		roas, err := tx.ROAs()
		st.CA.ROAs = len(roas)
		return err
	})
	if err != nil {
		return nil, err
	}
	session, serial := d.pub.State()
	st.Publication = api.PublicationStatus{Session: session, Serial: serial,
		Notification: d.opt.RRDPBase + "notification.xml", RsyncBase: d.opt.RsyncBase,
		Objects: len(d.pub.Objects()), LastChange: d.lastChange}
	rs := d.rtr.Status()
	st.RTR = rtrStatus(d.opt.RTRAddr, rs)
	if st.RP, err = d.RPStatus(ctx); err != nil {
		return nil, err
	}
	st.RP.Rejections = nil // the list is on /rp/status
	return st, nil
}
