// Package pubcli is the publisher side of RFC 8181: it makes a remote
// publication server hold exactly a given set of objects. Every Sync
// starts with a <list/> query (§2.3), so that whatever happened before (a
// crash mid-exchange, an error, a restart) the next exchange starts from
// what the server really holds; then one query publishes what is missing
// or different, with the hash of what it replaces, and withdraws what is
// not wanted, with its hash (§2.2). Nothing is published twice: an object
// the server already holds with the same hash is left alone.
package pubcli

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/pubproto"
	"github.com/roadrpki/road/internal/updown"
	"github.com/roadrpki/road/internal/updowncli"
)

// Reason codes of this package's errors.
const (
	ReasonRefused  = "repository-error-report"     // the server answered <report_error/>
	ReasonUnexpect = "repository-unexpected-reply" // a reply that is not the expected kind
)

// Repository is where and who a publication server is.
type Repository struct {
	ServiceURI string
	BPKI       *x509.Certificate
	SIABase    string // every object published lies below it
	// LastSigning is the signing-time of the last reply accepted (replay bound).
	LastSigning time.Time
}

// Client publishes to repositories.
type Client struct {
	HTTP   *http.Client
	Signer *updown.Signer
	Clock  func() time.Time
}

// Result is what a Sync did.
type Result struct {
	Published, Withdrawn int
	SigningTime          time.Time // of the last reply accepted
}

// Hash is the lower-case hex SHA-256 of an object (RFC 8181 §2.2).
func Hash(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// Sync makes the repository hold exactly want (URI → DER; every URI below
// r.SIABase).
func (c *Client) Sync(ctx context.Context, r Repository, want map[string][]byte) (Result, error) {
	var res Result
	for uri := range want {
		if !strings.HasPrefix(uri, r.SIABase) {
			return res, fault.New(fault.Invalid, fmt.Sprintf("%s is not below the repository's sia_base %s", uri, r.SIABase), nil)
		}
	}
	reply, at, err := c.query(ctx, r, pubproto.Message{Type: pubproto.Query, PDUs: []pubproto.PDU{{Kind: pubproto.List}}})
	if err != nil {
		return res, err
	}
	res.SigningTime, r.LastSigning = at, at
	held := make(map[string]string, len(reply.List))
	for _, l := range reply.List {
		held[l.URI] = l.Hash
	}
	var pdus []pubproto.PDU
	for _, uri := range slices.Sorted(mapKeys(want)) {
		h, ok := held[uri]
		if ok && h == Hash(want[uri]) {
			continue
		}
		pdus = append(pdus, pubproto.PDU{Kind: pubproto.Publish, Tag: tag(uri), URI: uri, Hash: h, Content: want[uri]})
		res.Published++
	}
	for _, uri := range slices.Sorted(mapKeys(held)) {
		if _, ok := want[uri]; !ok {
			pdus = append(pdus, pubproto.PDU{Kind: pubproto.Withdraw, Tag: tag(uri), URI: uri, Hash: held[uri]})
			res.Withdrawn++
		}
	}
	if len(pdus) == 0 {
		return res, nil
	}
	reply, at, err = c.query(ctx, r, pubproto.Message{Type: pubproto.Query, PDUs: pdus})
	if err != nil {
		return Result{SigningTime: res.SigningTime}, err
	}
	res.SigningTime = at
	if !reply.Success {
		return Result{SigningTime: at}, fault.New(ReasonUnexpect, "the repository did not answer <success/>", nil)
	}
	return res, nil
}

// tag names a PDU after its file (RFC 8181 §2.1 lets the client choose).
func tag(uri string) string { return uri[strings.LastIndexByte(uri, '/')+1:] }

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// query sends one message and returns the verified reply; a
// <report_error/> is an error with code ReasonRefused naming the first.
func (c *Client) query(ctx context.Context, r Repository, m pubproto.Message) (pubproto.Message, time.Time, error) {
	body, err := pubproto.Emit(m)
	if err != nil {
		return pubproto.Message{}, time.Time{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	u, err := updowncli.Exchange(ctx, hc, r.ServiceURI, updowncli.ContentTypePublication, c.Signer, r.BPKI, r.LastSigning, c.Clock, body)
	if err != nil {
		return pubproto.Message{}, time.Time{}, err
	}
	reply, err := pubproto.Parse(u.XML, pubproto.Options{})
	if err != nil {
		return pubproto.Message{}, u.SigningTime, err
	}
	if reply.Type != pubproto.Reply {
		return reply, u.SigningTime, fault.New(ReasonUnexpect, "the repository answered with a query", nil)
	}
	if len(reply.Errors) > 0 {
		e := reply.Errors[0]
		return reply, u.SigningTime, fault.New(ReasonRefused, fmt.Sprintf("%s: %s (%d errors)", e.Code, e.Text, len(reply.Errors)), nil)
	}
	return reply, u.SigningTime, nil
}
