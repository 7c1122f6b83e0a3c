// Package oob is the codec of the RFC 8183 out-of-band setup messages: the
// <child_request>, <parent_response>, <publisher_request> and
// <repository_response> XML that a CA exchanges once with its parent and
// its repository to learn their BPKI identities, handles and service
// URIs. It parses strictly (RFC 8183 Appendix A is the schema) and accepts
// only the listed variants real registries send (docs/oob-variants.md);
// it emits only RFC 8183 XML.
package oob

import (
	"errors"

	"github.com/roadrpki/road/internal/xmltree"
)

// Namespace is the XML namespace of every message (RFC 8183 §5).
const Namespace = "http://www.hactrn.net/uris/rpki/rpki-setup/"

// Version is the only protocol version (RFC 8183 §5, Appendix A).
const Version = "1"

// Stable reason codes; every error of this package wraps one (and, for an
// XML-level failure, also the xmltree code).
var (
	ErrTooLarge    = errors.New("oob-too-large")       // input or a field over its bound
	ErrMalformed   = errors.New("oob-malformed")       // not well-formed, or outside the schema
	ErrNamespace   = errors.New("oob-namespace")       // an element outside the RFC 8183 namespace
	ErrVersion     = errors.New("oob-version")         // version other than "1"
	ErrCertificate = errors.New("oob-bad-certificate") // a BPKI TA that is not an X.509 CA certificate
	ErrInvalid     = errors.New("oob-invalid-input")   // Emit was given values outside the schema
)

// Error is a failure of this package: Code is one of the reason codes, Err
// an optional cause (the shared shape of internal/xmltree).
type Error = xmltree.Error

func fail(code error, format string, a ...any) error { return xmltree.Fail(code, format, a...) }

// Options tune Parse; the zero value is the default.
type Options struct {
	// MaxBytes bounds the input, checked before parsing [DefaultMaxBytes].
	MaxBytes int
	// RFCOnly refuses the variants of docs/oob-variants.md too, for
	// checking what road itself emits or a counterpart's conformance.
	RFCOnly bool
}

// DefaultMaxBytes is the default input bound: the schema's largest field is
// a 512000-byte certificate or token, about 700 kB in Base64.
const DefaultMaxBytes = 1 << 20

// ChildRequest is <child_request/> (RFC 8183 §5.2.1).
type ChildRequest struct {
	Tag         string // optional; "" when absent
	ChildHandle string
	ChildBPKI   Identity
}

// ParentResponse is <parent_response/> (RFC 8183 §5.2.2).
type ParentResponse struct {
	Tag          string
	ServiceURI   string // http or https, the RFC 6492 endpoint
	ChildHandle  string // the parent's name for the child
	ParentHandle string
	ParentBPKI   Identity
	Offer        bool // the parent offers publication service
	Referrals    []Referral
}

// Referral is a <referral/> of a parent response or publisher request
// (RFC 8183 §5.2.2, §5.2.3): Token is the CMS-signed <authorization/>.
type Referral struct {
	Referrer   string
	ContactURI string // optional; never set in a publisher request
	Token      []byte
}

// PublisherRequest is <publisher_request/> (RFC 8183 §5.2.3).
type PublisherRequest struct {
	Tag             string
	PublisherHandle string
	PublisherBPKI   Identity
	Referrals       []Referral
}

// RepositoryResponse is <repository_response/> (RFC 8183 §5.2.4).
type RepositoryResponse struct {
	Tag                 string
	ServiceURI          string // http or https, the RFC 8181 endpoint
	PublisherHandle     string // the repository's name for the publisher
	SIABase             string // rsync URI of the publisher's space
	RRDPNotificationURI string // optional
	RepositoryBPKI      Identity
}
