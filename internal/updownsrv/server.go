// Package updownsrv is road as an RFC 6492 parent: the children its CA
// issues certificates to (added with their RFC 8183 <child_request>, each
// with an entitlement), and the up-down server that answers their list,
// issue and revoke messages.
//
// Every message is verified with the child's registered BPKI identity
// (updown.Unwrap) with the signing-time replay bound kept per child, and
// every answer is signed with road's own identity. A message that fails
// before it is authenticated and understood (RFC 6492 §3.2 checks 1 to 7:
// body over MaxBody, unknown child, CMS, identity, signing time, XML,
// sender or recipient, a type that is not a query) gets HTTP 400 with an
// error_response (§3.6) whose status is 2001, or 1103 for a type that is
// not a query, and whose description starts with the reason code
// (updownsrv-too-large, updownsrv-unknown-child, updownsrv-wrong-sender,
// updownsrv-wrong-recipient, updownsrv-not-a-query or an updown reason
// such as updown-cms-replay); it is logged and changes nothing. An
// authenticated request that cannot be performed gets HTTP 200 with an
// error_response: 1201/1301 unknown class, 1202 no resources, 1203 bad
// certificate request, 1204 a key already certified for another child,
// 1302 no such key, 2001 anything else.
package updownsrv

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/oob"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/updown"
)

// ContentType is the media type of RFC 6492 §3 messages.
const ContentType = "application/rpki-updown"

// MaxBody bounds a request body: a list, issue or revoke query is a few KB.
const MaxBody = 1 << 20

// ClassName is the one resource class road's CA offers.
const ClassName = "default"

// Reason codes of this package (in error_response descriptions and logs).
const (
	ReasonTooLarge       = "updownsrv-too-large"
	ReasonUnknownChild   = "updownsrv-unknown-child"
	ReasonWrongSender    = "updownsrv-wrong-sender"
	ReasonWrongRecipient = "updownsrv-wrong-recipient"
	ReasonNotAQuery      = "updownsrv-not-a-query"
)

// Config configures the server.
type Config struct {
	Store *store.Store
	CA    *ca.CA
	// Handle is road's name as a parent (parent_handle, the recipient of
	// the children's messages); Identity and Signer are its BPKI identity.
	Handle   string
	Identity oob.Identity
	Signer   *updown.Signer
	// Self, when set, returns road's current identity for each message and
	// each add (an identity roll takes effect at once); it overrides
	// Handle, Identity and Signer.
	Self func(ctx context.Context) (*Self, error)
	// ServiceBase is the base URL of the endpoints ("http://host:port/");
	// a child's service URI is ServiceBase + "rfc6492/" + name.
	ServiceBase string
	// Publish is called after a committed change to the CA's objects.
	Publish func(ctx context.Context) error
	Clock   func() time.Time
	Logger  *slog.Logger
}

// Self is road's BPKI identity as a parent.
type Self struct {
	Handle   string
	Identity oob.Identity
	Signer   *updown.Signer
}

// self is road's current identity.
func (s *Server) self(ctx context.Context) (*Self, error) {
	if s.cfg.Self != nil {
		return s.cfg.Self(ctx)
	}
	return &Self{Handle: s.cfg.Handle, Identity: s.cfg.Identity, Signer: s.cfg.Signer}, nil
}

// Server is the parent side. It is safe for concurrent use; messages are
// handled one at a time (the replay bound is per child).
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

// ServeHTTP answers POST /rfc6492/{child}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	updown.ServeMessage(w, r, "RFC 6492", ContentType, MaxBody, s.Handle)
}

// Handle answers one CMS message from child: the HTTP status and the
// signed response body.
func (s *Server) Handle(ctx context.Context, child string, body []byte) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	me, err := s.self(ctx)
	if err != nil {
		s.log.Error("rfc6492: road's identity", "err", err)
		return http.StatusInternalServerError, nil
	}
	msg, err := s.accept(ctx, me.Handle, child, body)
	if err != nil {
		code := 2001
		if updown.Reason(err) == ReasonNotAQuery {
			code = 1103
		}
		s.log.Warn("rfc6492: refused a message", "child", child, "reason", updown.Reason(err), "err", err)
		return http.StatusBadRequest, s.sign(me, child, errorMessage(code, err.Error()))
	}
	resp, changed, err := s.perform(ctx, child, msg)
	if err != nil {
		s.log.Error("rfc6492: request failed", "child", child, "type", msg.Type, "err", err)
		return http.StatusInternalServerError, s.sign(me, child, errorMessage(2001, "internal error"))
	}
	if resp.Type == updown.TypeError {
		s.log.Warn("rfc6492: request not performed", "child", child, "type", msg.Type,
			"status", resp.Error.Status, "description", resp.Error.Descriptions[0].Text)
	}
	if changed {
		if err := s.cfg.Publish(ctx); err != nil {
			s.log.Error("rfc6492: publish after a change", "child", child, "err", err)
		}
	}
	return http.StatusOK, s.sign(me, child, resp)
}

// verified is an authenticated query with the signing time to record.
type verified struct {
	*updown.Message
	signingTime time.Time
}

// accept runs RFC 6492 §3.2 checks 1 to 7 and returns the query.
func (s *Server) accept(ctx context.Context, handle, child string, body []byte) (*verified, error) {
	if len(body) > MaxBody {
		return nil, fault.New(ReasonTooLarge, fmt.Sprintf("message over %d bytes", MaxBody), nil)
	}
	var row *store.Child
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		row, err = tx.Child(child)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.New(ReasonUnknownChild, fmt.Sprintf("no child %q is configured", child), nil)
	}
	if err != nil {
		return nil, err
	}
	id, err := x509.ParseCertificate(row.IDCert)
	if err != nil {
		return nil, fmt.Errorf("child %s: stored identity: %w", child, err)
	}
	u, err := updown.Unwrap(body, id, s.cfg.Clock(), row.LastSigningTime)
	if err != nil {
		return nil, err
	}
	m, err := updown.Parse(u.XML)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Sender != child:
		return nil, fault.New(ReasonWrongSender, fmt.Sprintf("sender %q on the endpoint of %q", m.Sender, child), nil)
	case m.Recipient != handle:
		return nil, fault.New(ReasonWrongRecipient, fmt.Sprintf("recipient %q, this parent is %q", m.Recipient, handle), nil)
	case m.Type != updown.TypeList && m.Type != updown.TypeIssue && m.Type != updown.TypeRevoke:
		return nil, fault.New(ReasonNotAQuery, fmt.Sprintf("a %s message is not a query", m.Type), nil)
	}
	return &verified{Message: m, signingTime: u.SigningTime}, nil
}

func errorMessage(code int, text string) *updown.Message {
	return &updown.Message{Type: updown.TypeError, Error: &updown.ErrorResponse{Status: code,
		Descriptions: []updown.Description{{Lang: "en", Text: text}}}}
}

// sign addresses m from road to child and wraps it; a message that cannot
// be signed leaves an empty body (logged).
func (s *Server) sign(me *Self, child string, m *updown.Message) []byte {
	m.Sender, m.Recipient = me.Handle, child
	if !handleRE.MatchString(child) {
		m.Recipient = "unknown"
	}
	xml, err := updown.Marshal(m)
	if err == nil {
		var der []byte
		if der, err = updown.Wrap(xml, me.Signer); err == nil {
			return der
		}
	}
	s.log.Error("rfc6492: cannot sign a response", "child", child, "err", err)
	return nil
}
