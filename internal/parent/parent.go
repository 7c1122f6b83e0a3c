// Package parent builds road's side as a parent and a repository for
// other CAs (issue 11): road's BPKI identity, the RFC 6492 server of
// internal/updownsrv and the RFC 8181 server of internal/pubsrv, with the
// service URL their RFC 8183 responses give. The API's child and
// publisher calls and the two protocol endpoints go to it.
package parent

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/config"
	"github.com/roadrpki/road/internal/identity"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/pubsrv"
	"github.com/roadrpki/road/internal/signer"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
	"github.com/roadrpki/road/internal/updownsrv"
)

// Handle is road's name in the identity it creates on first start (the
// parent_handle of its parent responses).
const Handle = "road"

// Options are what the service needs from the daemon.
type Options struct {
	Config  *config.Config
	Store   *store.Store
	CA      *ca.CA
	Publish func(ctx context.Context) error // after a change the repository serves
	Keys    signer.KeyStore                 // the identity key's store; nil: software
	Clock   func() time.Time
	Logger  *slog.Logger
}

// Service is road as a parent and as a publication server.
type Service struct {
	store       *store.Store
	UpDown      *updownsrv.Server // the RFC 6492 endpoint
	Publication *pubsrv.Server    // the RFC 8181 endpoint
}

// Open loads (or creates, on first start) road's identity and builds both
// servers. They read the active identity again for every message and add,
// so an identity roll (roactl identity activate) takes effect at once.
func Open(ctx context.Context, o Options) (*Service, error) {
	if _, err := identity.EnsureIn(ctx, o.Store, o.Keys, Handle, o.Clock()); err != nil {
		return nil, err
	}
	active := func(ctx context.Context) (*identity.Identity, error) {
		return identity.EnsureIn(ctx, o.Store, o.Keys, Handle, o.Clock())
	}
	base := ServiceBase(o.Config)
	return &Service{store: o.Store,
		UpDown: updownsrv.New(updownsrv.Config{Store: o.Store, CA: o.CA, ServiceBase: base, Publish: o.Publish, Clock: o.Clock,
			Logger: o.Logger.With("pkg", "updownsrv"),
			Self: func(ctx context.Context) (*updownsrv.Self, error) {
				id, err := active(ctx)
				if err != nil {
					return nil, err
				}
				return &updownsrv.Self{Handle: id.Handle, Identity: id.OOB(), Signer: id.Signer(o.Clock)}, nil
			}}),
		Publication: pubsrv.New(pubsrv.Config{Store: o.Store, ServiceBase: base, RsyncBase: o.Config.RsyncBase,
			RRDPNotify: o.Config.RRDPBase + "notification.xml", Publish: o.Publish, Clock: o.Clock,
			Logger: o.Logger.With("pkg", "pubsrv"),
			Self: func(ctx context.Context) (oob.Identity, *updown.Signer, error) {
				id, err := active(ctx)
				if err != nil {
					return oob.Identity{}, nil, err
				}
				return id.OOB(), id.Signer(o.Clock), nil
			}}),
	}, nil
}

// ServiceBase is the base URL of the endpoints: [ca] service_url, else the
// --http listener (http:// when it serves plain HTTP: a child may not
// trust road's testbed TLS CA), else the --https one. An unspecified host
// (0.0.0.0, ::, "") becomes 127.0.0.1.
func ServiceBase(c *config.Config) string {
	if c.ServiceURL != "" {
		return c.ServiceURL
	}
	addr, scheme := c.HTTP, "http"
	switch {
	case addr != "" && c.HTTPServer.TLS != "" && c.HTTPServer.TLS != "off":
		scheme = "https"
	case addr == "":
		addr, scheme = c.HTTPS, "https"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr + "/"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// The API's calls (api.Parent).

// AddChild registers a child (updownsrv.Server.AddChild).
func (s *Service) AddChild(ctx context.Context, actor, name string, request []byte, resources string) (*updownsrv.Added, error) {
	if err := s.UpDown.CheckHeld(resources); err != nil {
		return nil, err
	}
	return s.UpDown.AddChild(ctx, actor, name, request, resources)
}

// Children lists the children.
func (s *Service) Children(ctx context.Context) ([]updownsrv.ChildInfo, error) {
	return s.UpDown.Children(ctx)
}

// SetChildResources changes a child's entitlement.
func (s *Service) SetChildResources(ctx context.Context, actor, name, resources string) (*updownsrv.ChildInfo, error) {
	if err := s.UpDown.CheckHeld(resources); err != nil {
		return nil, err
	}
	return s.UpDown.SetResources(ctx, actor, name, resources)
}

// RemoveChild revokes a child's certificates and forgets it.
func (s *Service) RemoveChild(ctx context.Context, actor, name string) error {
	return s.UpDown.RemoveChild(ctx, actor, name)
}

// AddPublisher registers a publisher (pubsrv.Server.AddPublisher).
func (s *Service) AddPublisher(ctx context.Context, actor, name string, request []byte) (*pubsrv.Added, error) {
	return s.Publication.AddPublisher(ctx, actor, name, request)
}

// Publishers lists the publishers.
func (s *Service) Publishers(ctx context.Context) ([]pubsrv.PublisherInfo, error) {
	return s.Publication.Publishers(ctx)
}

// RemovePublisher withdraws a publisher's objects and forgets it.
func (s *Service) RemovePublisher(ctx context.Context, actor, name string) error {
	return s.Publication.RemovePublisher(ctx, actor, name)
}

// Renew runs the CA's renewal, then makes the children's certificates
// follow the CA (updownsrv.Server.Reconcile); it reports whether either
// changed anything.
func (s *Service) Renew(ctx context.Context, renew func(context.Context) (bool, error)) (bool, error) {
	changed, err := renew(ctx)
	if err != nil {
		return changed, err
	}
	followed, err := s.UpDown.Reconcile(ctx)
	return changed || followed, err
}
