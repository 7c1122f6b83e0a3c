package rpki

// Leniency names a departure from the letter of an RFC that road accepts
// because every deployed relying party accepts it and real issuers publish
// it. Each is counted under its code (in `road validate`'s summary, the
// JSON output and the metrics), so an operator sees which issuers publish
// sloppy objects. A leniency never widens what an object authorizes.
type Leniency string

const (
	// LenientBER: a signed object in BER rather than DER (RFC 6488 §3 (l)),
	// re-encoded as DER before it is checked.
	LenientBER Leniency = "ber-encoding"
	// LenientCRLEmptyList: a CRL with an empty revokedCertificates SEQUENCE,
	// which RFC 5280 §5.1.2.6 says to omit when nothing is revoked.
	LenientCRLEmptyList Leniency = "crl-empty-revoked-list"
	// LenientManifestEEValidity: a manifest EE certificate whose validity is
	// not exactly thisUpdate..nextUpdate (RFC 9286 §5.1 forbids rejecting it).
	LenientManifestEEValidity Leniency = "manifest-ee-validity-mismatch"
)

// Leniencies lists every leniency code (for metrics labels and docs).
func Leniencies() []Leniency {
	return []Leniency{LenientBER, LenientCRLEmptyList, LenientManifestEEValidity}
}
