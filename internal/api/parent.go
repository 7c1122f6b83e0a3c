package api

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/pubsrv"
	"github.com/roadrpki/road/internal/updownsrv"
)

// Parent is what the API asks road's parent side (internal/updownsrv) and
// publication server (internal/pubsrv): the children and publishers.
type Parent interface {
	AddChild(ctx context.Context, actor, name string, request []byte, resources string) (*updownsrv.Added, error)
	Children(ctx context.Context) ([]updownsrv.ChildInfo, error)
	SetChildResources(ctx context.Context, actor, name, resources string) (*updownsrv.ChildInfo, error)
	RemoveChild(ctx context.Context, actor, name string) error
	AddPublisher(ctx context.Context, actor, name string, request []byte) (*pubsrv.Added, error)
	Publishers(ctx context.Context) ([]pubsrv.PublisherInfo, error)
	RemovePublisher(ctx context.Context, actor, name string) error
}

// ChildAdd is the body of POST /children.
type ChildAdd struct {
	Name      string `json:"name"`
	Request   string `json:"request"`   // the child's <child_request> XML
	Resources string `json:"resources"` // "192.0.2.0/25, 2001:db8:1::/48, AS64500"
}

// ChildResources is the body of PUT /children/{name}/resources.
type ChildResources struct {
	Resources string `json:"resources"`
}

// Child is a child CA of road's CA.
type Child struct {
	Name         string      `json:"name"`
	Handle       string      `json:"handle,omitempty"` // its own handle (in the add answer)
	ServiceURI   string      `json:"service_uri"`
	Resources    []string    `json:"resources"`
	LastContact  *time.Time  `json:"last_contact,omitempty"`
	Certificates []ChildCert `json:"certificates"`
}

// ChildCert is a certificate issued to a child.
type ChildCert struct {
	URI       string    `json:"uri"`
	Resources []string  `json:"resources"`
	NotAfter  time.Time `json:"not_after"`
}

// ChildAdded is the answer of POST /children.
type ChildAdded struct {
	Child          Child  `json:"child"`
	ParentResponse string `json:"parent_response"` // the <parent_response> XML to give the child
}

// ChildList is GET /children.
type ChildList struct {
	Children []Child `json:"children"`
}

// PublisherAdd is the body of POST /publishers.
type PublisherAdd struct {
	Name    string `json:"name"`
	Request string `json:"request"` // the publisher's <publisher_request> XML
}

// Publisher is a client of road's RFC 8181 publication server.
type Publisher struct {
	Name        string     `json:"name"`
	Handle      string     `json:"handle,omitempty"`
	ServiceURI  string     `json:"service_uri"`
	SIABase     string     `json:"sia_base"`
	Objects     int        `json:"objects"`
	LastContact *time.Time `json:"last_contact,omitempty"`
}

// PublisherAdded is the answer of POST /publishers.
type PublisherAdded struct {
	Publisher          Publisher `json:"publisher"`
	RepositoryResponse string    `json:"repository_response"`
}

// PublisherList is GET /publishers.
type PublisherList struct {
	Publishers []Publisher `json:"publishers"`
}

// Removed answers the DELETEs of children and publishers.
type Removed struct {
	Removed string `json:"removed"`
}

func childOf(c updownsrv.ChildInfo) Child {
	out := Child{Name: c.Name, Handle: c.Handle, ServiceURI: c.ServiceURI, Resources: c.Resources,
		LastContact: timePtr(c.LastContact), Certificates: []ChildCert{}}
	for _, cc := range c.Certificates {
		out.Certificates = append(out.Certificates, ChildCert{URI: cc.URI, Resources: cc.Resources, NotAfter: cc.NotAfter})
	}
	return out
}

func publisherOf(p pubsrv.PublisherInfo) Publisher {
	return Publisher{Name: p.Name, Handle: p.Handle, ServiceURI: p.ServiceURI, SIABase: p.SIABase, Objects: p.Objects,
		LastContact: timePtr(p.LastContact)}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// parentRoutes: children (RFC 6492) and publishers (RFC 8181).
func (s *Server) parentRoutes(r chi.Router) {
	r.Get("/children", s.handle(func(r *http.Request) (any, int, error) {
		l, err := s.backend.Children(r.Context())
		out := &ChildList{Children: []Child{}}
		for _, c := range l {
			out.Children = append(out.Children, childOf(c))
		}
		return out, http.StatusOK, err
	}))
	r.Post("/children", s.handle(func(r *http.Request) (any, int, error) {
		var req ChildAdd
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		a, err := s.backend.AddChild(r.Context(), actor(r), req.Name, []byte(req.Request), req.Resources)
		if err != nil {
			return nil, 0, err
		}
		return &ChildAdded{Child: childOf(a.Child), ParentResponse: string(a.ParentResponse)}, http.StatusCreated, nil
	}))
	r.Put("/children/{name}/resources", s.handle(func(r *http.Request) (any, int, error) {
		var req ChildResources
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		c, err := s.backend.SetChildResources(r.Context(), actor(r), chi.URLParam(r, "name"), req.Resources)
		if err != nil {
			return nil, 0, err
		}
		out := childOf(*c)
		return &out, http.StatusOK, nil
	}))
	r.Delete("/children/{name}", s.handle(func(r *http.Request) (any, int, error) {
		name := chi.URLParam(r, "name")
		return &Removed{Removed: name}, http.StatusOK, s.backend.RemoveChild(r.Context(), actor(r), name)
	}))
	r.Get("/publishers", s.handle(func(r *http.Request) (any, int, error) {
		l, err := s.backend.Publishers(r.Context())
		out := &PublisherList{Publishers: []Publisher{}}
		for _, p := range l {
			out.Publishers = append(out.Publishers, publisherOf(p))
		}
		return out, http.StatusOK, err
	}))
	r.Post("/publishers", s.handle(func(r *http.Request) (any, int, error) {
		var req PublisherAdd
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		a, err := s.backend.AddPublisher(r.Context(), actor(r), req.Name, []byte(req.Request))
		if err != nil {
			return nil, 0, err
		}
		return &PublisherAdded{Publisher: publisherOf(a.Publisher), RepositoryResponse: string(a.RepositoryResponse)},
			http.StatusCreated, nil
	}))
	r.Delete("/publishers/{name}", s.handle(func(r *http.Request) (any, int, error) {
		name := chi.URLParam(r, "name")
		return &Removed{Removed: name}, http.StatusOK, s.backend.RemovePublisher(r.Context(), actor(r), name)
	}))
}

// Protocol endpoints outside /api/v1 and its token auth: the CMS signature
// of each message authenticates its sender (RFC 6492 §3.1, RFC 8181 §2).
const (
	UpDownRoute      = "/rfc6492/{child}"
	PublicationRoute = "/rfc8181/{publisher}"
)

// MountProtocols mounts the RFC 6492 and RFC 8181 endpoints on r, public
// (no token) and with their body bounds (updownsrv.MaxBody, pubsrv.MaxBody).
func MountProtocols(r chi.Router, updown, publication http.Handler) {
	r.Post(UpDownRoute, bounded(updown, updownsrv.MaxBody))
	r.Post(PublicationRoute, bounded(publication, pubsrv.MaxBody))
}

func bounded(h http.Handler, max int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, max+1) // the handler reads max+1 to tell "over" from "at"
		h.ServeHTTP(w, r)
	}
}

// AddChild is POST /api/v1/children (admin): the answer carries the
// <parent_response> to give the child.
func (c *Client) AddChild(ctx context.Context, in ChildAdd) (*ChildAdded, error) {
	var v ChildAdded
	return &v, c.sendJSON(ctx, http.MethodPost, "/children", &in, &v)
}

// Children is GET /api/v1/children.
func (c *Client) Children(ctx context.Context) (*ChildList, error) {
	var v ChildList
	return &v, c.get(ctx, "/children", nil, &v)
}

// SetChildResources is PUT /api/v1/children/{name}/resources (admin).
func (c *Client) SetChildResources(ctx context.Context, name, resources string) (*Child, error) {
	var v Child
	return &v, c.sendJSON(ctx, http.MethodPut, "/children/"+url.PathEscape(name)+"/resources", &ChildResources{Resources: resources}, &v)
}

// RemoveChild is DELETE /api/v1/children/{name} (admin).
func (c *Client) RemoveChild(ctx context.Context, name string) (*Removed, error) {
	var v Removed
	_, err := c.do(ctx, http.MethodDelete, "/children/"+url.PathEscape(name), nil, nil, nil, &v)
	return &v, err
}

// AddPublisher is POST /api/v1/publishers (admin): the answer carries the
// <repository_response> to give the publisher.
func (c *Client) AddPublisher(ctx context.Context, in PublisherAdd) (*PublisherAdded, error) {
	var v PublisherAdded
	return &v, c.sendJSON(ctx, http.MethodPost, "/publishers", &in, &v)
}

// Publishers is GET /api/v1/publishers.
func (c *Client) Publishers(ctx context.Context) (*PublisherList, error) {
	var v PublisherList
	return &v, c.get(ctx, "/publishers", nil, &v)
}

// RemovePublisher is DELETE /api/v1/publishers/{name} (admin).
func (c *Client) RemovePublisher(ctx context.Context, name string) (*Removed, error) {
	var v Removed
	_, err := c.do(ctx, http.MethodDelete, "/publishers/"+url.PathEscape(name), nil, nil, nil, &v)
	return &v, err
}
