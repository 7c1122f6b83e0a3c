// Package rpki encodes and decodes the RPKI objects ROAd issues and
// validates: RFC 3779 resources, RFC 6487 resource certificates and CRLs,
// RFC 6488/9589 CMS signed objects, RFC 9582 ROAs, RFC 9286 manifests,
// ASPA (draft-ietf-sidrops-aspa-profile) and RFC 8630 TALs.
//
// Every structure is written by hand with cryptobyte, so each emitted byte
// is under control, and parsed strictly: DER only (definite minimal
// lengths, minimal INTEGERs, DEFAULT values omitted, zero unused bits),
// canonical RFC 3779 resources, and the RFC 6487 profile. Errors wrap one of
// ErrMalformed, ErrProfile, ErrSignature, ErrTooLarge or ErrInvalidInput.
//
// Checks made without a parent: the Parse* functions. Checks that need the
// issuer (signature, AKI, names, resource encompassment) are
// Certificate.CheckSignatureFrom, CRL.CheckSignatureFrom and
// IPResources/ASResources.Covers; time checks (ValidAt) and revocation
// (CRL.IsRevoked) are left to the relying party, which owns the clock.
//
// Deliberate choices:
//   - BER signed objects (some 2019 RIPE NCC objects) are rejected:
//     RFC 6488 §2 requires DER; rpki-client 8.2 accepts them.
//   - A missing signing-time attribute is tolerated on decode (objects made
//     under the original RFC 6488); SignObject always writes it (RFC 9589).
//     Other attributes, including binary-signing-time, are rejected.
//   - SignerInfo.signatureAlgorithm may be rsaEncryption or
//     sha256WithRSAEncryption (RFC 7935 §2); SignObject writes rsaEncryption.
//   - signedAttrs are written and required in DER SET OF order (sorted by
//     encoding: content-type, signing-time, message-digest).
//   - A ROA EE certificate must not carry an AS extension (RFC 9582 §5);
//     ROAs made under RFC 6482 that do are rejected by ParseROAObject.
//   - Names: one CommonName and at most one serialNumber, PrintableString
//     only (RFC 6487 §4.4); Issuer/Subject hold "CN" or "CN/serialNumber".
package rpki
