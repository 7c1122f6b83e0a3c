// Package delegation runs road as a delegated CA: the parents (RFC 6492)
// and the repository (RFC 8181) it was set up with through the RFC 8183
// exchanges, their polling with jitter and backoff, and what each
// exchange changes in the CA. The protocols are internal/updowncli and
// internal/pubcli; the CA (internal/ca) does the signing.
//
// Choices:
//   - the CA holds one certificate: from the parent and resource class it
//     was first issued in (the first class, by name, with resources); the
//     other classes and parents are listed and shown, not used;
//   - the first repository by name is where the CA publishes; with none,
//     road publishes the CA locally (its own RRDP and rsync);
//   - an unreachable or refusing parent or repository changes nothing in
//     the CA: the last certificate and the objects stay until they expire
//     (watched by the expiry audit, as every object is).
package delegation

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/identity"
	"github.com/roadrpki/road/internal/pubcli"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updowncli"
)

// Config configures the Service.
type Config struct {
	Store *store.Store
	CA    *ca.CA
	// Settings: road's handle (its name in <child_request/> and
	// <publisher_request/>, that of its BPKI identity, internal/identity),
	// how often each parent and repository is contacted, the random share
	// of that added to each wait, and the longest wait after failures in a
	// row (the wait doubles from BackoffMin).
	Settings   config.Delegation
	BackoffMin time.Duration // 0: 10 s
	// RsyncBase is road's own rsync base: objects below it road publishes
	// itself; the CA's objects elsewhere go to the repository.
	RsyncBase string
	HTTP      *http.Client // nil: a client with a 1-minute timeout
	// Keys holds the identity key: nil is software (in the store).
	Keys signer.KeyStore
	// ReissueBefore: a certificate expiring sooner is requested again.
	ReissueBefore time.Duration
	// Changed is called after an exchange changed the CA (road publishes).
	Changed func(ctx context.Context) error
	// Withdrawn raises the alarm after a parent's certificate left
	// configured ROAs uncovered (the daemon runs the BGP audit: a not-held
	// finding per ROA, and its webhook).
	Withdrawn func(ctx context.Context) error
	Clock     func() time.Time
	Logger    *slog.Logger
}

// Service is road's delegated-CA side.
type Service struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{} // a pass with every peer due
	pub  chan struct{} // a pass with the repositories due
	mu   sync.Mutex
	wait map[string]*backoff // "parents/NAME", "repositories/NAME"
	run  sync.Mutex          // one sync pass at a time
	// lost is set by a pass whose certificate withdrew configured ROAs.
	lost bool
}

type backoff struct {
	fails int
	next  time.Time
}

// New returns the service; Run polls.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: time.Minute}
	}
	if cfg.Settings.Poll <= 0 {
		cfg.Settings.Poll = 10 * time.Minute
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = 10 * time.Second
	}
	if cfg.Settings.BackoffMax < cfg.BackoffMin {
		cfg.Settings.BackoffMax = max(cfg.BackoffMin, 6*time.Hour)
	}
	if cfg.ReissueBefore <= 0 {
		cfg.ReissueBefore = 28 * 24 * time.Hour
	}
	return &Service{cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1), pub: make(chan struct{}, 1), wait: map[string]*backoff{}}
}

// Kick asks for a sync pass now (after an add, or on demand).
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Published tells that the CA's objects changed: the repository is
// brought up to date soon (the daemon calls it from its publish path).
func (s *Service) Published() {
	select {
	case s.pub <- struct{}{}:
	default:
	}
}

// Run syncs at start, on every Kick and when a peer is due, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
			s.forget("")
		case <-s.pub:
			s.forget("repositories/")
		}
		s.SyncPeers(ctx, false)
		t.Reset(s.untilDue())
	}
}

// forget makes every peer whose key starts with prefix due now.
func (s *Service) forget(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, b := range s.wait {
		if strings.HasPrefix(k, prefix) {
			b.next = time.Time{}
		}
	}
}

// untilDue is the wait until the next peer is due (at most Poll).
func (s *Service) untilDue() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.cfg.Settings.Poll
	now := s.cfg.Clock()
	for _, b := range s.wait {
		d = min(d, max(b.next.Sub(now), time.Second))
	}
	return d
}

// due reports whether the peer should be contacted now (force: always).
func (s *Service) due(key string, force bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.wait[key]
	return force || b == nil || !s.cfg.Clock().Before(b.next)
}

// done schedules the peer's next contact: Poll plus jitter after a
// success, exponential backoff after a failure.
func (s *Service) done(key string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.wait[key]
	if b == nil {
		b = &backoff{}
		s.wait[key] = b
	}
	set := s.cfg.Settings
	wait := set.Poll
	if set.PollJitter > 0 {
		wait += time.Duration(rand.Float64() * set.PollJitter * float64(set.Poll))
	}
	if err != nil {
		b.fails++
		wait = min(s.cfg.BackoffMin<<min(b.fails-1, 20), set.BackoffMax)
	} else {
		b.fails = 0
	}
	b.next = s.cfg.Clock().Add(wait)
}

// SyncPeers runs one pass: the repository location, every due parent, every
// due repository. force contacts every peer whatever its schedule. It
// returns the first error (each peer's is also recorded with it).
func (s *Service) SyncPeers(ctx context.Context, force bool) error {
	s.run.Lock()
	defer s.run.Unlock()
	var parents, repos []store.Peer
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if parents, err = tx.Peers(store.Parents); err != nil {
			return err
		}
		repos, err = tx.Peers(store.Repositories)
		return err
	})
	if err != nil {
		return err
	}
	if len(parents) == 0 && len(repos) == 0 {
		return nil
	}
	id, err := s.identity(ctx)
	if err != nil {
		return err
	}
	changed, err := s.placeRepository(ctx, repos)
	first := err
	for i := range parents {
		key := "parents/" + parents[i].Name
		if !s.due(key, force || changed) {
			continue
		}
		c, err := s.syncParent(ctx, id, &parents[i])
		if err == nil {
			var rolled bool
			rolled, err = s.rollParent(ctx, id, &parents[i]) // rollover.go
			c = c || rolled
		}
		s.record(ctx, store.Parents, &parents[i], err)
		s.done(key, err)
		changed = changed || c
		first = firstErr(first, err)
	}
	if changed && s.cfg.Changed != nil {
		first = firstErr(first, s.cfg.Changed(ctx))
	}
	if s.lost && s.cfg.Withdrawn != nil {
		s.lost = false
		first = firstErr(first, s.cfg.Withdrawn(ctx))
	}
	if len(repos) > 0 {
		key := "repositories/" + repos[0].Name
		if s.due(key, force || changed) {
			err := s.syncRepository(ctx, id, &repos[0])
			s.record(ctx, store.Repositories, &repos[0], err)
			s.done(key, err)
			first = firstErr(first, err)
		}
	}
	return first
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// record stores the outcome of an exchange with a peer.
func (s *Service) record(ctx context.Context, kind store.PeerKind, p *store.Peer, err error) {
	text := ""
	if err != nil {
		text = err.Error()
		s.log.Warn("exchange failed", "kind", kind, "peer", p.Name, "err", err)
	}
	if err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.PeerContact(kind, p.Name, s.cfg.Clock(), p.LastSigning, text)
	}); err != nil {
		s.log.Error("record peer contact", "peer", p.Name, "err", err)
	}
}

// placeRepository moves the CA's publication point to the first
// repository's sia_base, or back to road's own when there is none.
func (s *Service) placeRepository(ctx context.Context, repos []store.Peer) (bool, error) {
	base, notify := s.cfg.CA.LocalRepository()
	if len(repos) > 0 {
		base, notify = repos[0].SIABase, repos[0].RRDPNotify
	}
	return s.cfg.CA.SetRepository(ctx, "road", base, notify)
}

// syncRepository makes the repository hold exactly the CA's objects below
// its sia_base.
func (s *Service) syncRepository(ctx context.Context, id *identity.Identity, r *store.Peer) error {
	bpki, err := x509.ParseCertificate(r.BPKIDER)
	if err != nil {
		return err
	}
	want := map[string][]byte{}
	err = s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		objs, err := tx.Objects("") // the CA's, and a key roll's NEW or OLD CA's
		for _, o := range objs {
			if strings.HasPrefix(o.URI, r.SIABase) {
				want[o.URI] = o.DER
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	cli := &pubcli.Client{HTTP: s.cfg.HTTP, Signer: id.Signer(s.cfg.Clock), Clock: s.cfg.Clock}
	res, err := cli.Sync(ctx, pubcli.Repository{ServiceURI: r.ServiceURI, BPKI: bpki, SIABase: r.SIABase,
		LastSigning: r.LastSigning}, want)
	if !res.SigningTime.IsZero() {
		r.LastSigning = res.SigningTime
	}
	if err == nil && res.Published+res.Withdrawn > 0 {
		s.log.Info("published to repository", "repository", r.Name, "published", res.Published, "withdrawn", res.Withdrawn)
	}
	return err
}

// identity is road's BPKI identity, made on first use.
func (s *Service) identity(ctx context.Context) (*identity.Identity, error) {
	return identity.EnsureIn(ctx, s.cfg.Store, s.cfg.Keys, s.cfg.Settings.Handle, s.cfg.Clock())
}

// Local returns the objects road publishes itself (below its rsync base);
// when there are others (the CA's, in a remote repository) the repository
// is brought up to date soon. The daemon calls it from its publish path.
func (s *Service) Local(objs []store.Object) []store.Object {
	out := objs[:0:0]
	for _, o := range objs {
		if strings.HasPrefix(o.URI, s.cfg.RsyncBase) {
			out = append(out, o)
		}
	}
	if len(out) < len(objs) {
		s.Published()
	}
	return out
}

func parentOf(p *store.Peer) (updowncli.Parent, error) {
	bpki, err := x509.ParseCertificate(p.BPKIDER)
	if err != nil {
		return updowncli.Parent{}, fmt.Errorf("parent %s: BPKI certificate: %w", p.Name, err)
	}
	return updowncli.Parent{ServiceURI: p.ServiceURI, ChildHandle: p.OurHandle, ParentHandle: p.PeerHandle,
		BPKI: bpki, LastSigning: p.LastSigning}, nil
}
