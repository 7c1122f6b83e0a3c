// Package rp is ROAd's bundled relying party: strict top-down validation
// from one or more TALs (RFC 8630) over a local repository cache laid out as
// rpki-client keeps its rsync tree (rsync://host/module/path is
// CACHE/host/module/path), producing VRPs with their effective expiry.
//
// Validation follows RFC 6487 §7.2 for certificates, RFC 6488 §3 for signed
// objects, RFC 9582 for ROAs and RFC 9286 §6 for manifests:
//   - the TA certificate must carry exactly the TAL's SubjectPublicKeyInfo,
//     be self-signed, current and hold no inherited resources (RFC 8630 §2.3);
//   - every CA publication point is driven by its manifest (SIA
//     rpkiManifest): the manifest, its EE certificate and the one CRL it
//     lists must be valid and current, every listed file must be present with
//     its SHA-256; otherwise the whole publication point fails (RFC 9286 §6.6)
//     and nothing below it is used. Files not on the manifest are never used;
//   - each child certificate and ROA is checked on its own (signature,
//     validity at the pinned clock, revocation, resources encompassed by the
//     issuer, RFC 3779 inherit resolved) and rejected alone with a reason;
//   - chain depth, the number of CAs, of files per manifest and the size of
//     every file read are bounded;
//   - ASPA objects become one provider set per customer AS;
//   - with Options.ManifestState, a manifest older than one validated in an
//     earlier run fails its publication point (RFC 9286 §4.2.1).
//
// Fetching (Options.Fetch, a Fetcher) works as deployed relying parties
// do: each CA's rpkiNotify repository over RRDP (RRDPClient, RFC 8182;
// one tree per notification URI, CACHE/.rrdp/ID/host/module/path, decoded
// by internal/rrdp), the module of its caRepository with the rsync binary
// (RsyncClient: CACHE/host/module/path, staged and checked to be plain
// files before it replaces the cached module) when there is no rpkiNotify
// or RRDP fails, TA certificates from the TAL's https or rsync URIs.
// Repositories download at once (bounded, each with its own deadline and
// retries) while the walk validates what has arrived. A publication point
// whose fresh copy fails is repaired within the run (the RRDP snapshot
// again, or rsync comparing checksums) and otherwise validated from its
// last valid copy (CACHE/.valid, RFC 9286 §6.6) until that expires.
//
// The effective expiry of a VRP is the earliest of the notAfter of its ROA's
// EE certificate and of every CA certificate above it, and the nextUpdate of
// every manifest and CRL on the way: the moment after which a relying party
// with no fresher data stops accepting it.
//
// Rejections carry a stable Reason (the vocabulary of metrics, the API and
// `road validate`); errors returned by this package wrap ErrRejected with
// the reason, or a plain I/O or context error.
package rp
