// Package daemon wires road together: it builds the parts (store → ca →
// publish → rprun → rtr; proposal, liveroutes, audit), starts and stops them
// with the HTTP, HTTPS and RTR listeners and the renewal loop, and connects
// their events (a publication wakes the relying party, a degraded relying
// party runs the consistency audit). The REST API's calls go to the part
// that owns them.
package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roadrpki/road/internal/access"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/atomicfile"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/datadir"
	"github.com/roadrpki/road/internal/delegation"
	"github.com/roadrpki/road/internal/gate"
	"github.com/roadrpki/road/internal/health"
	"github.com/roadrpki/road/internal/listen"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/parent"
	"github.com/roadrpki/road/internal/proposal"
	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/rprun"
	"github.com/roadrpki/road/internal/rtr"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/waves"
)

// Daemon is a running road.
type Daemon struct {
	cfg     *config.Config // validated by config.Parse
	rt      Runtime
	log     *slog.Logger
	clock   func() time.Time
	st      *store.Store
	keys    *ca.KeyPool
	signer  signer.KeyStore // the TA and CA keys: software, or the [hsm] token
	ca      *ca.CA
	pub     *publish.Publisher
	guard   *gate.Guard // the gate and invariants between stage and commit
	rtr     *rtr.Server
	waves   *waves.Controller // stages RTR sets wave by wave (rtr.waves); without waves it passes them on
	token   string
	tokens  *access.Service // named tokens and roles; admin.token's is "admin"
	reg     *prometheus.Registry
	metrics *metrics
	routes  *liveroutes.Routes // live routes: BGP sessions and kept imports
	props   *proposal.Service  // ROA changes and intents
	audits  *audit.Service
	deleg   *delegation.Service // parents and repository (road as a delegated CA)
	parent  *parent.Service     // road as RFC 6492 parent and RFC 8181 repository
	started time.Time
	// listeners are bound (listeners.Bound()) before any serves; set by Run.
	listeners atomic.Pointer[listen.Set]
	health    *health.Checker // /readyz and status: every part's check

	rp         *rprun.Runner
	publishMu  sync.Mutex             // one publication at a time, in commit order
	recorded   publish.State          // the RRDP state last written to the database (under publishMu)
	pubCache   store.PublicationCache // DER of the published objects (only changed ones are read again)
	lastChange time.Time
}

// Open prepares the data directory, the database, the CA and the
// publication, and republishes whatever the database holds (the crash
// recovery path: the database is the truth, the publication is rebuilt from it).
func Open(ctx context.Context, cfg *config.Config, rt Runtime) (*Daemon, error) {
	rt.Logger = cmp.Or(rt.Logger, slog.New(slog.DiscardHandler))
	if rt.Clock == nil {
		rt.Clock = time.Now
	}
	rt.KeyPoolSize, rt.RenewInterval = cmp.Or(rt.KeyPoolSize, 16), cmp.Or(max(rt.RenewInterval, 0), 10*time.Second)
	if err := datadir.Prepare(cfg.DataDir, rt.Logger, cfg.TLSKey, cfg.RTRTLSKey, cfg.HTTPServer.TLSKey); err != nil {
		return nil, err // before any file in it is opened: modes, 0600 database files, key files
	}
	d := &Daemon{cfg: cfg, rt: rt, log: rt.Logger, clock: rt.Clock, started: rt.Clock()}
	d.reg = prometheus.NewRegistry()
	d.metrics = newMetrics(d.reg)
	var err error
	if d.token, err = api.EnsureToken(filepath.Join(cfg.DataDir, "admin.token")); err != nil {
		return nil, err
	}
	if d.st, err = store.Open(ctx, filepath.Join(cfg.DataDir, "road.db")); err != nil {
		return nil, err
	}
	if d.tokens, err = access.Open(ctx, d.st, rt.Clock, d.token); err != nil {
		d.Close()
		return nil, err
	}
	d.keys = ca.NewKeyPool(rt.KeyPoolSize)
	d.keys.Start()
	if d.signer, err = signer.Open(signer.HSMConfig(cfg.HSM), d.keys.Get); err != nil {
		d.Close()
		return nil, err
	}
	taURIs, err := ca.HTTPSTAURIs(cfg.RRDPBase)
	if err != nil {
		d.Close()
		return nil, err
	}
	d.ca, err = ca.New(ca.Config{RsyncBase: cfg.RsyncBase, RRDPBase: cfg.RRDPBase, TAURIs: taURIs, IP: cfg.Resources,
		AS: asRanges(cfg), Timing: caTiming(cfg), Clock: rt.Clock, Logger: rt.Logger.With("pkg", "ca"), Keys: d.keys, KeyStore: d.signer,
		Jitter: ca.RandomJitter, RollStaging: cfg.KeyRoll.Staging, RollEvery: cfg.KeyRoll.Every}, d.st)
	if err != nil {
		d.Close()
		return nil, err
	}
	if err := d.ca.Init(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("ca init: %w", err)
	}
	if err := d.writeTAL(ctx); err != nil {
		d.Close()
		return nil, err
	}
	floor, err := d.recordedPublication(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	d.guard = gate.NewGuard(gate.Setup(cfg, gate.GuardConfig{TAL: d.ca.TAL, Want: d.configuredVRPs, Store: d.st,
		Delegated: func(ctx context.Context) (gate.Delegated, error) { return d.parent.Delegated(ctx) },
		Clock:     func() time.Time { return d.clock() }, Logger: rt.Logger, Registry: d.reg, Publish: d.publish}))
	d.pub, err = publish.Open(publish.Options{Dir: cfg.DataDir, RRDPBase: cfg.RRDPBase, RsyncBase: cfg.RsyncBase,
		Clock: rt.Clock, Logger: rt.Logger.With("pkg", "publish"), Floor: floor, Check: d.guard.Check})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("publish: %w", err)
	}
	d.guard.Start(floor, d.pub) // a database that disagrees with the publication blocks it until reconciled
	rc := rtrConfig(cfg)
	rc.Logger, rc.Clock, rc.Registry = rt.Logger.With("pkg", "rtr"), rt.Clock, d.reg
	d.rtr = rtr.NewServer(rc)
	wc := waves.ConfigFor(cfg.RTRWaves, d.rtr, filepath.Join(cfg.DataDir, "rtr-waves.json")) // a state file, not SQLite: road rtr keeps the same one
	wc.Health.Routes, wc.Clock, wc.Logger, wc.Registry = func() route.Source { return d.routes.Snapshot() }, func() time.Time { return d.clock() }, rt.Logger.With("pkg", "waves"), d.reg
	if d.waves, err = waves.New(wc); err != nil {
		d.Close()
		return nil, err
	}
	d.rp = d.newRPRunner()
	d.wire()
	if d.parent, err = parent.Open(ctx, parent.Options{Config: cfg, Store: d.st, CA: d.ca, Publish: d.publish, Keys: d.signer,
		Clock: func() time.Time { return d.clock() }, Logger: d.log}); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.publish(ctx); err != nil && !errors.Is(err, gate.ErrRefused) { // refused: /readyz says why
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close releases the database, the key pool and the HSM.
func (d *Daemon) Close() {
	if d.keys != nil {
		d.keys.Close()
	}
	if d.signer != nil {
		d.signer.Close()
	}
	if d.st != nil {
		d.st.Close()
	}
}

// Token is the admin bearer token.
func (d *Daemon) Token() string { return d.token }

// CA exposes the CA (tests and one-shot commands).
func (d *Daemon) CA() *ca.CA { return d.ca }

func (d *Daemon) writeTAL(ctx context.Context) error {
	tal, err := d.ca.TAL(ctx)
	if err != nil {
		return err
	}
	path := filepath.Join(d.cfg.DataDir, "road.tal")
	data := tal.Encode()
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// Run serves HTTP, HTTPS and RTR and runs the renewal loop until ctx ends.
// Every listener is bound before any serves (internal/listen).
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 8)
	var wg sync.WaitGroup
	start := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	lst, err := listen.ForRoad(listen.Road{Config: d.cfg, Clock: d.clock, Log: d.log, API: d.httpHandler(),
		Public: d.publicHandler(), RTR: d.rtr.Serve})
	if err == nil {
		err = lst.Bind()
	}
	if err != nil {
		return err
	}
	d.listeners.Store(lst)
	ownHTTP, globalHTTP, err := d.rpHTTPClients() // reads the testbed TLS CA that Bind made
	if err != nil {
		lst.Close()
		return err
	}
	d.rp.UseHTTP(ownHTTP, globalHTTP)
	start("listen", func() error { return lst.Serve(ctx) }) // /healthz answers once everything above is ready
	start("renew", func() error { d.renewLoop(ctx); return nil })
	start("rp", func() error { d.rp.Run(ctx); return nil })
	start("waves", func() error { d.waves.Run(ctx); return nil })
	start("bgp", func() error { return d.routes.Run(ctx) })
	start("audits", func() error { return d.audits.Run(ctx) })
	start("delegation", func() error { d.deleg.Run(ctx); return nil })
	start("store", func() error { return d.st.Watch(ctx, 2*time.Second) }) // a removed data directory stops road
	// An external RP's VRP JSON gives the "external" stage of the change timeline.
	if u := d.cfg.Approval.ExternalVRPs; u != "" {
		f := &rtr.Follower{Source: u, Interval: d.cfg.Approval.ExternalInterval, Target: d.props.External(ctx), Clock: d.clock, Logger: d.log.With("part", "external-vrps")}
		start("external-vrps", func() error { return f.Run(ctx) })
	}
	d.log.Info("road running", "http", d.cfg.HTTP, "https", d.cfg.HTTPS, "rtr", d.cfg.RTR, "bgp", d.cfg.BGP.Listen,
		"rrdp", d.cfg.RRDPBase, "rsync", d.cfg.RsyncBase, "data", d.cfg.DataDir, "version", d.rt.Version)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	cancel()
	wg.Wait()
	return runErr
}

// publicHandler serves what relying parties fetch: RRDP and the TA certificate.
func (d *Daemon) publicHandler() http.Handler {
	r := chi.NewRouter()
	d.mountPublic(r)
	return r
}

func (d *Daemon) mountPublic(r chi.Router) {
	r.Handle("/rrdp/*", d.pub.Handler())
	r.Get("/ta/ta.cer", d.pub.ObjectHandler(d.ca.TACertURI(), "application/pkix-cert").ServeHTTP)
	api.MountProtocols(r, d.parent.UpDown, d.parent.Publication)
}

// httpHandler is the plain-HTTP side: REST API, metrics, /healthz (alive),
// /readyz (every part checked; internal/health), and RRDP for local tools.
func (d *Daemon) httpHandler() http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", health.Live)
	r.Handle("/readyz", d.health)
	r.Handle("/metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{}))
	d.mountPublic(r)
	parts := api.Parts{Proposals: d.props, Routes: d.routes, Auditor: d.audits, Node: d, Waves: d.waves, Delegation: d.deleg, Publication: d.guard, Parent: d.parent}
	api.NewServer(parts, d.tokens, d.log.With("pkg", "api")).Routes(r)
	return r
}

func (d *Daemon) renewLoop(ctx context.Context) {
	t := time.NewTicker(d.rt.RenewInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.props.CheckLate(ctx)                          // the change propagation alarm
		changed, err := d.parent.Renew(ctx, d.ca.Renew) // the CA, then its child certificates
		if err != nil {
			d.log.Error("renew", "err", err)
			d.metrics.errors.WithLabelValues("renew").Inc()
			continue
		}
		if changed {
			d.log.Info("renewed objects")
			if err := d.recordRenew(ctx); err != nil {
				d.log.Error("renew history", "err", err)
			}
		}
		if err := d.publish(ctx); err != nil {
			d.log.Error("publish after renew", "err", err)
		}
	}
}

func (d *Daemon) recordRenew(ctx context.Context) error {
	return d.st.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendHistory(d.clock(), "road", "renew", "reissued objects due for renewal", nil)
		return err
	})
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
