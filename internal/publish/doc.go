// Package publish writes the repository that relying parties fetch: RRDP
// (RFC 8182) notification, snapshot and delta files under Dir/rrdp/, and an
// rsync tree under Dir/rsync/current/ whose root is the rsync base URI.
//
// Every change is staged beside the live state and made live in an order that
// keeps what readers see consistent after a crash at any point: snapshot and
// delta files at fresh immutable URLs first, the notification (atomic rename)
// next, the rsync tree (atomic directory exchange) last. On Open the current
// notification and the snapshot it references are the truth; anything else on
// disk is repaired to match them.
package publish
