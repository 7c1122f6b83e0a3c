// Package rprun runs the relying party whose VRPs and ASPAs routers receive
// over RTR. Its one job: keep RTR fed with the last good view and never less.
//
// Two feeds run on their own triggers: road's own TAL after every publication
// and every interval (so the consistency audit sees what the world sees), and
// the operator's TALs ([rp] tals) on their interval. Each feed keeps its last
// good result. A run that fails, whose trust anchor does not validate, or
// that loses more than MaxLoss of the last good VRPs without an approved
// change explaining it (a VRP road itself stopped authorizing) does not
// replace it: the feed is degraded, RTR keeps the last good VRPs (plus what
// the degraded run still validated), and the daemon raises the alarm. Before
// giving up on a run the feed heals once: it drops the RRDP state of the
// repositories whose objects were rejected (road's own: the whole RRDP
// cache), so the next fetch loads their snapshots (RFC 8182 §3.4.3), and
// validates again in the same cycle. Cached VRPs stop being served when they
// expire (RFC 9286 §6.6). rp's Fetcher already loads a snapshot again when
// a synced repository fails validation and keeps a failing publication
// point's last valid copy; the heal here is the runner's fallback for
// whatever still comes out short.
package rprun
