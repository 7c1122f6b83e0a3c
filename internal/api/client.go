package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/roadrpki/road/internal/vrpjson"
)

// MaxResponseBytes bounds every response body the client reads.
const MaxResponseBytes = 64 << 20

// ErrTransport marks failures to talk to the server at all (connection
// refused, timeout, unreadable or oversized answer), as opposed to an
// *APIError the server sent.
var ErrTransport = errors.New("transport")

// ErrUnexpectedJSON marks a 2xx answer whose body does not decode into the
// method's type (it also wraps ErrTransport). Callers that print the raw
// answer (Client.Observe) may still show it.
var ErrUnexpectedJSON = errors.New("unexpected-json")

// ErrOutcomeUnknown marks a change (any method but GET and HEAD) whose
// connection failed after the request was written: the server may have
// applied it (it also wraps ErrTransport).
var ErrOutcomeUnknown = errors.New("outcome-unknown")

// ErrServerURL marks a base URL that is not http(s)://HOST[:PORT].
var ErrServerURL = errors.New("bad-server-url")

// APIError is an error answer of the server: {"error":{"code","message","details"}}.
type APIError struct {
	Status  int
	Code    string
	Message string
	Details any
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server said %d %s: %s", e.Status, e.Code, e.Message)
}

// Client talks to road's REST API; every method answers with its wire type.
// The zero HTTP uses http.DefaultClient.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080 (without /api/v1)
	Token   string // bearer token
	HTTP    *http.Client
	// Actor, when set, is sent as X-Road-Actor to say who made a change (history).
	Actor string
	// Observe, when set, sees every response body as received (roactl -o json
	// prints the server's JSON as-is through it).
	Observe func(method, path string, status int, body []byte)
}

// Status is GET /api/v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var v Status
	return &v, c.get(ctx, "/status", nil, &v)
}

// ROAs is GET /api/v1/roas.
func (c *Client) ROAs(ctx context.Context) (*ROAList, error) {
	var v ROAList
	return &v, c.get(ctx, "/roas", nil, &v)
}

// Propose is POST /api/v1/roas/proposals. A proposal refused by a safety
// check is not an error: it returns the result with Blocked set and status
// 409. Applied changes and dry runs return 200.
func (c *Client) Propose(ctx context.Context, req *ProposalRequest) (*ProposalResult, int, error) {
	r := *req
	if r.Add == nil {
		r.Add = []ROA{} // the wire form has lists, never null
	}
	if r.Remove == nil {
		r.Remove = []ROA{}
	}
	body, err := json.Marshal(&r)
	if err != nil {
		return nil, 0, err
	}
	var v struct {
		ProposalResult
		Error *Error `json:"error"` // a 409 that is an error, not a blocked proposal
	}
	status, err := c.do(ctx, http.MethodPost, "/roas/proposals", nil, bytes.NewReader(body), jsonHeader(), &v, http.StatusConflict)
	if err != nil {
		return nil, status, err
	}
	if status == http.StatusConflict {
		if v.Error != nil && v.Error.Code != "" {
			return nil, status, &APIError{Status: status, Code: v.Error.Code, Message: v.Error.Message, Details: v.Error.Details}
		}
		v.Blocked = true
	}
	return &v.ProposalResult, status, nil
}

// Intents is GET /api/v1/intents.
func (c *Client) Intents(ctx context.Context) (*IntentList, error) {
	var v IntentList
	return &v, c.get(ctx, "/intents", nil, &v)
}

// AddIntent is POST /api/v1/intents {prefix, origin, note}.
func (c *Client) AddIntent(ctx context.Context, in Intent) (*Intent, error) {
	var v Intent
	return &v, c.sendJSON(ctx, http.MethodPost, "/intents", intentBody(in), &v)
}

// RemoveIntent is DELETE /api/v1/intents with the same body as AddIntent.
func (c *Client) RemoveIntent(ctx context.Context, in Intent) (*Intent, error) {
	var v Intent
	return &v, c.sendJSON(ctx, http.MethodDelete, "/intents", intentBody(in), &v)
}

// intentBody keeps only what the caller chooses; the server sets created_at.
func intentBody(in Intent) Intent {
	return Intent{Prefix: in.Prefix, Origin: in.Origin, Note: in.Note}
}

// History is GET /api/v1/history.
func (c *Client) History(ctx context.Context) (*HistoryList, error) {
	var v HistoryList
	return &v, c.get(ctx, "/history", nil, &v)
}

// BGPRoutes is GET /api/v1/bgp/routes, optionally ?prefix=P.
func (c *Client) BGPRoutes(ctx context.Context, prefix string) (*BGPRouteList, error) {
	var q url.Values
	if prefix != "" {
		q = url.Values{"prefix": {prefix}}
	}
	var v BGPRouteList
	return &v, c.get(ctx, "/bgp/routes", q, &v)
}

// BGPImport is POST /api/v1/bgp/import with the file (MRT, possibly gzip or
// bzip2, or text "PREFIX ORIGIN" lines) as the body and its name in X-Import-Name.
func (c *Client) BGPImport(ctx context.Context, name string, file io.Reader) (*BGPImportResult, error) {
	h := http.Header{"Content-Type": {"application/octet-stream"}}
	if name != "" {
		h.Set("X-Import-Name", name)
	}
	var v BGPImportResult
	_, err := c.do(ctx, http.MethodPost, "/bgp/import", nil, file, h, &v)
	return &v, err
}

// BGPRemoveImport is DELETE /api/v1/bgp/imports/{name}.
func (c *Client) BGPRemoveImport(ctx context.Context, name string) (*BGPImportRemoved, error) {
	var v BGPImportRemoved
	_, err := c.do(ctx, http.MethodDelete, "/bgp/imports/"+url.PathEscape(name), nil, nil, nil, &v)
	return &v, err
}

// BGPPeers is GET /api/v1/bgp/peers (configured neighbours, session state).
func (c *Client) BGPPeers(ctx context.Context) (*BGPPeerList, error) {
	var v BGPPeerList
	return &v, c.get(ctx, "/bgp/peers", nil, &v)
}

// BGPAnalysis is GET /api/v1/bgp/analysis (ROA set vs routes).
func (c *Client) BGPAnalysis(ctx context.Context) (*BGPAnalysis, error) {
	var v BGPAnalysis
	return &v, c.get(ctx, "/bgp/analysis", nil, &v)
}

// BGPSuggestions is GET /api/v1/bgp/suggestions (minimal ROAs for the routes).
func (c *Client) BGPSuggestions(ctx context.Context) (*BGPSuggestion, error) {
	var v BGPSuggestion
	return &v, c.get(ctx, "/bgp/suggestions", nil, &v)
}

// BGPResilience is GET /api/v1/bgp/resilience (the holder's routes
// without a Valid covering route to fall back on).
func (c *Client) BGPResilience(ctx context.Context) (*Resilience, error) {
	var v Resilience
	return &v, c.get(ctx, "/bgp/resilience", nil, &v)
}

// Expiry is GET /api/v1/expiry, with ?within=DURATION (Go syntax, e.g.
// "720h") when within > 0.
func (c *Client) Expiry(ctx context.Context, within time.Duration) (*ExpiryList, error) {
	var q url.Values
	if within > 0 {
		q = url.Values{"within": {FormatDuration(within)}}
	}
	var v ExpiryList
	return &v, c.get(ctx, "/expiry", q, &v)
}

// RunAudit is POST /api/v1/audits/{kind} ("consistency", "expiry" or "bgp").
func (c *Client) RunAudit(ctx context.Context, kind string) (*AuditResult, error) {
	var v AuditResult
	_, err := c.do(ctx, http.MethodPost, "/audits/"+url.PathEscape(kind), nil, nil, nil, &v)
	return &v, err
}

// Audits is GET /api/v1/audits (past results).
func (c *Client) Audits(ctx context.Context) (*AuditList, error) {
	var v AuditList
	return &v, c.get(ctx, "/audits", nil, &v)
}

// RPVRPs is GET /api/v1/rp/vrps (rpki-client JSON).
func (c *Client) RPVRPs(ctx context.Context) (*vrpjson.Document, error) {
	var v vrpjson.Document
	return &v, c.get(ctx, "/rp/vrps", nil, &v)
}

// RPStatus is GET /api/v1/rp/status.
func (c *Client) RPStatus(ctx context.Context) (*RPStatus, error) {
	var v RPStatus
	return &v, c.get(ctx, "/rp/status", nil, &v)
}

// FormatDuration writes d in Go syntax without zero minor units: 720h, 90m, 45s.
func FormatDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	default:
		return d.String()
	}
}

// get is a GET of /api/v1 + path decoding a 200 answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.do(ctx, http.MethodGet, path, query, nil, nil, out)
	return err
}

func (c *Client) sendJSON(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, method, path, nil, bytes.NewReader(body), jsonHeader(), out)
	return err
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// do sends one request to /api/v1 + path and decodes a 2xx answer (or one of
// the extra accepted statuses) into out, which may be nil. Other answers
// become *APIError; failures to reach the server wrap ErrTransport, answers
// that do not decode into out also ErrUnexpectedJSON.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body io.Reader, header http.Header, out any, accept ...int) (int, error) {
	u, err := c.url(path, query)
	if err != nil {
		return 0, err
	}
	var sent atomic.Bool // the server may have seen the request
	if method != http.MethodGet && method != http.MethodHead {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { sent.Store(true) }})
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Actor != "" {
		req.Header.Set("X-Road-Actor", c.Actor)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, transportError(sent.Load(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, transportError(sent.Load(), fmt.Errorf("reading answer to %s %s: %w", method, path, err))
	}
	if len(data) > MaxResponseBytes {
		return resp.StatusCode, fmt.Errorf("%w: answer to %s %s larger than %d bytes", ErrTransport, method, path, MaxResponseBytes)
	}
	if c.Observe != nil {
		c.Observe(method, path, resp.StatusCode, data)
	}
	ok := resp.StatusCode/100 == 2
	for _, s := range accept {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		return resp.StatusCode, decodeError(resp.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("%w: answer to %s %s is not the expected JSON (%w): %w", ErrTransport, method, path,
			ErrUnexpectedJSON, err)
	}
	return resp.StatusCode, nil
}

// transportError wraps a failure to talk to the server, marking it
// ErrOutcomeUnknown when a change request had been sent.
func transportError(sent bool, err error) error {
	if sent {
		return fmt.Errorf("%w: %w: %w", ErrTransport, ErrOutcomeUnknown, err)
	}
	return fmt.Errorf("%w: %w", ErrTransport, err)
}

func (c *Client) url(path string, query url.Values) (string, error) {
	base := strings.TrimRight(c.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: %q is not http(s)://HOST[:PORT]", ErrServerURL, c.BaseURL)
	}
	s := base + "/api/v1" + path
	if len(query) > 0 {
		s += "?" + query.Encode()
	}
	return s, nil
}

// decodeError turns an error answer into *APIError, also when the body is not
// the documented error JSON (a proxy's HTML page, an empty 502).
func decodeError(status int, data []byte) error {
	var eb ErrorBody
	if err := json.Unmarshal(data, &eb); err == nil && eb.Error.Code != "" {
		return &APIError{Status: status, Code: eb.Error.Code, Message: eb.Error.Message, Details: eb.Error.Details}
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &APIError{Status: status, Code: fmt.Sprintf("http-%d", status), Message: msg}
}

// Tokens is GET /api/v1/tokens (admin only; never secrets).
func (c *Client) Tokens(ctx context.Context) (*TokenList, error) {
	var v TokenList
	return &v, c.get(ctx, "/tokens", nil, &v)
}

// AddToken is POST /api/v1/tokens {name, role} (admin only); the answer
// carries the new token's secret, which cannot be had again.
func (c *Client) AddToken(ctx context.Context, name, role string) (*NewToken, error) {
	var v NewToken
	return &v, c.sendJSON(ctx, http.MethodPost, "/tokens", &TokenRequest{Name: name, Role: role}, &v)
}

// RevokeToken is DELETE /api/v1/tokens/{name} (admin only).
func (c *Client) RevokeToken(ctx context.Context, name string) (*TokenRevoked, error) {
	var v TokenRevoked
	_, err := c.do(ctx, http.MethodDelete, "/tokens/"+url.PathEscape(name), nil, nil, nil, &v)
	return &v, err
}
