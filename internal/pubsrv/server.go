// Package pubsrv is road's repository as an RFC 8181 publication server:
// the publishers it serves (added with their RFC 8183 <publisher_request>,
// each given the space sia_base = road's rsync base + "<name>/") and the
// server that answers their publish, withdraw and list queries. What they
// publish is stored in the database and road's RRDP and rsync serve it
// beside road's own objects.
//
// Every query is verified with the publisher's registered BPKI identity
// (updown.Unwrap, RFC 8181 §2 reuses RFC 6492's CMS profile) with a
// signing-time replay bound per publisher, and every reply is signed with
// road's identity. A query refused before it is authenticated and
// understood (body over MaxBody, unknown publisher, CMS, identity, signing
// time, XML) gets HTTP 400 and a signed <report_error/> (§2.5:
// permission_failure for an unknown publisher, bad_cms_signature for the
// CMS and its signing time, xml_error for the XML or a reply sent as a
// query, other_error for the size) whose error_text starts with the reason
// code; it is logged and changes nothing. A query is applied all or nothing
// (§2.4): the first PDU that fails gets a report_error with its tag and a
// copy of it (permission_failure outside sia_base or for a URI road cannot
// serve, object_already_present, no_object_present,
// no_object_matching_hash) with HTTP 200, and nothing is stored.
package pubsrv

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/pubproto"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
)

// ContentType is the media type of RFC 8181 §2 messages.
const ContentType = "application/rpki-publication"

// MaxBody bounds a query: a CA's whole publication point in one message.
const MaxBody = updown.MaxMessageSize

// Quotas of one publisher: what its space may hold. A query that would go
// over one is refused whole with other_error (pubsrv-quota).
const (
	MaxObjects    = 100000  // objects in its space
	MaxObjectSize = 4 << 20 // bytes of one object
)

// Reason codes of this package (error_text prefixes and logs).
const (
	ReasonTooLarge         = "pubsrv-too-large"
	ReasonUnknownPublisher = "pubsrv-unknown-publisher"
	ReasonNotAQuery        = "pubsrv-not-a-query"
	ReasonQuota            = "pubsrv-quota"
)

// Config configures the server.
type Config struct {
	Store *store.Store
	// Identity and Signer are road's BPKI identity.
	Identity oob.Identity
	Signer   *updown.Signer
	// Self, when set, returns road's current identity for each query and
	// each add (an identity roll takes effect at once); it overrides
	// Identity and Signer.
	Self func(ctx context.Context) (oob.Identity, *updown.Signer, error)
	// ServiceBase is the base URL of the endpoints; a publisher's service
	// URI is ServiceBase + "rfc8181/" + name.
	ServiceBase string
	RsyncBase   string // road's rsync base; a publisher's sia_base is below it
	RRDPNotify  string // road's RRDP notification URI
	// Publish is called after a committed change.
	Publish func(ctx context.Context) error
	Clock   func() time.Time
	Logger  *slog.Logger
}

// self is road's current identity.
func (s *Server) self(ctx context.Context) (oob.Identity, *updown.Signer, error) {
	if s.cfg.Self != nil {
		return s.cfg.Self(ctx)
	}
	return s.cfg.Identity, s.cfg.Signer, nil
}

// Server is the publication server; queries are handled one at a time.
type Server struct {
	cfg Config
	log *slog.Logger
	mu  sync.Mutex
}

// New returns the server.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Publish == nil {
		cfg.Publish = func(context.Context) error { return nil }
	}
	return &Server{cfg: cfg, log: cfg.Logger}
}

// ServeHTTP answers POST /rfc8181/{publisher}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	updown.ServeMessage(w, r, "RFC 8181", ContentType, MaxBody, s.Handle)
}

// refusal is a query refused before it was applied.
type refusal struct {
	code string // RFC 8181 §2.5
	err  error
}

// Handle answers one CMS query from publisher: the HTTP status and the
// signed reply.
func (s *Server) Handle(ctx context.Context, publisher string, body []byte) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, me, err := s.self(ctx)
	if err != nil {
		s.log.Error("rfc8181: road's identity", "err", err)
		return http.StatusInternalServerError, nil
	}
	q, row, ref := s.accept(ctx, publisher, body)
	if ref != nil {
		s.log.Warn("rfc8181: refused a query", "publisher", publisher, "code", ref.code, "err", ref.err)
		return http.StatusBadRequest, s.sign(me, publisher, pubproto.Message{Type: pubproto.Reply,
			Errors: []pubproto.ReportError{{Code: ref.code, Text: ref.err.Error()}}})
	}
	reply, changed, err := s.apply(ctx, row, q)
	if err != nil {
		s.log.Error("rfc8181: query failed", "publisher", publisher, "err", err)
		return http.StatusInternalServerError, s.sign(me, publisher, pubproto.Message{Type: pubproto.Reply,
			Errors: []pubproto.ReportError{{Code: pubproto.OtherError, Text: "internal error"}}})
	}
	for _, e := range reply.Errors {
		s.log.Warn("rfc8181: query not applied", "publisher", publisher, "code", e.Code, "tag", e.Tag, "text", e.Text)
	}
	if changed {
		if err := s.cfg.Publish(ctx); err != nil {
			s.log.Error("rfc8181: publish after a change", "publisher", publisher, "err", err)
		}
	}
	return http.StatusOK, s.sign(me, publisher, reply)
}

// query is an authenticated query with its signing time.
type query struct {
	pubproto.Message
	signingTime time.Time
}

// accept authenticates and decodes a query.
func (s *Server) accept(ctx context.Context, publisher string, body []byte) (*query, *store.Publisher, *refusal) {
	if len(body) > MaxBody {
		return nil, nil, &refusal{pubproto.OtherError, fault.New(ReasonTooLarge, fmt.Sprintf("message over %d bytes", MaxBody), nil)}
	}
	var row *store.Publisher
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		row, err = tx.Publisher(publisher)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, &refusal{pubproto.PermissionFailure, fault.New(ReasonUnknownPublisher,
			fmt.Sprintf("no publisher %q is configured", publisher), nil)}
	}
	if err == nil {
		var id *x509.Certificate
		if id, err = x509.ParseCertificate(row.IDCert); err == nil {
			var u *updown.Unwrapped
			if u, err = updown.Unwrap(body, id, s.cfg.Clock(), row.LastSigningTime); err != nil {
				return nil, nil, &refusal{pubproto.BadCMSSignature, err}
			}
			m, err := pubproto.Parse(u.XML, pubproto.Options{MaxBytes: MaxBody})
			if err != nil {
				return nil, nil, &refusal{pubproto.XMLError, err}
			}
			if m.Type != pubproto.Query {
				return nil, nil, &refusal{pubproto.XMLError, fault.New(ReasonNotAQuery, "a reply is not a query", nil)}
			}
			return &query{Message: m, signingTime: u.SigningTime}, row, nil
		}
	}
	return nil, nil, &refusal{pubproto.OtherError, err}
}

// sign wraps a reply; one that cannot be signed leaves an empty body.
func (s *Server) sign(me *updown.Signer, publisher string, m pubproto.Message) []byte {
	xml, err := pubproto.Emit(m)
	if err == nil {
		var der []byte
		if der, err = updown.Wrap(xml, me); err == nil {
			return der
		}
	}
	s.log.Error("rfc8181: cannot sign a reply", "publisher", publisher, "err", err)
	return nil
}

// apply performs a query all or nothing (RFC 8181 §2.4) in one transaction
// that also records its signing time.
func (s *Server) apply(ctx context.Context, row *store.Publisher, q *query) (reply pubproto.Message, changed bool, err error) {
	reply.Type = pubproto.Reply
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.Publisher(row.Name)
		if err != nil {
			return err
		}
		cur.LastSigningTime = q.signingTime
		if err := tx.PutPublisher(cur); err != nil {
			return err
		}
		objs, err := tx.Published(row.Name)
		if err != nil {
			return err
		}
		held := make(map[string]string, len(objs)) // uri → hash
		for _, o := range objs {
			held[o.URI] = o.Hash
		}
		if len(q.PDUs) == 1 && q.PDUs[0].Kind == pubproto.List { // §2.3
			reply.List = []pubproto.Listed{}
			for _, o := range objs {
				reply.List = append(reply.List, pubproto.Listed{URI: o.URI, Hash: o.Hash})
			}
			return nil
		}
		if e := s.check(cur, held, q.PDUs); e != nil {
			reply.Errors = []pubproto.ReportError{*e}
			return nil
		}
		if changed, err = s.store(tx, cur.Name, q.PDUs); err != nil {
			return err
		}
		reply.Success = true
		return nil
	})
	return reply, changed, err
}

// check runs the PDUs against a working copy of what the publisher holds
// and returns the report of the first that fails (RFC 8181 §2.2, §2.5).
func (s *Server) check(p *store.Publisher, held map[string]string, pdus []pubproto.PDU) *pubproto.ReportError {
	for _, pdu := range pdus {
		fail := func(code, format string, a ...any) *pubproto.ReportError {
			failed := pdu
			return &pubproto.ReportError{Tag: pdu.Tag, Code: code, Text: fmt.Sprintf(format, a...), Failed: &failed}
		}
		if !strings.HasPrefix(pdu.URI, p.SIABase) {
			return fail(pubproto.PermissionFailure, "%s is outside this publisher's space %s", pdu.URI, p.SIABase)
		}
		if err := publish.CheckURI(s.cfg.RsyncBase, pdu.URI); err != nil {
			return fail(pubproto.PermissionFailure, "this repository cannot serve %s: %v", pdu.URI, err)
		}
		have, exists := held[pdu.URI]
		switch {
		case pdu.Hash == "" && exists: // a publish without hash, to a URI in use
			return fail(pubproto.ObjectAlreadyPresent, "%s exists: a publish replacing it needs its hash", pdu.URI)
		case pdu.Hash != "" && !exists:
			return fail(pubproto.NoObjectPresent, "no object at %s", pdu.URI)
		case pdu.Hash != "" && pdu.Hash != have:
			return fail(pubproto.NoObjectMatchingHash, "the object at %s has hash %s, not %s", pdu.URI, have, pdu.Hash)
		}
		if pdu.Kind == pubproto.Publish && len(pdu.Content) > MaxObjectSize {
			return fail(pubproto.OtherError, "%s: %s of %d bytes, at most %d", ReasonQuota, pdu.URI, len(pdu.Content), MaxObjectSize)
		}
		if pdu.Kind == pubproto.Withdraw {
			delete(held, pdu.URI)
		} else {
			held[pdu.URI] = hashOf(pdu.Content)
		}
		if len(held) > MaxObjects {
			return fail(pubproto.OtherError, "%s: the space would hold over %d objects", ReasonQuota, MaxObjects)
		}
	}
	return nil
}

// store applies checked PDUs.
func (s *Server) store(tx *store.Tx, publisher string, pdus []pubproto.PDU) (bool, error) {
	now := s.cfg.Clock()
	for _, pdu := range pdus {
		var err error
		if pdu.Kind == pubproto.Withdraw {
			err = tx.DeletePublished(pdu.URI)
		} else {
			err = tx.PutPublished(&store.PublishedObject{URI: pdu.URI, Publisher: publisher, DER: pdu.Content,
				Hash: hashOf(pdu.Content), UpdatedAt: now})
		}
		if err != nil {
			return false, err
		}
	}
	return len(pdus) > 0, nil
}

// hashOf is the RFC 8181 §2.2 hash: lower-case hex SHA-256 of the object.
func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
