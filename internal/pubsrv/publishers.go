package pubsrv

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

// PublisherInfo is a publisher as `roactl publisher list` shows it.
type PublisherInfo struct {
	Name       string
	ServiceURI string
	SIABase    string
	Handle     string // its own handle in its <publisher_request> (AddPublisher only)
	Objects    int
	// LastContact is the signing time of its last accepted query.
	LastContact time.Time
}

// Added is the result of AddPublisher: the publisher and the
// <repository_response> to give it (RFC 8183 §5.2.4).
type Added struct {
	Publisher          PublisherInfo
	RepositoryResponse []byte
}

// nameRE: a publisher's name is a URL path element and a directory of the
// rsync tree (internal/publish allows [A-Za-z0-9_-] there).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// reserved are the directories of road's own CAs in the rsync tree.
var reserved = map[string]bool{"ta": true, "root": true, "ca": true}

// CheckName refuses a name that cannot be a publisher's.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fault.Invalidf("publisher name %q: want 1 to 64 of A-Z a-z 0-9 _ -", name)
	}
	if reserved[name] {
		return fault.Invalidf("publisher name %q is a directory of road's own CAs", name)
	}
	return nil
}

func (s *Server) serviceURI(name string) string { return s.cfg.ServiceBase + "rfc8181/" + name }

func (s *Server) siaBase(name string) string { return s.cfg.RsyncBase + name + "/" }

// AddPublisher registers a publisher from its <publisher_request> (RFC 8183
// §5.2.3), or replaces the identity of a publisher of that name (what it
// published stays).
func (s *Server) AddPublisher(ctx context.Context, actor, name string, request []byte) (*Added, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	req, err := oob.ParsePublisherRequest(request, oob.Options{})
	if err != nil {
		return nil, fault.Invalidf("publisher request: %v", err)
	}
	me, _, err := s.self(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := oob.EmitRepositoryResponse(oob.RepositoryResponse{Tag: req.Tag, ServiceURI: s.serviceURI(name),
		PublisherHandle: name, SIABase: s.siaBase(name), RRDPNotificationURI: s.cfg.RRDPNotify,
		RepositoryBPKI: me})
	if err != nil {
		return nil, fmt.Errorf("repository response: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock()
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		row := &store.Publisher{Name: name, IDCert: req.PublisherBPKI.DER, SIABase: s.siaBase(name), CreatedAt: now}
		if old, err := tx.Publisher(name); err == nil {
			row.CreatedAt = old.CreatedAt
			if string(old.IDCert) == string(row.IDCert) {
				row.LastSigningTime = old.LastSigningTime
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.PutPublisher(row); err != nil {
			return err
		}
		_, err := tx.AppendHistory(now, actor, "publisher-add", fmt.Sprintf("added publisher %s at %s", name, row.SIABase),
			map[string]any{"publisher": name, "handle": req.PublisherHandle, "sia_base": row.SIABase})
		return err
	})
	if err != nil {
		return nil, err
	}
	infos, err := s.list(ctx, name)
	if err != nil || len(infos) != 1 {
		return nil, fmt.Errorf("publisher %s: %w", name, err)
	}
	infos[0].Handle = req.PublisherHandle
	return &Added{Publisher: infos[0], RepositoryResponse: resp}, nil
}

// RemovePublisher withdraws everything the publisher published and forgets it.
func (s *Server) RemovePublisher(ctx context.Context, actor, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Publisher(name); errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("no publisher %q", name)
		} else if err != nil {
			return err
		}
		objs, err := tx.Published(name)
		if err != nil {
			return err
		}
		n = len(objs)
		if err := tx.DeletePublisher(name); err != nil {
			return err
		}
		_, err = tx.AppendHistory(s.cfg.Clock(), actor, "publisher-remove",
			fmt.Sprintf("removed publisher %s and withdrew its %d object(s)", name, n), map[string]any{"publisher": name})
		return err
	})
	if err == nil && n > 0 {
		if err := s.cfg.Publish(ctx); err != nil {
			s.log.Error("rfc8181: publish after a change", "err", err)
		}
	}
	return err
}

// Publishers lists the publishers by name.
func (s *Server) Publishers(ctx context.Context) ([]PublisherInfo, error) { return s.list(ctx, "") }

func (s *Server) list(ctx context.Context, only string) ([]PublisherInfo, error) {
	out := []PublisherInfo{}
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.Publishers()
		if err != nil {
			return err
		}
		for _, r := range rows {
			if only != "" && r.Name != only {
				continue
			}
			objs, err := tx.Published(r.Name)
			if err != nil {
				return err
			}
			out = append(out, PublisherInfo{Name: r.Name, ServiceURI: s.serviceURI(r.Name), SIABase: r.SIABase,
				Objects: len(objs), LastContact: r.LastSigningTime})
		}
		return nil
	})
	return out, err
}
