// Package updowncli is the child side of the RFC 6492 up-down protocol:
// it sends list, issue and revoke messages to a parent, CMS-signed with
// road's BPKI identity, and verifies the parent's responses with the
// parent's BPKI certificate from its <parent_response> (RFC 8183 §5.2.2),
// with signing-time replay bounds (RFC 6492 §3.1.2). It knows nothing of
// the CA or the store: the caller passes the parent and keeps the state.
package updowncli

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/updown"
)

// Content types of RFC 6492 §3 and RFC 8181 §2.
const (
	ContentTypeUpDown      = "application/rpki-updown"
	ContentTypePublication = "application/rpki-publication"
)

// Reason codes of this package's errors.
const (
	ReasonTransport = "parent-unreachable"      // the HTTP exchange failed
	ReasonHTTP      = "parent-http-status"      // the peer answered other than 200
	ReasonRefused   = "parent-error-response"   // an RFC 6492 §3.6 error_response
	ReasonUnexpect  = "parent-unexpected-reply" // a reply of the wrong type or for someone else
)

// Parent is where and who a parent is.
type Parent struct {
	ServiceURI   string
	ChildHandle  string // sender of our messages
	ParentHandle string // recipient, and the sender of the responses
	BPKI         *x509.Certificate
	// LastSigning is the signing-time of the last response accepted from
	// this parent: an older one is a replay (RFC 6492 §3.1.2 (5)).
	LastSigning time.Time
}

// Client talks to parents.
type Client struct {
	HTTP   *http.Client
	Signer *updown.Signer
	Clock  func() time.Time
}

// Exchange POSTs body, CMS-signed by signer, to uri with contentType and
// returns the verified XML of the answer and its signing-time. The answer
// is read up to updown.MaxMessageSize before it is parsed. RFC 8181 §2
// uses the same exchange, so internal/pubcli calls this too.
func Exchange(ctx context.Context, hc *http.Client, uri, contentType string, signer *updown.Signer, peer *x509.Certificate,
	last time.Time, now func() time.Time, body []byte) (*updown.Unwrapped, error) {
	cms, err := updown.Wrap(body, signer)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(cms))
	if err != nil {
		return nil, fault.New(ReasonTransport, err.Error(), nil)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fault.New(ReasonTransport, err.Error(), nil)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, updown.MaxMessageSize+1))
	if err != nil {
		return nil, fault.New(ReasonTransport, "reading the answer: "+err.Error(), nil)
	}
	if resp.StatusCode != http.StatusOK {
		// road's servers sign their refusals (HTTP 400 with an error
		// message); show its XML when it verifies, else the raw start.
		detail := fmt.Sprintf("%.200q", data)
		if u, err := updown.Unwrap(data, peer, now(), time.Time{}); err == nil {
			detail = fmt.Sprintf("%.400s", u.XML)
		}
		return nil, fault.New(ReasonHTTP, fmt.Sprintf("%s answered HTTP %d: %s", uri, resp.StatusCode, detail), nil)
	}
	return updown.Unwrap(data, peer, now(), last)
}

// Call sends m (Sender and Recipient are filled in) and returns the
// parent's verified, parsed answer and its signing-time. An error_response
// is returned as an error with code ReasonRefused.
func (c *Client) Call(ctx context.Context, p Parent, m *updown.Message) (*updown.Message, time.Time, error) {
	m.Sender, m.Recipient = p.ChildHandle, p.ParentHandle
	body, err := updown.Marshal(m)
	if err != nil {
		return nil, time.Time{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	u, err := Exchange(ctx, hc, p.ServiceURI, ContentTypeUpDown, c.Signer, p.BPKI, p.LastSigning, c.Clock, body)
	if err != nil {
		return nil, time.Time{}, err
	}
	resp, err := updown.Parse(u.XML)
	if err != nil {
		return nil, time.Time{}, err
	}
	// RFC 6492 §3.2: the answer comes from the recipient, to the sender.
	if resp.Sender != p.ParentHandle || resp.Recipient != p.ChildHandle {
		return nil, time.Time{}, fault.New(ReasonUnexpect, fmt.Sprintf("answer from %q to %q, want from %q to %q",
			resp.Sender, resp.Recipient, p.ParentHandle, p.ChildHandle), nil)
	}
	if resp.Type == updown.TypeError {
		e := resp.Error
		text := updown.StatusText(e.Status)
		for _, d := range e.Descriptions {
			text += ": " + d.Text
		}
		return nil, u.SigningTime, fault.New(ReasonRefused, fmt.Sprintf("parent refused: %d %s", e.Status, text), nil)
	}
	return resp, u.SigningTime, nil
}

func expect(m *updown.Message, t updown.Type) error {
	if m.Type != t {
		return fault.New(ReasonUnexpect, fmt.Sprintf("answer of type %s, want %s", m.Type, t), nil)
	}
	return nil
}

// List asks for the resource classes (RFC 6492 §3.3).
func (c *Client) List(ctx context.Context, p Parent) ([]updown.Class, time.Time, error) {
	resp, at, err := c.Call(ctx, p, &updown.Message{Type: updown.TypeList})
	if err != nil {
		return nil, at, err
	}
	return resp.Classes, at, expect(resp, updown.TypeListResponse)
}

// Issue asks for a certificate for the key of csr in class, for all the
// class's resources (RFC 6492 §3.4). The answer's class carries exactly
// one certificate (updown.Parse checks it).
func (c *Client) Issue(ctx context.Context, p Parent, class string, csr []byte) (*updown.Class, time.Time, error) {
	resp, at, err := c.Call(ctx, p, &updown.Message{Type: updown.TypeIssue,
		Request: &updown.IssueRequest{ClassName: class, CSR: csr}})
	if err != nil {
		return nil, at, err
	}
	if err := expect(resp, updown.TypeIssueResponse); err != nil {
		return nil, at, err
	}
	return &resp.Classes[0], at, nil
}

// Revoke asks the parent to revoke every certificate of the key ski in
// class (RFC 6492 §3.5).
func (c *Client) Revoke(ctx context.Context, p Parent, class string, ski []byte) (time.Time, error) {
	resp, at, err := c.Call(ctx, p, &updown.Message{Type: updown.TypeRevoke,
		Key: &updown.Key{ClassName: class, SKI: ski}})
	if err != nil {
		return at, err
	}
	return at, expect(resp, updown.TypeRevokeResponse)
}
