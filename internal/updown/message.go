package updown

import (
	"time"
)

// Namespace is the XML namespace of RFC 6492 §3.7.
const Namespace = "http://www.apnic.net/specs/rescerts/up-down/"

// MaxMessageSize bounds an XML message and a CMS wrapper. RFC 6492 §3.7
// allows resource sets of 512,000 characters and certificates of as much;
// the largest real message seen (a list_response of 58 classes) is 240 KB.
const MaxMessageSize = 16 << 20

// Type is the message type attribute (RFC 6492 §3.2).
type Type string

// The message types of RFC 6492 §3.3 to §3.6.
const (
	TypeList           Type = "list"            // §3.3.1
	TypeListResponse   Type = "list_response"   // §3.3.2
	TypeIssue          Type = "issue"           // §3.4.1
	TypeIssueResponse  Type = "issue_response"  // §3.4.2
	TypeRevoke         Type = "revoke"          // §3.5.1
	TypeRevokeResponse Type = "revoke_response" // §3.5.2
	TypeError          Type = "error_response"  // §3.6
)

// Message is one RFC 6492 message. Which payload field is set depends on
// Type: Classes for list_response (any number) and issue_response (exactly
// one, with exactly one certificate), Request for issue, Key for revoke and
// revoke_response, Error for error_response; list has none.
type Message struct {
	Sender    string
	Recipient string
	Type      Type
	Classes   []Class
	Request   *IssueRequest
	Key       *Key
	Error     *ErrorResponse
}

// Class is a resource class (RFC 6492 §3.3.2).
type Class struct {
	Name         string
	CertURLs     []string // cert_url: the issuer's certificate, comma-separated URIs
	Resources    ResourceSet
	NotAfter     time.Time // resource_set_notafter
	SIAHead      string    // suggested_sia_head, optional
	Certificates []IssuedCert
	Issuer       []byte // DER of the issuer's certificate
}

// IssuedCert is a <certificate> element: a certificate issued to the child.
type IssuedCert struct {
	CertURLs []string
	// Requested is the req_resource_set_* attributes; nil when none present.
	Requested *ResourceSet
	DER       []byte
}

// IssueRequest is the <request> of an issue message (RFC 6492 §3.4.1).
type IssueRequest struct {
	ClassName string
	Requested *ResourceSet // nil: the whole class
	CSR       []byte       // DER PKCS#10 (RFC 6487 §6)
}

// Key names a key in a revoke or revoke_response (RFC 6492 §3.5): the SKI,
// sent in base64url (RFC 4648 §5).
type Key struct {
	ClassName string
	SKI       []byte
}

// ErrorResponse is a Request-Not-Performed response (RFC 6492 §3.6).
type ErrorResponse struct {
	Status       int
	Descriptions []Description
}

// Description is one <description> with its xml:lang.
type Description struct {
	Lang string
	Text string
}

// StatusText returns the RFC 6492 §3.6 meaning of an error code, or "" for
// a code the RFC does not define.
func StatusText(code int) string {
	switch code {
	case 1101:
		return "already processing request"
	case 1102:
		return "version number error"
	case 1103:
		return "unrecognized request type"
	case 1104:
		return "request scheduled for processing"
	case 1201:
		return "request - no such resource class"
	case 1202:
		return "request - no resources allocated in resource class"
	case 1203:
		return "request - badly formed certificate request"
	case 1204:
		return "request - already used key in request"
	case 1301:
		return "revoke - no such resource class"
	case 1302:
		return "revoke - no such key"
	case 2001:
		return "Internal Server Error - Request not performed"
	}
	return ""
}
