package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/impact"
	"github.com/roadrpki/road/internal/liveroutes"
	"github.com/roadrpki/road/internal/proposal"
)

// MaxBodyBytes bounds every JSON request body.
const MaxBodyBytes = 8 << 20

// MaxImportBytes bounds the body of POST /bgp/import (a compressed full
// table with many collector peers is a few hundred MB).
const MaxImportBytes = 1 << 30

// Backend is what the handlers need from the daemon. Errors it returns are
// mapped to HTTP by their reason code (*fault.Error, statusError); any other
// error is a 500.
type Backend interface {
	Status(ctx context.Context) (*Status, error)
	ROAs(ctx context.Context) ([]proposal.ROAEntry, error)
	Propose(ctx context.Context, actor string, req *proposal.Request) (*proposal.Result, error)
	Intents(ctx context.Context) ([]proposal.Intent, error)
	AddIntent(ctx context.Context, actor string, in *proposal.Intent) error
	RemoveIntent(ctx context.Context, actor string, in *proposal.Intent) error
	History(ctx context.Context, limit int) ([]proposal.HistoryEntry, error)

	// BGPRoutes lists the live route table, or the routes equal to or more
	// specific than prefix (""), at most limit (0: the backend's default).
	BGPRoutes(ctx context.Context, prefix string, limit int) (*liveroutes.RouteList, error)
	// BGPImport reads an MRT (TABLE_DUMP, TABLE_DUMP_V2, BGP4MP; gzip or
	// bzip2) or text file from body as the import source name. Read errors
	// of body that are *fault.Error (the size bound) must be returned as is.
	BGPImport(ctx context.Context, actor, name string, body io.Reader) (*liveroutes.ImportResult, error)
	// BGPRemoveImport forgets the routes of an import source.
	BGPRemoveImport(ctx context.Context, actor, name string) error
	// BGPPeers lists the configured BGP neighbours and their sessions.
	BGPPeers(ctx context.Context) (*liveroutes.PeerList, error)
	// BGPAnalysis and BGPSuggestions are the ROA set against the live routes
	// (internal/conflict's Analysis and Suggestion).
	BGPAnalysis(ctx context.Context) (conflict.Analysis, error)
	BGPSuggestions(ctx context.Context) (conflict.Suggestion, error)
	// BGPResilience lists the holder's routes without a Valid covering
	// announcement to fall back on (internal/impact's Resilience).
	BGPResilience(ctx context.Context) (impact.Resilience, error)

	// RPVRPs is the bundled RP's last result as rpki-client JSON.
	RPVRPs(ctx context.Context) ([]byte, error)
	RPStatus(ctx context.Context) (*RPStatus, error)

	// PublishOverride records an operator's override of a refused
	// publication (reason required) and publishes (publish.go).
	PublishOverride(ctx context.Context, actor, reason string) error

	// Expiry lists published objects and validated VRPs by effective
	// expiry, only those expiring within within when it is > 0.
	Expiry(ctx context.Context, within time.Duration) (*audit.ExpiryList, error)
	// RunAudit runs one audit now (kind is one of AuditKinds) and stores it.
	RunAudit(ctx context.Context, kind string) (*audit.Result, error)
	// Audits lists stored results newest first, of kind ("" all), at most limit.
	Audits(ctx context.Context, kind string, limit int) ([]audit.Result, error)

	Delegation // road as a delegated CA (delegation.go)

	ChangeBackend // the change pipeline (changes.go)
	// Parent: the children and publishers of road as a parent and a
	// publication server.
	Parent
}

// Audit listing bounds (GET /audits).
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// ParseWithin reads a positive Go duration or a whole number of days ("30d").
func ParseWithin(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.ParseUint(n, 10, 16); err == nil && days > 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 30d or 72h", s)
	}
	return d, nil
}

func validAuditKind(k string) bool {
	for _, x := range AuditKinds {
		if k == x {
			return true
		}
	}
	return false
}

// StatusError is an error with an HTTP status and a stable code.
type StatusError struct {
	Status  int
	Code    string
	Message string
	Details any
}

func (e *StatusError) Error() string { return e.Code + ": " + e.Message }

// BadRequest builds a 400 error naming the bad input.
func BadRequest(format string, args ...any) error {
	return &StatusError{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// NotFound builds a 404 error.
func NotFound(format string, args ...any) error {
	return &StatusError{Status: http.StatusNotFound, Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// faultStatus is the HTTP status of each domain reason code.
var faultStatus = map[string]int{
	fault.Invalid:     http.StatusBadRequest,
	fault.NotFound:    http.StatusNotFound,
	fault.Conflict:    http.StatusConflict,
	fault.Blocked:     http.StatusConflict,
	fault.TooLarge:    http.StatusRequestEntityTooLarge,
	fault.Unavailable: http.StatusServiceUnavailable,
}

// statusError maps an error to its answer: a *StatusError as it is, a
// *fault.Error by its code, anything else as our fault (500).
func statusError(err error) *StatusError {
	var se *StatusError
	if errors.As(err, &se) {
		return se
	}
	if fe, ok := fault.As(err); ok {
		if st, ok := faultStatus[fe.Code]; ok {
			return &StatusError{Status: st, Code: fe.Code, Message: fe.Message, Details: fe.Details}
		}
	}
	return &StatusError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: err.Error()}
}

// Server serves the REST API under /api/v1.
type Server struct {
	backend Backend
	tokens  Tokens
	log     *slog.Logger
}

// NewServer returns the API handler; every request needs "Authorization:
// Bearer <secret>" of a token in tokens whose role may call the route
// (routeRoles).
func NewServer(b Backend, tokens Tokens, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{backend: b, tokens: tokens, log: log}
}

// Routes mounts the API on r (under /api/v1).
func (s *Server) Routes(r chi.Router) {
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.authorize(r))
		s.changeRoutes(r)
		s.pipelineRoutes(r)
		s.tokenRoutes(r)
		s.bgpRoutes(r)
		s.auditRoutes(r)
		s.rpRoutes(r)
		s.waveRoutes(r)
		s.delegationRoutes(r)
		s.keyRollRoutes(r)
		s.publishRoutes(r)
		s.parentRoutes(r)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, &StatusError{Status: http.StatusNotFound, Code: CodeNotFound,
				Message: "no such endpoint: " + r.Method + " " + r.URL.Path})
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, &StatusError{Status: http.StatusMethodNotAllowed, Code: CodeBadRequest,
				Message: "method " + r.Method + " not allowed on " + r.URL.Path})
		})
	})
}

// changeRoutes: status, ROAs and proposals, intents, history.
func (s *Server) changeRoutes(r chi.Router) {
	r.Get("/status", s.handle(func(r *http.Request) (any, int, error) {
		st, err := s.backend.Status(r.Context())
		return st, http.StatusOK, err
	}))
	r.Get("/roas", s.handle(func(r *http.Request) (any, int, error) {
		l, err := s.backend.ROAs(r.Context())
		return roaList(l), http.StatusOK, err
	}))
	r.Post("/roas/proposals", s.handle(func(r *http.Request) (any, int, error) {
		var req ProposalRequest
		if err := decodeBody(r, &req); err != nil {
			return nil, 0, err
		}
		preq := proposalRequest(&req)
		preq.Submitter = submitter(r)
		res, err := s.backend.Propose(r.Context(), actor(r), preq)
		if err != nil {
			return nil, 0, err
		}
		return proposalResult(res), resultStatus(res), nil
	}))
	r.Get("/intents", s.handle(func(r *http.Request) (any, int, error) {
		l, err := s.backend.Intents(r.Context())
		return intentList(l), http.StatusOK, err
	}))
	r.Post("/intents", s.handle(func(r *http.Request) (any, int, error) {
		var in Intent
		if err := decodeBody(r, &in); err != nil {
			return nil, 0, err
		}
		stored := intentOf(&in)
		if err := s.backend.AddIntent(r.Context(), actor(r), stored); err != nil {
			return nil, 0, err
		}
		out := Intent(*stored) // as recorded: a repeated intent keeps its note
		return &out, http.StatusCreated, nil
	}))
	r.Delete("/intents", s.handle(func(r *http.Request) (any, int, error) {
		var in Intent
		if err := decodeBody(r, &in); err != nil {
			return nil, 0, err
		}
		return &in, http.StatusOK, s.backend.RemoveIntent(r.Context(), actor(r), intentOf(&in))
	}))
	r.Get("/history", s.handle(func(r *http.Request) (any, int, error) {
		l, err := s.backend.History(r.Context(), 0)
		return historyList(l), http.StatusOK, err
	}))
}

// bgpRoutes: the live routes, imports, peers, analysis and suggestions.
func (s *Server) bgpRoutes(r chi.Router) {
	r.Get("/bgp/routes", s.handle(func(r *http.Request) (any, int, error) {
		limit := 0
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return nil, 0, BadRequest("limit %q: want a positive number", v)
			}
			limit = n
		}
		l, err := s.backend.BGPRoutes(r.Context(), r.URL.Query().Get("prefix"), limit)
		if err != nil {
			return nil, 0, err
		}
		return routeList(l), http.StatusOK, nil
	}))
	r.Post("/bgp/import", s.handle(func(r *http.Request) (any, int, error) {
		name := r.Header.Get("X-Import-Name")
		if name == "" {
			name = r.URL.Query().Get("name")
		}
		body := &limitedBody{r: r.Body, left: MaxImportBytes}
		res, err := s.backend.BGPImport(r.Context(), actor(r), name, body)
		if err != nil {
			return nil, 0, err
		}
		return (*BGPImportResult)(res), http.StatusOK, nil
	}))
	r.Delete("/bgp/imports/{name}", s.handle(func(r *http.Request) (any, int, error) {
		name := chi.URLParam(r, "name")
		return &BGPImportRemoved{Removed: name}, http.StatusOK, s.backend.BGPRemoveImport(r.Context(), actor(r), name)
	}))
	r.Get("/bgp/peers", s.handle(func(r *http.Request) (any, int, error) {
		l, err := s.backend.BGPPeers(r.Context())
		if err != nil {
			return nil, 0, err
		}
		return peerList(l), http.StatusOK, nil
	}))
	r.Get("/bgp/analysis", s.handle(func(r *http.Request) (any, int, error) {
		a, err := s.backend.BGPAnalysis(r.Context())
		if err != nil {
			return nil, 0, err
		}
		return bgpAnalysis(a), http.StatusOK, nil
	}))
	r.Get("/bgp/suggestions", s.handle(func(r *http.Request) (any, int, error) {
		a, err := s.backend.BGPSuggestions(r.Context())
		if err != nil {
			return nil, 0, err
		}
		return bgpSuggestion(a), http.StatusOK, nil
	}))
	r.Get("/bgp/resilience", s.handle(func(r *http.Request) (any, int, error) {
		a, err := s.backend.BGPResilience(r.Context())
		if err != nil {
			return nil, 0, err
		}
		return resilience(a), http.StatusOK, nil
	}))
}

// auditRoutes: expiry and the audits.
func (s *Server) auditRoutes(r chi.Router) {
	r.Get("/expiry", s.handle(func(r *http.Request) (any, int, error) {
		var within time.Duration
		if v := r.URL.Query().Get("within"); v != "" {
			d, err := ParseWithin(v)
			if err != nil {
				return nil, 0, BadRequest("within: %v", err)
			}
			within = d
		}
		l, err := s.backend.Expiry(r.Context(), within)
		if err != nil {
			return nil, 0, err
		}
		return expiryList(l), http.StatusOK, nil
	}))
	r.Post("/audits/{kind}", s.handle(func(r *http.Request) (any, int, error) {
		kind := chi.URLParam(r, "kind")
		if !validAuditKind(kind) {
			return nil, 0, BadRequest("audit kind %q: want one of %s", kind, strings.Join(AuditKinds, ", "))
		}
		res, err := s.backend.RunAudit(r.Context(), kind)
		if err != nil {
			return nil, 0, err
		}
		return auditResult(*res), http.StatusOK, nil
	}))
	r.Get("/audits", s.handle(func(r *http.Request) (any, int, error) {
		q := r.URL.Query()
		kind := q.Get("kind")
		if kind != "" && !validAuditKind(kind) {
			return nil, 0, BadRequest("kind %q: want one of %s", kind, strings.Join(AuditKinds, ", "))
		}
		limit := DefaultAuditLimit
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > MaxAuditLimit {
				return nil, 0, BadRequest("limit %q: want 1..%d", v, MaxAuditLimit)
			}
			limit = n
		}
		l, err := s.backend.Audits(r.Context(), kind, limit)
		if err != nil {
			return nil, 0, err
		}
		out := &AuditList{Audits: []AuditResult{}}
		for _, a := range l {
			out.Audits = append(out.Audits, *auditResult(a))
		}
		return out, http.StatusOK, nil
	}))
}

// rpRoutes: the bundled relying party's status and VRPs.
func (s *Server) rpRoutes(r chi.Router) {
	r.Get("/rp/status", s.handle(func(r *http.Request) (any, int, error) {
		st, err := s.backend.RPStatus(r.Context())
		return st, http.StatusOK, err
	}))
	r.Get("/rp/vrps", func(w http.ResponseWriter, r *http.Request) {
		b, err := s.backend.RPVRPs(r.Context())
		if err != nil {
			s.handle(func(*http.Request) (any, int, error) { return nil, 0, err })(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
}

func (s *Server) handle(fn func(*http.Request) (any, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, status, err := fn(r)
		if err != nil {
			se := statusError(err)
			if se.Status == http.StatusInternalServerError {
				s.log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, se)
			return
		}
		writeJSON(w, status, v)
	}
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("request body: %v", err)
	}
	if dec.More() {
		return BadRequest("request body: trailing data after the JSON object")
	}
	return nil
}

// limitedBody reads at most left bytes of a request body, then fails with a
// fault.TooLarge (413) (the answer names the bound, the import is not applied).
type limitedBody struct {
	r    io.Reader
	left int64
}

func (l *limitedBody) Read(b []byte) (int, error) {
	if l.left <= 0 {
		// one byte more tells a body of exactly the bound from a longer one
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, fault.New(fault.TooLarge, fmt.Sprintf("request body larger than %d bytes", MaxImportBytes), nil)
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // messages quote ROAs as "P => ASN"
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, e *StatusError) {
	writeJSON(w, e.Status, ErrorBody{Error: Error{Code: e.Code, Message: e.Message, Details: e.Details}})
}
