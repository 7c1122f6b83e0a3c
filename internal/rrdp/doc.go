// Package rrdp is ROAd's one RRDP codec (RFC 8182 §3.5): the rules for the
// three RRDP files — Update Notification (§3.5.1), Snapshot (§3.5.2) and
// Delta (§3.5.3) — used by the publisher to write them and by the relying
// party to read them. It does no I/O beyond the reader or buffer it is
// given, and knows nothing of caches or HTTP.
//
// Decoding is strict and streaming: the §3.5.4 schema only, no DTD (so no
// entities: XXE and "billion laughs" inputs fail on their DOCTYPE), no
// processing instructions but the XML declaration, no foreign elements or
// attributes, and every size bounded (Limits) before it is allocated: URI
// length, element count, listed deltas, base64 text and decoded objects.
// Snapshot and delta elements are handed to a callback one at a time.
//
// Lexical rules, the same on both sides:
//   - serial (and version) are xsd:positiveInteger (§3.5.4): an optional
//     "+", decimal digits, leading zeros allowed, surrounding XML
//     whitespace collapsed, value 1..2^64-1. Real repositories have been
//     seen with leading zeros and deployed relying parties read them, so
//     the decoder accepts them; the encoder always writes the canonical
//     form (no sign, no leading zero).
//   - session_id is a UUID (8-4-4-4-12 hex, either case; returned lower
//     case). Hashes are 64 hex digits, either case; written lower case.
//   - notification snapshot/delta URIs are https (§3.1), publish and
//     withdraw URIs rsync (§3.5.2.3); both bounded by Limits.MaxURI.
//   - a snapshot publishes each URI at most once; a delta holds at least
//     one element (§3.5.4 oneOrMore); a withdraw carries a hash (§3.5.3.3).
//   - base64 is xsd:base64Binary: whitespace anywhere, padding required,
//     non-zero trailing bits tolerated.
//
// Encoding writes US-ASCII with no XML declaration, deltas in the order
// given, one element per line.
package rrdp
