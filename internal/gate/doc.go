// Package gate checks a staged publication before it goes live (issue 12).
//
// The pre-publication gate (Gate.Check) validates the staged rsync tree
// with the bundled relying party, offline, from road's own TAL, once at the
// current time and once at the earliest nextUpdate of the staged manifests
// and CRLs (the state must stay valid until it is renewed). The validated
// VRPs must equal the configured ROAs exactly and no object may be rejected;
// an optional external relying party command must agree. A gate that cannot
// run refuses.
//
// The publication invariants (Invariants) hold independently of the gate:
// no empty or shrinking repository without a recorded override, manifest
// numbers and the RRDP serial only increase.
//
// A Guard (guard.go) combines both for publish.Options.Check, holds the
// start-up comparison of the database and the published state, and the
// operator's one-shot override. Every refusal is an *Refusal with
// stable reason codes.
package gate
