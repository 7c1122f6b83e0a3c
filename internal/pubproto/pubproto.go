// Package pubproto is the codec of the RFC 8181 publication protocol
// messages: the <msg> XML that a CA and a publication server exchange
// inside signed CMS (the CMS wrapping is not here). It parses strictly
// against the RFC 8181 §2.6 schema, refusing any unknown element or
// attribute, and emits the same schema.
package pubproto

import (
	"errors"

	"github.com/roadrpki/road/internal/xmltree"
)

// Namespace and Version of every message (RFC 8181 §2.1, §2.6).
const (
	Namespace = "http://www.hactrn.net/uris/rpki/publication-spec/"
	Version   = "4"
)

// Stable reason codes; every error of this package wraps one (and, for an
// XML-level failure, also the xmltree code).
var (
	ErrTooLarge  = errors.New("pubproto-too-large") // input or a field over its bound
	ErrMalformed = errors.New("pubproto-malformed") // not well-formed, or outside the schema
	ErrNamespace = errors.New("pubproto-namespace") // an element outside the RFC 8181 namespace
	ErrVersion   = errors.New("pubproto-version")   // version other than "4" (§2.1: MUST reject)
	ErrInvalid   = errors.New("pubproto-invalid-input")
)

// Error is a failure of this package: Code is one of the reason codes, Err
// an optional cause (the shared shape of internal/xmltree).
type Error = xmltree.Error

func fail(code error, format string, a ...any) error { return xmltree.Fail(code, format, a...) }

// Options tune Parse; zero fields take the defaults in brackets.
type Options struct {
	MaxBytes    int // input size, checked before parsing [64 MiB]
	MaxElements int // elements in one message [1000000]
}

// Type is a message's type attribute.
type Type string

// The two message types (RFC 8181 §2.1).
const (
	Query Type = "query"
	Reply Type = "reply"
)

// Kind names a query PDU.
type Kind string

// The query PDUs (RFC 8181 §2.1, §2.2, §2.3).
const (
	Publish  Kind = "publish"
	Withdraw Kind = "withdraw"
	List     Kind = "list"
)

// PDU is a query PDU (also the failed PDU of a <report_error/>).
type PDU struct {
	Kind Kind
	Tag  string // publish and withdraw; mandatory, may be empty (§2.1)
	URI  string // publish and withdraw: an rsync URI (§2.2)
	// Hash is the hex SHA-256 of the object being replaced (§2.2), in
	// lower case: required for withdraw, "" for a publish to a new URI.
	Hash    string
	Content []byte // publish: the DER object
}

// Listed is one PDU of a <list/> reply: an object the server holds for
// the client (§2.3).
type Listed struct {
	URI, Hash string
}

// Error codes of <report_error/> (RFC 8181 §2.5).
const (
	XMLError             = "xml_error"
	PermissionFailure    = "permission_failure"
	BadCMSSignature      = "bad_cms_signature"
	ObjectAlreadyPresent = "object_already_present"
	NoObjectPresent      = "no_object_present"
	NoObjectMatchingHash = "no_object_matching_hash"
	ConsistencyProblem   = "consistency_problem"
	OtherError           = "other_error"
)

var errorCodes = []string{XMLError, PermissionFailure, BadCMSSignature, ObjectAlreadyPresent,
	NoObjectPresent, NoObjectMatchingHash, ConsistencyProblem, OtherError}

// ReportError is a <report_error/> reply PDU (RFC 8181 §2.4).
type ReportError struct {
	Tag    string // the failed PDU's tag; "" also when absent
	Code   string // one of the §2.5 codes
	Text   string // <error_text/>, verbatim; "" when absent
	Failed *PDU   // <failed_pdu/>, when present
}

// Message is one <msg/>. A query holds PDUs: publish and withdraw PDUs, or
// a single list PDU (§2.3). A reply holds exactly one of: Success, List
// entries (zero or more: a reply with no PDU is an empty list), Errors.
type Message struct {
	Type    Type
	PDUs    []PDU
	Success bool
	List    []Listed
	Errors  []ReportError
}
