package updownsrv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/store"
)

// ChildInfo is a child as `roactl child list` shows it.
type ChildInfo struct {
	Name       string
	ServiceURI string
	Resources  []string // the entitlement the operator gave
	Handle     string   // the child's own handle in its <child_request> (AddChild only)
	// LastContact is the signing time of its last accepted message (zero: none yet).
	LastContact  time.Time
	Certificates []ChildCertInfo
}

// ChildCertInfo is one certificate issued to a child.
type ChildCertInfo struct {
	URI       string
	Resources []string
	NotAfter  time.Time
}

// Added is the result of AddChild: the child and the <parent_response> to
// give it (RFC 8183 §5.2.2).
type Added struct {
	Child          ChildInfo
	ParentResponse []byte
}

// ServiceURI is a child's RFC 6492 endpoint.
func (s *Server) ServiceURI(name string) string { return s.cfg.ServiceBase + "rfc6492/" + name }

// AddChild registers a child from its <child_request> (RFC 8183 §5.2.1)
// with its entitlement, or replaces the identity and entitlement of a child
// of that name (its certificates follow the new entitlement at once).
func (s *Server) AddChild(ctx context.Context, actor, name string, request []byte, resources string) (*Added, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	res, err := ParseResources(resources)
	if err != nil {
		return nil, err
	}
	req, err := oob.ParseChildRequest(request, oob.Options{})
	if err != nil {
		return nil, fault.Invalidf("child request: %v", err)
	}
	me, err := s.self(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := oob.EmitParentResponse(oob.ParentResponse{Tag: req.Tag, ServiceURI: s.ServiceURI(name),
		ChildHandle: name, ParentHandle: me.Handle, ParentBPKI: me.Identity})
	if err != nil {
		return nil, fmt.Errorf("parent response: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock()
	changed := false
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		row := &store.Child{Name: name, IDCert: req.ChildBPKI.DER, Resources: res.String(), CreatedAt: now}
		if old, err := tx.Child(name); err == nil {
			row.CreatedAt = old.CreatedAt
			if string(old.IDCert) == string(row.IDCert) {
				row.LastSigningTime = old.LastSigningTime
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.PutChild(row); err != nil {
			return err
		}
		if changed, err = s.follow(ctx, tx, row); err != nil {
			return err
		}
		_, err := tx.AppendHistory(now, actor, "child-add", fmt.Sprintf("added child %s with %s", name, res),
			map[string]any{"child": name, "handle": req.ChildHandle, "resources": res.Items()})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.published(ctx, changed)
	info, err := s.child(ctx, name)
	if err != nil {
		return nil, err
	}
	info.Handle = req.ChildHandle
	return &Added{Child: *info, ParentResponse: resp}, nil
}

// SetResources changes a child's entitlement (grow or shrink) and reissues
// its certificates at once: a certificate left with no resources is revoked.
func (s *Server) SetResources(ctx context.Context, actor, name, resources string) (*ChildInfo, error) {
	res, err := ParseResources(resources)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		row, err := s.existing(tx, name)
		if err != nil {
			return err
		}
		was := row.Resources
		row.Resources = res.String()
		if err := tx.PutChild(row); err != nil {
			return err
		}
		if changed, err = s.follow(ctx, tx, row); err != nil {
			return err
		}
		_, err = tx.AppendHistory(s.cfg.Clock(), actor, "child-resources",
			fmt.Sprintf("child %s: resources %s (were %s)", name, row.Resources, was),
			map[string]any{"child": name, "resources": res.Items(), "was": was})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.published(ctx, changed)
	return s.child(ctx, name)
}

// RemoveChild revokes every certificate of the child and forgets it.
func (s *Server) RemoveChild(ctx context.Context, actor, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		if _, err := s.existing(tx, name); err != nil {
			return err
		}
		certs, err := tx.ChildCerts(name)
		if err != nil {
			return err
		}
		for _, cc := range certs {
			if err := s.revokeCert(ctx, tx, cc.URI); err != nil {
				return err
			}
			changed = true
		}
		if err := tx.DeleteChild(name); err != nil {
			return err
		}
		_, err = tx.AppendHistory(s.cfg.Clock(), actor, "child-remove",
			fmt.Sprintf("removed child %s and revoked its %d certificate(s)", name, len(certs)), map[string]any{"child": name})
		return err
	})
	if err == nil {
		s.published(ctx, changed)
	}
	return err
}

func (s *Server) existing(tx *store.Tx, name string) (*store.Child, error) {
	row, err := tx.Child(name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("no child %q", name)
	}
	return row, err
}

// follow makes the child's certificates carry its entitlement ∩ held now:
// each is reissued with the same key and SIA (kept when unchanged), or
// revoked when nothing is left.
func (s *Server) follow(ctx context.Context, tx *store.Tx, row *store.Child) (bool, error) {
	certs, err := tx.ChildCerts(row.Name)
	if err != nil || len(certs) == 0 {
		return false, err
	}
	res, _, err := s.entitled(tx, row)
	if err != nil {
		return false, err
	}
	ders, err := objectDERs(tx)
	if err != nil {
		return false, err
	}
	changed := false
	for _, cc := range certs {
		cur, err := rpki.ParseCertificate(ders[cc.URI])
		if err != nil { // gone: forget the record
			if err := tx.DeleteChildCert(cc.URI); err != nil {
				return false, err
			}
			continue
		}
		if res.Empty() {
			if err := s.revokeCert(ctx, tx, cc.URI); err != nil {
				return false, err
			}
			changed = true
			continue
		}
		out, err := s.cfg.CA.IssueChildCert(ctx, tx, ca.ChildRequest{Key: cur.PublicKey, SIA: cur.SIA, IP: res.IP, AS: res.AS})
		if err != nil {
			return false, err
		}
		changed = changed || out.Reissued
	}
	return changed, nil
}

func objectDERs(tx *store.Tx) (map[string][]byte, error) {
	objs, err := tx.Objects(ca.CAName)
	out := make(map[string][]byte, len(objs))
	for _, o := range objs {
		out[o.URI] = o.DER
	}
	return out, err
}

func (s *Server) published(ctx context.Context, changed bool) {
	if !changed {
		return
	}
	if err := s.cfg.Publish(ctx); err != nil {
		s.log.Error("rfc6492: publish after a change", "err", err)
	}
}

// Children lists the children by name.
func (s *Server) Children(ctx context.Context) ([]ChildInfo, error) {
	out := []ChildInfo{}
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.Children()
		if err != nil {
			return err
		}
		for i := range rows {
			info, err := s.info(tx, &rows[i])
			if err != nil {
				return err
			}
			out = append(out, *info)
		}
		return nil
	})
	return out, err
}

func (s *Server) child(ctx context.Context, name string) (*ChildInfo, error) {
	var out *ChildInfo
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		row, err := s.existing(tx, name)
		if err == nil {
			out, err = s.info(tx, row)
		}
		return err
	})
	return out, err
}

func (s *Server) info(tx *store.Tx, row *store.Child) (*ChildInfo, error) {
	res, err := ParseResources(row.Resources)
	if err != nil {
		return nil, err
	}
	info := &ChildInfo{Name: row.Name, ServiceURI: s.ServiceURI(row.Name), Resources: res.Items(),
		LastContact: row.LastSigningTime, Certificates: []ChildCertInfo{}}
	certs, err := tx.ChildCerts(row.Name)
	if err != nil {
		return nil, err
	}
	ders, err := objectDERs(tx)
	if err != nil {
		return nil, err
	}
	for _, cc := range certs {
		if c, err := rpki.ParseCertificate(ders[cc.URI]); err == nil {
			info.Certificates = append(info.Certificates, ChildCertInfo{URI: cc.URI,
				Resources: splitItems(certResources(c)), NotAfter: c.NotAfter})
		}
	}
	return info, nil
}

func splitItems(s string) []string {
	r, err := ParseResources(s)
	if err != nil {
		return []string{}
	}
	return r.Items()
}

// Reconcile makes every child's certificates follow its entitlement ∩ what
// the CA holds now, and renews those near expiry: the CA certificate itself
// may have been reissued with other resources or a later notAfter (its
// renewal, a change of road's own resources). It reports whether a
// certificate was reissued or revoked. Without children it reads only.
func (s *Server) Reconcile(ctx context.Context) (bool, error) {
	var certs []store.ChildCert
	if err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		certs, err = tx.ChildCerts("")
		return err
	}); err != nil || len(certs) == 0 {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		rows, err := tx.Children()
		if err != nil {
			return err
		}
		var names []string
		for i := range rows {
			c, err := s.follow(ctx, tx, &rows[i])
			if err != nil {
				return fmt.Errorf("child %s: %w", rows[i].Name, err)
			}
			if c {
				names = append(names, rows[i].Name)
			}
		}
		if changed = len(names) > 0; !changed {
			return nil
		}
		_, err = tx.AppendHistory(s.cfg.Clock(), "road", "child-reconcile",
			fmt.Sprintf("reissued the certificates of %d child(ren) to follow the CA", len(names)), map[string]any{"children": names})
		return err
	})
	return changed, err
}
