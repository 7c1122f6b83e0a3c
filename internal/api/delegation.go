package api

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/delegation"
)

// Delegation is what the API asks internal/delegation: road as a child of
// parents (RFC 6492) and a publisher to a repository (RFC 8181).
type Delegation interface {
	ChildRequest(ctx context.Context) ([]byte, error)
	PublisherRequest(ctx context.Context) ([]byte, error)
	AddParent(ctx context.Context, actor, name string, xml []byte) (*delegation.Peer, error)
	AddRepository(ctx context.Context, actor, name string, xml []byte) (*delegation.Peer, error)
	RemovePeer(ctx context.Context, actor string, kind delegation.Kind, name string) error
	ListPeers(ctx context.Context, kind delegation.Kind) ([]delegation.Peer, error)
	// SyncPeers contacts every parent and repository now.
	SyncPeers(ctx context.Context, force bool) error
	KeyRolls // the CA's and the identity's key rolls (keyroll.go)
}

// OOBMessage is an RFC 8183 XML message, to send or imported.
type OOBMessage struct {
	XML string `json:"xml"`
}

// Peer is a parent or a repository road is the child or publisher of.
type Peer struct {
	Name        string        `json:"name"`
	ServiceURI  string        `json:"service_uri"`
	Handle      string        `json:"handle"`                // our name at the peer
	PeerHandle  string        `json:"peer_handle,omitempty"` // the parent's handle
	SIABase     string        `json:"sia_base,omitempty"`
	RRDPNotify  string        `json:"rrdp_notify,omitempty"`
	LastContact time.Time     `json:"last_contact,omitzero"`
	LastError   string        `json:"last_error,omitempty"`
	AddedAt     time.Time     `json:"added_at"`
	Classes     []ParentClass `json:"classes,omitempty"`
}

// ParentClass is a resource class of a parent (RFC 6492 §3.3.2).
type ParentClass struct {
	Name         string    `json:"name"`
	Resources    string    `json:"resources"`
	CertNotAfter time.Time `json:"cert_not_after,omitzero"`
	Active       bool      `json:"active"` // road's CA holds its certificate from this class
}

// PeerList is GET /parents and GET /repositories.
type PeerList struct {
	Peers []Peer `json:"peers"`
}

// PeerRemoved answers DELETE /parents/{name} and /repositories/{name}.
type PeerRemoved struct {
	Removed string `json:"removed"`
}

// Synced answers POST /parents/sync.
type Synced struct {
	Parents      []Peer `json:"parents"`
	Repositories []Peer `json:"repositories"`
}

func peerOf(p *delegation.Peer) Peer {
	out := Peer{Name: p.Name, ServiceURI: p.ServiceURI, Handle: p.OurHandle, PeerHandle: p.PeerHandle, SIABase: p.SIABase,
		RRDPNotify: p.RRDPNotify, LastContact: p.LastContact, LastError: p.LastError, AddedAt: p.AddedAt}
	for _, c := range p.Classes {
		out.Classes = append(out.Classes, ParentClass{Name: c.Name, Resources: c.Resources, CertNotAfter: c.NotAfter, Active: c.Active})
	}
	return out
}

func delegPeers(l []delegation.Peer) *PeerList {
	out := &PeerList{Peers: []Peer{}}
	for i := range l {
		out.Peers = append(out.Peers, peerOf(&l[i]))
	}
	return out
}

// delegationRoutes: the RFC 8183 exchanges and the parents and repositories.
func (s *Server) delegationRoutes(r chi.Router) {
	for _, kind := range []delegation.Kind{delegation.Parents, delegation.Repositories} {
		base := "/" + string(kind)
		r.Get(base+"/request", s.handle(func(r *http.Request) (any, int, error) {
			get := s.backend.ChildRequest
			if kind == delegation.Repositories {
				get = s.backend.PublisherRequest
			}
			xml, err := get(r.Context())
			return &OOBMessage{XML: string(xml)}, http.StatusOK, err
		}))
		r.Get(base, s.handle(func(r *http.Request) (any, int, error) {
			l, err := s.backend.ListPeers(r.Context(), kind)
			return delegPeers(l), http.StatusOK, err
		}))
		r.Post(base+"/{name}", s.handle(func(r *http.Request) (any, int, error) {
			var in OOBMessage
			if err := decodeBody(r, &in); err != nil {
				return nil, 0, err
			}
			add := s.backend.AddParent
			if kind == delegation.Repositories {
				add = s.backend.AddRepository
			}
			p, err := add(r.Context(), actor(r), chi.URLParam(r, "name"), []byte(in.XML))
			if err != nil {
				return nil, 0, err
			}
			out := peerOf(p)
			return &out, http.StatusCreated, nil
		}))
		r.Delete(base+"/{name}", s.handle(func(r *http.Request) (any, int, error) {
			name := chi.URLParam(r, "name")
			return &PeerRemoved{Removed: name}, http.StatusOK, s.backend.RemovePeer(r.Context(), actor(r), kind, name)
		}))
	}
	r.Post("/parents/sync", s.handle(func(r *http.Request) (any, int, error) {
		syncErr := s.backend.SyncPeers(r.Context(), true)
		var out Synced
		ps, err := s.backend.ListPeers(r.Context(), delegation.Parents)
		if err != nil {
			return nil, 0, err
		}
		rs, err := s.backend.ListPeers(r.Context(), delegation.Repositories)
		if err != nil {
			return nil, 0, err
		}
		out.Parents, out.Repositories = delegPeers(ps).Peers, delegPeers(rs).Peers
		_ = syncErr // each peer's error is in its last_error
		return &out, http.StatusOK, nil
	}))
}

// Parts' Delegation calls.
func (p Parts) ChildRequest(ctx context.Context) ([]byte, error) {
	return p.Delegation.ChildRequest(ctx)
}
func (p Parts) PublisherRequest(ctx context.Context) ([]byte, error) {
	return p.Delegation.PublisherRequest(ctx)
}
func (p Parts) AddParent(ctx context.Context, actor, name string, xml []byte) (*delegation.Peer, error) {
	return p.Delegation.AddParent(ctx, actor, name, xml)
}
func (p Parts) AddRepository(ctx context.Context, actor, name string, xml []byte) (*delegation.Peer, error) {
	return p.Delegation.AddRepository(ctx, actor, name, xml)
}
func (p Parts) RemovePeer(ctx context.Context, actor string, kind delegation.Kind, name string) error {
	return p.Delegation.RemovePeer(ctx, actor, kind, name)
}
func (p Parts) ListPeers(ctx context.Context, kind delegation.Kind) ([]delegation.Peer, error) {
	return p.Delegation.ListPeers(ctx, kind)
}
func (p Parts) SyncPeers(ctx context.Context, force bool) error {
	return p.Delegation.SyncPeers(ctx, force)
}

// Client calls of the delegation routes.

// OOBRequest is road's <child_request/> (kind "parents") or
// <publisher_request/> ("repositories").
func (c *Client) OOBRequest(ctx context.Context, kind string) (*OOBMessage, error) {
	var out OOBMessage
	return &out, c.get(ctx, "/"+kind+"/request", nil, &out)
}

// AddPeer imports a <parent_response/> or <repository_response/>.
func (c *Client) AddPeer(ctx context.Context, kind, name, xml string) (*Peer, error) {
	var out Peer
	return &out, c.sendJSON(ctx, http.MethodPost, "/"+kind+"/"+url.PathEscape(name), OOBMessage{XML: xml}, &out)
}

// RemovePeer forgets a parent or repository.
func (c *Client) RemovePeer(ctx context.Context, kind, name string) (*PeerRemoved, error) {
	var out PeerRemoved
	_, err := c.do(ctx, http.MethodDelete, "/"+kind+"/"+url.PathEscape(name), nil, nil, nil, &out)
	return &out, err
}

// Peers lists the parents or repositories.
func (c *Client) Peers(ctx context.Context, kind string) (*PeerList, error) {
	var out PeerList
	return &out, c.get(ctx, "/"+kind, nil, &out)
}

// SyncPeers contacts every parent and repository now.
func (c *Client) SyncPeers(ctx context.Context) (*Synced, error) {
	var out Synced
	return &out, c.sendJSON(ctx, http.MethodPost, "/parents/sync", struct{}{}, &out)
}

// Status is the node's status with the parents and repositories.
func (p Parts) Status(ctx context.Context) (*Status, error) {
	st, err := p.Node.Status(ctx)
	if err != nil || p.Delegation == nil {
		return st, err
	}
	ps, err := p.Delegation.ListPeers(ctx, delegation.Parents)
	if err != nil {
		return nil, err
	}
	rs, err := p.Delegation.ListPeers(ctx, delegation.Repositories)
	if err != nil {
		return nil, err
	}
	st.Parents, st.Repositories = delegPeers(ps).Peers, delegPeers(rs).Peers
	for _, par := range st.Parents {
		for _, c := range par.Classes {
			if c.Active {
				st.CA.Mode = "delegated"
			}
		}
	}
	return st, nil
}
