// Package conflict is the pure safety analysis of ROA changes: given the
// configured ROAs, a proposal, the routes seen in BGP, the holder's intended
// announcements and its IP resources, it says which routes and intents the
// change would make Invalid (RFC 6811), which ROAs are too permissive (RFC
// 9319) and what else is worth knowing. No I/O, no clock, no store: inputs in,
// findings out (DESIGN.md "Finding kinds").
package conflict

import (
	"net/netip"

	"github.com/roadrpki/road/internal/route"
	"github.com/roadrpki/road/internal/vrp"
)

// Intent is an announcement the holder means to make (possibly not yet in BGP).
type Intent struct {
	Prefix netip.Prefix
	Origin uint32
	Note   string
}

// Input is a ROA change proposal and everything it is checked against.
type Input struct {
	Current vrp.Set   // the configured ROAs now
	Add     []vrp.VRP // proposed additions
	Remove  []vrp.VRP // proposed removals
	// Routes is an immutable snapshot (e.g. bgp.Table.Snapshot): Analyze
	// reads it more than once and must see one table.
	Routes  route.Source
	Intents []Intent
	// Held lists the CA's IP resources as prefixes; HeldFunc, when set, is
	// asked instead. With neither, nothing is held and every addition is
	// refused as not-held: a caller that forgot the resources must not turn
	// the check off silently.
	Held     []netip.Prefix
	HeldFunc func(netip.Prefix) bool
	// Exceptions are ROAs with a recorded deliberate loose maxLength (RFC 9319
	// §5.1, e.g. DDoS mitigation); the value is the recorded reason.
	Exceptions map[vrp.VRP]string
}

// Finding is one result of the checks. Blocking findings refuse the proposal;
// Overridable ones may be forced (--force --reason), the others never.
type Finding struct {
	Kind        string
	Severity    string
	Blocking    bool
	Overridable bool
	ROA         *vrp.VRP
	Route       *route.Route
	Intent      *Intent
	Message     string
}

// Result is the outcome of Analyze.
type Result struct {
	Findings []Finding
	// Blocked is set when any finding blocks.
	Blocked bool
	// Resulting is the ROA set the proposal would produce (well-formed
	// additions only; not-held ones are included so their effect is shown).
	Resulting vrp.Set
	// Added and Removed are the net change from Current to Resulting.
	Added   []vrp.VRP
	Removed []vrp.VRP
}

// heldChecker turns the Input's resources into one predicate.
func heldChecker(held []netip.Prefix, fn func(netip.Prefix) bool) func(netip.Prefix) bool {
	if fn != nil {
		return fn
	}
	return func(p netip.Prefix) bool { return prefixesCover(held, p) }
}

// prefixesCover reports whether some prefix in list equals or covers p.
func prefixesCover(list []netip.Prefix, p netip.Prefix) bool {
	for _, h := range list {
		if vrp.Covers(h, p) {
			return true
		}
	}
	return false
}
