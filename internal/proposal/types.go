package proposal

import (
	"time"

	"github.com/roadrpki/road/internal/impact"
)

// ROA is a ROA as a request names it: prefix and maxLength not yet checked.
// MaxLength 0 means "equal to the prefix length". The JSON tags are the
// shape history records keep.
type ROA struct {
	Prefix    string `json:"prefix"`
	MaxLength int    `json:"max_length,omitempty"`
	ASN       uint32 `json:"asn"`
	Comment   string `json:"comment,omitempty"`
	// Exception, on an addition, records a deliberate loose maxLength with
	// its reason (RFC 9319 §5.1): the loose-maxlength check is waived for it.
	Exception string `json:"exception,omitempty"`
}

// Request is one ROA change.
type Request struct {
	Add, Remove []ROA
	DryRun      bool
	Force       bool   // override overridable blocks; needs Reason
	Reason      string // written to history
	Submitter          // who sends it, what it reverts (changes.go); never read from a request body
}

// RouteRef names a BGP route in a finding.
type RouteRef struct {
	Prefix   string `json:"prefix"`
	Origin   uint32 `json:"origin"`
	NoOrigin bool   `json:"no_origin,omitempty"` // AS_SET: RFC 6811 origin NONE
}

// IntentRef names an intended announcement in a finding.
type IntentRef struct {
	Prefix string `json:"prefix"`
	Origin uint32 `json:"origin"`
	Note   string `json:"note,omitempty"`
}

// Finding is one result of the checks (conflict's vocabulary) as a result
// and its history record carry it.
type Finding struct {
	Kind        string     `json:"kind"`
	Severity    string     `json:"severity"`
	Overridable bool       `json:"overridable"`
	ROA         *ROA       `json:"roa,omitempty"`
	Route       *RouteRef  `json:"route,omitempty"`
	Intent      *IntentRef `json:"intent,omitempty"`
	Message     string     `json:"message"`
}

// Result is the outcome of a proposal: applied, a dry run, or blocked. Added
// and Removed are the request's ROAs with explicit maxLengths.
type Result struct {
	Held                                 // pending approval, the change's ID, why it needs approval (changes.go)
	Applied, DryRun, Blocked, Overridden bool
	Findings                             []Finding
	Added, Removed                       []ROA
	Serial                               uint64 // the RRDP serial carrying the change (0 unless applied)
	// Impact is what the change does to the live routes (internal/impact).
	Impact *impact.Report
}

// ROAEntry is a configured ROA with its published object.
type ROAEntry struct {
	ROA
	Object    string // rsync URI of the signed .roa ("" while pending)
	NotAfter  time.Time
	State     string // "published", "pending"
	CreatedAt time.Time
}

// Intent is an announcement the holder means to make. The JSON tags are the
// shape history records keep.
type Intent struct {
	Prefix    string    `json:"prefix"`
	Origin    uint32    `json:"origin"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Change is the detail a roa-change history record keeps.
type Change struct {
	Added    []ROA     `json:"added,omitempty"`
	Removed  []ROA     `json:"removed,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	Forced   bool      `json:"forced,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Serial   uint64    `json:"serial,omitempty"`
	Actors             // the change's ID, proposer and approver (changes.go)
}

// HistoryEntry is one append-only history record; Change is set for
// records that carry a change's detail.
type HistoryEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string // "roa-change", "intent-add", "intent-remove", "renew", "init", ...
	Summary string
	Change  Change
}
