// Package api is road's REST API (JSON under /api/v1, bearer token). This file
// holds the wire types shared by the server handlers and roactl: they are the
// user contract of DESIGN.md, so change them only compatibly.
package api

import (
	"time"

	"github.com/roadrpki/road/internal/audit"
	"github.com/roadrpki/road/internal/health"
)

// Error codes: stable reason codes callers may switch on.
const (
	CodeBadRequest   = "bad-request"  // malformed JSON, ROA string, prefix, ASN
	CodeUnauthorized = "unauthorized" // missing, unknown or revoked bearer token (HTTP 401)
	CodeForbidden    = "forbidden"    // the token's role may not call the route (HTTP 403)
	CodeNotFound     = "not-found"    // no such resource
	CodeBlocked      = "blocked"      // a safety check refused the change (HTTP 409)
	CodeConflict     = "conflict"     // state conflict other than a safety check
	CodeInternal     = "internal"     // our fault (HTTP 500), never for bad input
	CodeUnavailable  = "unavailable"  // not ready yet (HTTP 503)
	CodeTooLarge     = "too-large"    // request body or upload over its bound (HTTP 413)
)

// ErrorBody is every error response: {"error":{"code","message","details"}}.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Error is the body of an error response.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// ROA is one configured authorization: prefix may be originated by ASN up to
// MaxLength. MaxLength 0 means "equal to the prefix length".
type ROA struct {
	Prefix    string `json:"prefix"`
	MaxLength int    `json:"max_length,omitempty"`
	ASN       uint32 `json:"asn"`
	Comment   string `json:"comment,omitempty"`
	// Exception, on an addition, records a deliberate loose maxLength with
	// its reason (RFC 9319 §5.1, e.g. DDoS mitigation): the loose-maxlength
	// check is waived for this ROA, now and in later audits. GET /roas shows it.
	Exception string `json:"exception,omitempty"`
}

// ROAEntry is a configured ROA with its published object (GET /roas).
type ROAEntry struct {
	ROA
	Object    string    `json:"object,omitempty"` // rsync URI of the signed .roa
	NotAfter  time.Time `json:"not_after,omitzero"`
	State     string    `json:"state"` // "published", "pending"
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// ROAList is the body of GET /roas.
type ROAList struct {
	ROAs []ROAEntry `json:"roas"`
}

// ProposalRequest is the body of POST /roas/proposals.
type ProposalRequest struct {
	Add    []ROA  `json:"add"`
	Remove []ROA  `json:"remove"`
	DryRun bool   `json:"dry_run"`
	Force  bool   `json:"force"`
	Reason string `json:"reason"`
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

// Finding is one result of the safety checks (DESIGN.md "Finding kinds").
type Finding struct {
	Kind        string     `json:"kind"`
	Severity    string     `json:"severity"` // "block", "warn", "info"
	Overridable bool       `json:"overridable"`
	ROA         *ROA       `json:"roa,omitempty"`
	Route       *RouteRef  `json:"route,omitempty"`
	Intent      *IntentRef `json:"intent,omitempty"`
	Message     string     `json:"message"`
}

// ProposalResult is the body of a proposal's answer: 200 when applied or a
// dry run, 409 when blocked. Both carry the findings.
type ProposalResult struct {
	Applied    bool      `json:"applied"`
	DryRun     bool      `json:"dry_run"`
	Blocked    bool      `json:"blocked"`
	Overridden bool      `json:"overridden,omitempty"`
	Findings   []Finding `json:"findings"`
	Added      []ROA     `json:"added,omitempty"`
	Removed    []ROA     `json:"removed,omitempty"`
	// Serial is the RRDP serial that carries the change (0 on a dry run).
	Serial uint64 `json:"serial,omitempty"`
	// Impact is what the change does to the live routes (impact.go).
	Impact *Impact `json:"impact,omitempty"`
	// Pending: the approval policy holds the change (HTTP 202) until
	// another token approves it; Approval says why. ChangeID names the
	// change, pending or applied.
	Pending  bool     `json:"pending,omitempty"`
	ChangeID int64    `json:"change_id,omitempty"`
	Approval []string `json:"approval,omitempty"`
}

// Intent is an announcement the holder means to make (GET/POST/DELETE /intents).
type Intent struct {
	Prefix    string    `json:"prefix"`
	Origin    uint32    `json:"origin"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// IntentList is the body of GET /intents.
type IntentList struct {
	Intents []Intent `json:"intents"`
}

// HistoryEntry is one append-only change record (GET /history).
type HistoryEntry struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"` // the name of the token that made the change, or "road"
	// ActorRemark is what the client said in X-Road-Actor (roactl sends $USER).
	ActorRemark string    `json:"actor_remark,omitempty"`
	Action      string    `json:"action"` // "roa-change", "intent-add", "intent-remove", "renew", "init", ...
	Summary     string    `json:"summary"`
	Added       []ROA     `json:"added,omitempty"`
	Removed     []ROA     `json:"removed,omitempty"`
	Findings    []Finding `json:"findings,omitempty"`
	Forced      bool      `json:"forced,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Serial      uint64    `json:"serial,omitempty"`
	ChangeID    int64     `json:"change_id,omitempty"`
	Approver    string    `json:"approver,omitempty"` // the second token of a change that needed approval
}

// HistoryList is the body of GET /history.
type HistoryList struct {
	Entries []HistoryEntry `json:"entries"`
}

// Status is the body of GET /status (roactl status).
type Status struct {
	Version     string            `json:"version"`
	StartedAt   time.Time         `json:"started_at"`
	Now         time.Time         `json:"now"`
	CA          CAStatus          `json:"ca"`
	Publication PublicationStatus `json:"publication"`
	RP          *RPStatus         `json:"rp,omitempty"`
	RTR         *RTRStatus        `json:"rtr,omitempty"`
	// Parents and Repositories: road as a delegated CA, each with its last
	// contact and error.
	Parents      []Peer `json:"parents,omitempty"`
	Repositories []Peer `json:"repositories,omitempty"`
	// Ready is what /readyz answers: every part's check and the verdict.
	Ready health.Report `json:"ready,omitzero"`
}

// CAStatus describes the embedded CA.
type CAStatus struct {
	Mode         string    `json:"mode"` // "testbed", or "delegated" when a parent issued the CA certificate
	Name         string    `json:"name"`
	Resources    []string  `json:"resources"` // prefixes/ranges and AS ranges held
	CertNotAfter time.Time `json:"cert_not_after"`
	ROAs         int       `json:"roas"`
	ManifestNext time.Time `json:"manifest_next_update"`
	TAL          string    `json:"tal"` // path of the TAL file
	// Keys is where new TA, CA and identity keys are made: "software" (in
	// the database) or "pkcs11" (an HSM, [hsm]).
	Keys    string   `json:"keys,omitempty"`
	KeyRoll *KeyRoll `json:"key_roll,omitempty"` // the current or last key roll (keyroll.go)
}

// PublicationStatus describes RRDP and the rsync tree.
type PublicationStatus struct {
	Session      string    `json:"session"`
	Serial       uint64    `json:"serial"`
	Notification string    `json:"notification"`
	RsyncBase    string    `json:"rsync_base"`
	Objects      int       `json:"objects"`
	LastChange   time.Time `json:"last_change,omitzero"`
}

// RPStatus describes the bundled relying party's last run (GET /rp/status).
// OK means the run succeeded and validated exactly the configured ROAs.
type RPStatus struct {
	LastRun  time.Time `json:"last_run,omitzero"`
	Runs     uint64    `json:"runs"`
	VRPs     int       `json:"vrps"`
	Rejected int       `json:"rejected"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	// Missing are configured ROAs the RP did not validate; Extra are VRPs
	// it validated that are not configured ("PREFIX[-MAXLEN] => ASN").
	Missing    []string      `json:"missing,omitempty"`
	Extra      []string      `json:"extra,omitempty"`
	Rejections []RPRejection `json:"rejections,omitempty"`
	// RRDP repositories fetched in the last run, and failures.
	RRDPSynced int `json:"rrdp_synced"`
	RRDPFailed int `json:"rrdp_failed"`
	// Degraded: the last run failed or lost too many VRPs (Reason, a
	// kebab-case code; Error says more), so RTR keeps the last good view.
	Degraded    bool      `json:"degraded"`
	Reason      string    `json:"reason,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Heals       uint64    `json:"heals"`       // runs that dropped damaged RRDP state and validated again
	Served      int       `json:"served_vrps"` // VRPs RTR got last (every TAL, after SLURM)
	// Global is the configured TALs' feed ([rp] tals); absent without them.
	Global *RPGlobalStatus `json:"global,omitempty"`
}

// RPGlobalStatus describes the relying party's run over the configured TALs.
type RPGlobalStatus struct {
	TALs        []string  `json:"tals"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Runs        uint64    `json:"runs"`
	Heals       uint64    `json:"heals"`
	VRPs        int       `json:"vrps"`  // validated in the last run
	ASPAs       int       `json:"aspas"` // validated in the last run
	Rejected    int       `json:"rejected"`
	Degraded    bool      `json:"degraded"`
	Reason      string    `json:"reason,omitempty"`
	Error       string    `json:"error,omitempty"`
}

// RPRejection is one object the bundled RP did not accept.
type RPRejection struct {
	URI    string `json:"uri"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// RTRStatus describes the RTR server.
type RTRStatus struct {
	Listen  string      `json:"listen"`
	Serial  uint32      `json:"serial"`
	HasData bool        `json:"has_data"`
	VRPs    int         `json:"vrps"`
	ASPAs   int         `json:"aspas"`
	Clients []RTRClient `json:"clients"`
}

// RTRClient is one connected router.
type RTRClient struct {
	Remote    string    `json:"remote"`
	Version   int       `json:"version"`
	Serial    uint32    `json:"serial"`
	Connected time.Time `json:"connected"`
	LastQuery time.Time `json:"last_query,omitzero"`
	// Queries received on this connection (RFC 8210 §5.3 Serial, §5.4 Reset).
	SerialQueries uint64 `json:"serial_queries"`
	ResetQueries  uint64 `json:"reset_queries"`
	Wave          string `json:"wave,omitempty"` // with RTR waves: the router's wave
}

// BGPRoute is one route of the live table (GET /bgp/routes): a prefix and
// its origin (RFC 6811 §2), the sources that announce it and when it was
// last seen.
type BGPRoute struct {
	Prefix   string    `json:"prefix"`
	Origin   uint32    `json:"origin"`
	NoOrigin bool      `json:"no_origin,omitempty"` // final AS_SET: origin NONE
	Peers    []string  `json:"peers"`               // "bgp:ADDRESS" sessions, "import:NAME" imports
	LastSeen time.Time `json:"last_seen"`
}

// BGPRouteList is the body of GET /bgp/routes[?prefix=P][&limit=N]. Total
// counts every matching route; Truncated is set when Routes stops at the limit.
type BGPRouteList struct {
	Routes    []BGPRoute `json:"routes"`
	Total     int        `json:"total"`
	Truncated bool       `json:"truncated,omitempty"`
}

// BGPImportResult is the body of POST /bgp/import.
type BGPImportResult struct {
	Name        string         `json:"name"`         // the import source (X-Import-Name)
	Format      string         `json:"format"`       // "mrt" or "text"
	Compression string         `json:"compression"`  // "", "gzip" or "bzip2"
	Records     int            `json:"records"`      // MRT records or text lines
	Routes      int            `json:"routes"`       // announcements decoded
	Withdrawals int            `json:"withdrawals"`  // withdrawn prefixes decoded
	Unique      int            `json:"unique"`       // distinct (prefix, origin) routes now held for Name
	Prefixes    int            `json:"prefixes"`     // distinct prefixes among them
	Skipped     map[string]int `json:"skipped"`      // malformed or unsupported parts, by reason
	TableRoutes int            `json:"table_routes"` // routes in the whole table afterwards
}

// BGPImportRemoved is the body of DELETE /bgp/imports/{name}.
type BGPImportRemoved struct {
	Removed string `json:"removed"`
}

// BGPPeer is one configured BGP neighbour (GET /bgp/peers).
type BGPPeer struct {
	Address string `json:"address"`
	ASN     uint32 `json:"asn"`
	State   string `json:"state"` // "established", "active", "idle", ...
	// Synced: established and the initial table is in (End-of-RIB received,
	// or the sync timeout passed); until then proposals carry routes-incomplete.
	Synced   bool   `json:"synced"`
	Uptime   string `json:"uptime,omitempty"`
	Received int    `json:"received"`
}

// BGPPeerList is the body of GET /bgp/peers.
type BGPPeerList struct {
	Listen string    `json:"listen,omitempty"` // "" when no speaker is configured
	ASN    uint32    `json:"asn,omitempty"`
	Peers  []BGPPeer `json:"peers"`
}

// Audit kinds (POST /audits/{kind}), internal/audit's.
const (
	AuditExpiry      = audit.Expiry      // effective expiry of objects and VRPs
	AuditConsistency = audit.Consistency // bundled RP's VRPs == configured ROAs, and RP freshness
	AuditBGP         = audit.BGP         // ROA set vs the routes seen
)

// AuditKinds lists every audit kind in a stable order.
var AuditKinds = audit.Kinds

// ExpiryItem is one object or VRP with its (effective) expiry.
type ExpiryItem struct {
	Kind    string    `json:"kind"` // cer, crl, mft, roa, vrp
	Name    string    `json:"name"` // URI, or the VRP as "PREFIX[-MAX] => ASN"
	Expires time.Time `json:"expires"`
	In      string    `json:"in"` // Go duration until Expires, negative when past
}

// ExpiryList is the body of GET /expiry[?within=30d]: soonest first.
type ExpiryList struct {
	Now    time.Time `json:"now"`
	Within string    `json:"within,omitempty"`
	// RPRun is when the bundled RP validated the VRPs listed (zero: no run yet).
	RPRun time.Time    `json:"rp_run,omitzero"`
	Items []ExpiryItem `json:"items"`
}

// AuditFinding is one problem an audit found.
type AuditFinding struct {
	Code     string    `json:"code"`     // e.g. expiring, expired, stale, missing, extra, rp-error, too-permissive
	Severity string    `json:"severity"` // "error", "warn", "info"
	Subject  string    `json:"subject,omitempty"`
	Expires  time.Time `json:"expires,omitzero"`
	Message  string    `json:"message"`
}

// AuditResult is one audit run (POST /audits/{kind}; GET /audits lists them
// without Findings). OK means no finding.
type AuditResult struct {
	ID           int64          `json:"id"`
	Kind         string         `json:"kind"`
	StartedAt    time.Time      `json:"started_at"`
	FinishedAt   time.Time      `json:"finished_at"`
	OK           bool           `json:"ok"`
	Summary      string         `json:"summary"`
	FindingCount int            `json:"finding_count"`
	Counts       map[string]int `json:"counts,omitempty"`
	Findings     []AuditFinding `json:"findings,omitempty"`
	Truncated    bool           `json:"truncated,omitempty"` // findings were cut at the bound
}

// AuditList is the body of GET /audits[?kind=K][&limit=N], newest first.
type AuditList struct {
	Audits []AuditResult `json:"audits"`
}

// TokenInfo is a named API token without its secret (GET /tokens).
type TokenInfo struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"` // read-only, operator, approver or admin
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`        // the token that added it ("road" for admin.token's)
	Flagged   bool      `json:"flagged,omitempty"` // its changes need a second token's approval
}

// TokenList is the body of GET /tokens.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

// TokenRequest is the body of POST /tokens.
type TokenRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// NewToken is the answer to POST /tokens: the token and its secret, which
// road does not keep and cannot show again.
type NewToken struct {
	TokenInfo
	Secret string `json:"secret"`
}

// TokenRevoked is the answer to DELETE /tokens/{name}.
type TokenRevoked struct {
	Revoked string `json:"revoked"`
}
