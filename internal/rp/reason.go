package rp

import (
	"errors"
	"fmt"

	"github.com/roadrpki/road/internal/rpki"
)

// Reason is a stable code for why an object was rejected.
type Reason string

// The reason codes. They name what failed, not which RFC says so (the
// detail text cites the section).
const (
	ReasonBadTAL            Reason = "bad-tal"                   // TAL unreadable or malformed
	ReasonTAMissing         Reason = "ta-missing"                // no TA certificate in the cache at any TAL URI
	ReasonTAKeyMismatch     Reason = "ta-key-mismatch"           // TA certificate key is not the TAL's (RFC 8630 §3)
	ReasonBadURI            Reason = "bad-uri"                   // URI not rsync://host/module/path or escaping the cache
	ReasonTooLarge          Reason = "too-large"                 // file above the size bound
	ReasonMalformed         Reason = "malformed"                 // not DER / not the ASN.1 structure
	ReasonProfile           Reason = "profile-violation"         // breaks an RFC 6487/6488/9582/9286 MUST
	ReasonBadSignature      Reason = "bad-signature"             // signature, digest or issuer key does not verify
	ReasonNotYetValid       Reason = "not-yet-valid"             // notBefore after the validation time
	ReasonExpired           Reason = "expired"                   // notAfter before the validation time
	ReasonRevoked           Reason = "revoked"                   // serial on the issuer's CRL
	ReasonResources         Reason = "resources-not-encompassed" // not inside the issuer's resources (RFC 6487 §7.2)
	ReasonManifestMissing   Reason = "manifest-missing"          // no file at SIA rpkiManifest (RFC 9286 §6.2)
	ReasonManifestInvalid   Reason = "manifest-invalid"          // manifest fails parsing or its checks (RFC 9286 §6.2)
	ReasonManifestStale     Reason = "manifest-stale"            // nextUpdate passed (RFC 9286 §6.3)
	ReasonManifestEarly     Reason = "manifest-not-yet-valid"    // thisUpdate in the future (RFC 9286 §6.3)
	ReasonManifestOutsidePP Reason = "manifest-outside-pp"       // manifest not in the caRepository (RFC 9286 §6.1)
	ReasonManifestNotNewer  Reason = "manifest-not-newer"        // another manifest with a number or thisUpdate not above the last validated (RFC 9286 §4.2.1)
	ReasonCRLMissing        Reason = "crl-missing"               // no (single) CRL on the manifest (RFC 9286 §6)
	ReasonCRLInvalid        Reason = "crl-invalid"               // CRL fails parsing or its checks
	ReasonCRLStale          Reason = "crl-stale"                 // CRL nextUpdate passed
	ReasonCRLEarly          Reason = "crl-not-yet-valid"         // CRL thisUpdate in the future
	ReasonFileMissing       Reason = "file-missing"              // a file on the manifest is absent (RFC 9286 §6.4)
	ReasonHashMismatch      Reason = "hash-mismatch"             // a file's SHA-256 differs from the manifest (RFC 9286 §6.5)
	ReasonCRLDPMismatch     Reason = "crldp-mismatch"            // CRLDP is not the publication point's CRL
	ReasonNotCA             Reason = "not-ca"                    // a .cer that is no CA certificate (router keys are not supported)
	ReasonTooDeep           Reason = "too-deep"                  // chain longer than Options.MaxDepth (RFC 6487 §7.2)
	ReasonTooMany           Reason = "too-many"                  // more CAs or files than the bounds allow
	ReasonLoop              Reason = "loop"                      // a CA key repeats on its own chain
	ReasonUnsupportedType   Reason = "unsupported-type"          // listed file of a type this RP does not validate (ignored, not failed)
	ReasonDuplicate         Reason = "duplicate"                 // the same CA certificate reached twice
	ReasonRRDPFetch         Reason = "rrdp-fetch-failed"         // HTTP error, timeout or non-200 answer
	ReasonRRDPMalformed     Reason = "rrdp-malformed"            // XML outside the RFC 8182 §3.5.4 schema
	ReasonRRDPHash          Reason = "rrdp-hash-mismatch"        // snapshot/delta or replaced object hash differs (RFC 8182 §3.4.2)
	ReasonRRDPSession       Reason = "rrdp-session-mismatch"     // snapshot/delta session or serial is not the notification's
	ReasonRRDPSerial        Reason = "rrdp-serial-regressed"     // notification serial below the last processed one
	ReasonRRDPOutside       Reason = "rrdp-outside-repository"   // URI outside what the notification may publish
	ReasonRsyncFetch        Reason = "rsync-fetch-failed"        // rsync exited non-zero or timed out
	ReasonRsyncUnsafe       Reason = "rsync-unsafe-file"         // an rsync fetch produced a symlink, device or too many entries
	ReasonFetchTimeout      Reason = "fetch-timeout"             // a repository did not finish within its deadline
)

// Reasons lists every reason code (e.g. to pre-register metric labels).
func Reasons() []Reason {
	return []Reason{ReasonBadTAL, ReasonTAMissing, ReasonTAKeyMismatch, ReasonBadURI, ReasonTooLarge, ReasonMalformed, ReasonProfile, ReasonBadSignature, ReasonNotYetValid, ReasonExpired, ReasonRevoked, ReasonResources, ReasonManifestMissing, ReasonManifestInvalid, ReasonManifestStale, ReasonManifestEarly, ReasonManifestOutsidePP, ReasonManifestNotNewer, ReasonCRLMissing, ReasonCRLInvalid, ReasonCRLStale, ReasonCRLEarly, ReasonFileMissing, ReasonHashMismatch, ReasonCRLDPMismatch, ReasonNotCA, ReasonTooDeep, ReasonTooMany, ReasonLoop, ReasonUnsupportedType, ReasonDuplicate, ReasonRRDPFetch, ReasonRRDPMalformed, ReasonRRDPHash, ReasonRRDPSession, ReasonRRDPSerial, ReasonRRDPOutside, ReasonRsyncFetch, ReasonRsyncUnsafe, ReasonFetchTimeout}
}

// ErrRejected is wrapped by every rejection error of this package.
var ErrRejected = errors.New("rp: rejected")

// RejectError is the error for one rejected object.
type RejectError struct {
	Reason Reason
	Err    error // the underlying detail (may wrap an rpki error)
}

func (e *RejectError) Error() string {
	if e.Err == nil {
		return string(e.Reason)
	}
	return string(e.Reason) + ": " + e.Err.Error()
}

// Unwrap exposes both ErrRejected and the detail.
func (e *RejectError) Unwrap() []error { return []error{ErrRejected, e.Err} }

func reject(r Reason, format string, a ...any) *RejectError {
	return &RejectError{Reason: r, Err: fmt.Errorf(format, a...)}
}

// parseReason maps an internal/rpki parse or verification error to a reason.
func parseReason(err error) Reason {
	switch {
	case errors.Is(err, rpki.ErrSignature):
		return ReasonBadSignature
	case errors.Is(err, rpki.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, rpki.ErrProfile):
		return ReasonProfile
	default:
		return ReasonMalformed
	}
}

// asReject wraps err as a RejectError with reason r unless it already is one.
func asReject(r Reason, err error) *RejectError {
	var re *RejectError
	if errors.As(err, &re) {
		return re
	}
	return &RejectError{Reason: r, Err: err}
}

// ReasonOf returns the reason of a rejection error, or "" for other errors.
func ReasonOf(err error) Reason {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Reason
	}
	return ""
}
