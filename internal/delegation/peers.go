package delegation

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/store"
)

// Peer is a parent or repository as roactl shows it.
type Peer struct {
	Name        string
	ServiceURI  string
	OurHandle   string // our name at the peer (child or publisher handle)
	PeerHandle  string // the parent's handle ("" for a repository)
	SIABase     string // repository: our space
	RRDPNotify  string
	LastContact time.Time
	LastError   string
	AddedAt     time.Time
	Classes     []Class // parent: its resource classes
}

// Class is one resource class of a parent.
type Class struct {
	Name      string
	Resources string
	NotAfter  time.Time // of the certificate the CA holds in it; zero when none
	Active    bool      // the CA's certificate comes from this class
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func checkName(name string) error {
	if !nameRE.MatchString(name) || name == "request" || name == "sync" {
		return fault.Invalidf("name %q: 1 to 64 letters, digits, '.', '_' or '-', not request or sync", name)
	}
	return nil
}

// ChildRequest is road's <child_request/> (RFC 8183 §5.2.1).
func (s *Service) ChildRequest(ctx context.Context) ([]byte, error) {
	id, err := s.identity(ctx)
	if err != nil {
		return nil, err
	}
	return oob.EmitChildRequest(oob.ChildRequest{ChildHandle: id.Handle, ChildBPKI: id.OOB()})
}

// PublisherRequest is road's <publisher_request/> (RFC 8183 §5.2.3).
func (s *Service) PublisherRequest(ctx context.Context) ([]byte, error) {
	id, err := s.identity(ctx)
	if err != nil {
		return nil, err
	}
	return oob.EmitPublisherRequest(oob.PublisherRequest{PublisherHandle: id.Handle, PublisherBPKI: id.OOB()})
}

func badXML(what string, err error) error {
	return fault.New(fault.Invalid, fmt.Sprintf("%s: %v", what, err), nil)
}

// AddParent imports a <parent_response/> (RFC 8183 §5.2.2; the variants
// of docs/oob-variants.md too) as parent name, replacing one of that name,
// and asks for a sync pass.
func (s *Service) AddParent(ctx context.Context, actor, name string, xml []byte) (*Peer, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	r, err := oob.ParseParentResponse(xml, oob.Options{})
	if err != nil {
		return nil, badXML("parent_response", err)
	}
	p := &store.Peer{Name: name, ResponseXML: xml, ServiceURI: r.ServiceURI, OurHandle: r.ChildHandle,
		PeerHandle: r.ParentHandle, BPKIDER: r.ParentBPKI.DER, AddedAt: s.cfg.Clock().UTC()}
	if err := s.addPeer(ctx, actor, store.Parents, p, "added parent "+name+" ("+r.ParentHandle+" at "+r.ServiceURI+")"); err != nil {
		return nil, err
	}
	return s.peer(ctx, store.Parents, name)
}

// AddRepository imports a <repository_response/> (RFC 8183 §5.2.4) as
// repository name and asks for a sync pass: the CA moves its publication
// point to the repository's sia_base.
func (s *Service) AddRepository(ctx context.Context, actor, name string, xml []byte) (*Peer, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	r, err := oob.ParseRepositoryResponse(xml, oob.Options{})
	if err != nil {
		return nil, badXML("repository_response", err)
	}
	p := &store.Peer{Name: name, ResponseXML: xml, ServiceURI: r.ServiceURI, OurHandle: r.PublisherHandle,
		SIABase: r.SIABase, RRDPNotify: r.RRDPNotificationURI, BPKIDER: r.RepositoryBPKI.DER, AddedAt: s.cfg.Clock().UTC()}
	if err := s.addPeer(ctx, actor, store.Repositories, p, "added repository "+name+" ("+r.SIABase+" at "+r.ServiceURI+")"); err != nil {
		return nil, err
	}
	return s.peer(ctx, store.Repositories, name)
}

func (s *Service) addPeer(ctx context.Context, actor string, kind store.PeerKind, p *store.Peer, summary string) error {
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutPeer(kind, p); err != nil {
			return err
		}
		_, err := tx.AppendHistory(s.cfg.Clock(), actor, string(kind)+"-add", summary, map[string]any{"name": p.Name,
			"service_uri": p.ServiceURI, "handle": p.OurHandle})
		return err
	})
	if err == nil {
		s.Kick()
	}
	return err
}

// RemovePeer forgets a parent or repository. The CA keeps the certificate a
// removed parent issued until it expires; a removed repository's objects
// are withdrawn from it when it still answers, and the CA publishes
// locally again (or in the next repository).
func (s *Service) RemovePeer(ctx context.Context, actor string, kind store.PeerKind, name string) error {
	var gone *store.Peer
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Peer(kind, name)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fault.NotFoundf("no %s named %q", kindName(kind), name)
			}
			return err
		}
		gone = p
		if err := tx.DeletePeer(kind, name); err != nil {
			return err
		}
		_, err = tx.AppendHistory(s.cfg.Clock(), actor, string(kind)+"-remove", "removed "+kindName(kind)+" "+name, map[string]any{"name": name})
		return err
	})
	if err != nil {
		return err
	}
	if kind == store.Repositories {
		s.run.Lock()
		if id, err := s.identity(ctx); err == nil {
			gone.SIABase += "\x00" // nothing of ours lies below it any more: withdraw everything
			if err := s.syncRepository(ctx, id, gone); err != nil {
				s.log.Warn("withdrawing from a removed repository", "repository", name, "err", err)
			}
		}
		s.run.Unlock()
	}
	s.Kick()
	return nil
}

func kindName(k store.PeerKind) string {
	if k == store.Parents {
		return "parent"
	}
	return "repository"
}

// ListPeers lists the parents or repositories.
func (s *Service) ListPeers(ctx context.Context, kind store.PeerKind) ([]Peer, error) {
	var out []Peer
	held, active, parented := s.cfg.CA.Parent()
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		list, err := tx.Peers(kind)
		if err != nil {
			return err
		}
		classes, err := tx.ParentClasses("")
		if err != nil {
			return err
		}
		for _, p := range list {
			v := Peer{Name: p.Name, ServiceURI: p.ServiceURI, OurHandle: p.OurHandle, PeerHandle: p.PeerHandle,
				SIABase: p.SIABase, RRDPNotify: p.RRDPNotify, LastContact: p.LastContact, LastError: p.LastError, AddedAt: p.AddedAt}
			for _, c := range classes {
				if kind == store.Parents && c.Parent == p.Name {
					v.Classes = append(v.Classes, classView(c, parented && held == p.Name && active == c.Class || s.classHeld(p.Name, c.Class)))
				}
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

func (s *Service) peer(ctx context.Context, kind store.PeerKind, name string) (*Peer, error) {
	list, err := s.ListPeers(ctx, kind)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i], nil
		}
	}
	return nil, fault.NotFoundf("no %s named %q", kindName(kind), name)
}

// Kind is a parent or a repository.
type Kind = store.PeerKind

// The kinds of peer.
const (
	Parents      = store.Parents
	Repositories = store.Repositories
)
