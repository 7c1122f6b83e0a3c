// Package updown is the RFC 6492 up-down protocol's codec: the XML messages
// (list, list_response, issue, issue_response, revoke, revoke_response,
// error_response) and the CMS wrapper of RFC 6492 §3.1 that RFC 8181 §2
// reuses for publication. It is pure: no network, no storage, no clock of
// its own (Unwrap takes the time).
package updown

import (
	"fmt"

	"github.com/roadrpki/road/internal/fault"
)

// Reason codes of the errors this package returns (fault.Error's Code).
// They are stable: callers, logs and history match on them.
const (
	// XML message.
	ReasonXMLMalformed = "updown-xml-malformed" // not well-formed XML, or trailing data
	ReasonXMLDoctype   = "updown-xml-doctype"   // a DOCTYPE or other directive (no entity expansion, ever)
	ReasonXMLSchema    = "updown-xml-schema"    // well-formed but not RFC 6492 §3.7
	ReasonTooLarge     = "updown-too-large"     // over MaxMessageSize
	// CMS wrapper (RFC 6492 §3.1.2).
	ReasonCMSMalformed     = "updown-cms-malformed"      // not a CMS SignedData of the §3.1.1 profile
	ReasonCMSContentType   = "updown-cms-content-type"   // eContentType is not id-ct-xml
	ReasonCMSBadSignature  = "updown-cms-bad-signature"  // digest or signature does not verify
	ReasonCMSWrongIdentity = "updown-cms-wrong-identity" // the EE certificate is not issued by the trusted identity
	ReasonCMSCertExpired   = "updown-cms-cert-expired"   // the EE or identity certificate is outside its validity
	ReasonCMSCRL           = "updown-cms-crl"            // the CRL is missing, not the issuer's, stale or unverifiable
	ReasonCMSRevoked       = "updown-cms-revoked"        // the CRL lists the EE certificate
	ReasonCMSReplay        = "updown-cms-replay"         // signing-time older than the last accepted message's
	ReasonCMSSigningTime   = "updown-cms-signing-time"   // signing-time missing or outside the clock bounds
)

func fail(reason, format string, args ...any) error {
	return fault.New(reason, fmt.Sprintf(format, args...), nil)
}

// Reason returns the reason code of err, or "" when err is not one of this
// package's.
func Reason(err error) string {
	if e, ok := fault.As(err); ok {
		return e.Code
	}
	return ""
}
