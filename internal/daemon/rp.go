package daemon

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/rprun"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

// DefaultRPInterval is how often road's own TAL is re-validated when nothing
// was published (internal/rprun).
const DefaultRPInterval = rprun.DefaultInterval

// newRPRunner builds the relying party that feeds RTR (internal/rprun):
// road's own TAL from DataDir/rp-cache, the configured TALs from
// DataDir/rp-cache-global.
func (d *Daemon) newRPRunner() *rprun.Runner {
	clock := func() time.Time { return d.clock() } // tests move d.clock after Open
	return rprun.New(rprun.Config{
		OwnTAL: filepath.Join(d.cfg.DataDir, "road.tal"), OwnCache: filepath.Join(d.cfg.DataDir, "rp-cache"),
		GlobalTALs: d.cfg.RP.TALs, GlobalCache: filepath.Join(d.cfg.DataDir, "rp-cache-global"),
		UserAgent: "road/" + d.rt.Version, Interval: d.rt.RPInterval, GlobalInterval: d.cfg.RP.Interval,
		MaxLoss: rpMaxLoss(d.cfg), SLURMFile: d.cfg.SLURMFile,
		Configured: func(ctx context.Context) (vrp.Set, error) { return d.parent.WithDelegated(ctx, d.configuredVRPs) },
		Serve:      d.serve, OnDegraded: d.rpDegraded, Clock: clock, Logger: d.log, Registry: d.reg,
	})
}

// serve hands RTR the relying party's view; the changes' timelines follow it.
func (d *Daemon) serve(vrps vrp.Set, aspas []vrp.ASPA) (uint32, bool) {
	serial, changed := d.waves.Update(vrps, aspas)
	d.props.Follow(context.Background(), d.rp.LastGood(), vrps, uint64(serial), len(d.rtr.Status().Clients))
	return serial, changed
}

// configuredVRPs are the VRPs of road's ROAs.
func (d *Daemon) configuredVRPs(ctx context.Context) (vrp.Set, error) {
	if _, _, ok := d.ca.Parent(); ok { // a child CA's ROAs validate under its parent's TAL (--rp-tal), not road.tal
		return vrp.NewSet(nil), nil
	}
	var want []vrp.VRP
	err := d.st.View(ctx, func(tx *store.Tx) error {
		roas, err := tx.ROAs()
		for _, r := range roas {
			want = append(want, r.VRP)
		}
		return err
	})
	return vrp.NewSet(want), err
}

// rpDegraded raises the alarm beyond the log: the consistency audit runs now,
// reports the degradation (rp-error) and posts it to the webhook.
func (d *Daemon) rpDegraded(ctx context.Context, e *rprun.DegradedError) {
	d.metrics.errors.WithLabelValues("rp").Inc()
	if d.audits == nil {
		return
	}
	if _, err := d.audits.RunAudit(ctx, audit.Consistency); err != nil && ctx.Err() == nil {
		d.log.Error("audit after the relying party degraded", "feed", e.Feed, "err", err)
	}
}

// rpHTTPClients are the relying party's HTTPS clients: road's own
// publication is fetched trusting the testbed TLS CA when road serves with
// it (else the system roots); the configured TALs' repositories with the
// system roots, plus the testbed CA when there is one.
func (d *Daemon) rpHTTPClients() (own, global *http.Client, err error) {
	caFile := ""
	if d.cfg.TLSCert == "" {
		if p := filepath.Join(d.cfg.DataDir, "tls", "ca.pem"); fileExists(p) {
			caFile = p
		}
	}
	if own, err = rp.NewHTTPClient(caFile, time.Minute); err != nil {
		return nil, nil, fmt.Errorf("bundled RP: %w", err)
	}
	if global, err = rp.NewHTTPClient("", time.Minute); err != nil || caFile == "" {
		return own, global, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("bundled RP: testbed TLS CA %s unusable: %v", caFile, err)
	}
	global.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	return own, global, nil
}

// RPVRPs writes the last good VRPs of road's own TAL as rpki-client JSON.
func (d *Daemon) RPVRPs(ctx context.Context) ([]byte, error) {
	res := d.rp.Own()
	if res == nil {
		return nil, errRPNotYet
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errRPNotYet answers /rp/vrps before the first run finished.
var errRPNotYet = fault.New(fault.Unavailable, "the bundled relying party has not validated the publication yet", nil)

// RPStatus reports road's own TAL's last run, whether it validated exactly
// the configured ROAs, and the configured TALs' feed.
func (d *Daemon) RPStatus(ctx context.Context) (*api.RPStatus, error) {
	rs := d.rp.Status()
	own := rs.Own
	st := &api.RPStatus{LastRun: own.LastRun, Runs: own.Runs, Served: rs.Served, LastSuccess: own.LastSuccess,
		Heals: own.Heals, Degraded: own.Degraded()}
	if own.Err != nil {
		st.Reason, st.Error = own.Err.Reason, own.Err.Error()
	}
	res := own.Last
	if res == nil {
		res = own.Good
	}
	if res != nil {
		st.VRPs, st.Rejected = len(res.VRPs), len(res.Rejected)
		st.RRDPSynced, st.RRDPFailed = res.Stats.RRDPSynced, res.Stats.RRDPFailed
		for _, x := range res.Rejected {
			st.Rejections = append(st.Rejections, api.RPRejection{URI: x.URI, Reason: string(x.Reason), Detail: x.Detail})
		}
	}
	for _, v := range rs.Missing {
		st.Missing = append(st.Missing, v.String())
	}
	for _, v := range rs.Extra {
		st.Extra = append(st.Extra, v.String())
	}
	st.OK = own.Good != nil && !own.Degraded() && len(st.Missing)+len(st.Extra) == 0 && st.Rejected == 0
	st.Global = globalStatus(rs.Global)
	return st, nil
}

func globalStatus(g *rprun.FeedStatus) *api.RPGlobalStatus {
	if g == nil {
		return nil
	}
	out := &api.RPGlobalStatus{TALs: g.TALs, LastRun: g.LastRun, LastSuccess: g.LastSuccess, Runs: g.Runs,
		Heals: g.Heals, Degraded: g.Degraded()}
	if g.Err != nil {
		out.Reason, out.Error = g.Err.Reason, g.Err.Error()
	}
	if g.Last != nil {
		out.VRPs, out.ASPAs, out.Rejected = len(g.Last.VRPs), len(g.Last.ASPAs), len(g.Last.Rejected)
	}
	return out
}

// rpView shows the relying party's own-TAL state to the audits.
type rpView struct{ r *rprun.Runner }

func (v rpView) Snapshot() audit.RPSnapshot {
	st := v.r.Status()
	return audit.RPSnapshot{Last: st.Own.Good, LastRun: st.Own.LastRun, LastErr: st.Own.Error(),
		Missing: st.Missing, Extra: st.Extra}
}
