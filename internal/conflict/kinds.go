package conflict

// Finding kinds: the one vocabulary of the safety checks (DESIGN.md "Finding
// kinds"). Every kind has its severity and override rule in kinds below;
// proposal and the REST API take them from here.
const (
	KindBadMaxLength      = "bad-maxlength"
	KindBadPrefix         = "bad-prefix"
	KindNotHeld           = "not-held"
	KindNotFoundROA       = "not-found-roa"
	KindRoutesIncomplete  = "routes-incomplete"
	KindInvalidatesRoute  = "invalidates-route"
	KindInvalidatesIntent = "invalidates-intent"
	KindLooseMaxLength    = "loose-maxlength"
	KindLooseExcepted     = "loose-maxlength-excepted"
	KindUnprotectsRoute   = "unprotects-route"
	KindDuplicate         = "duplicate"
	KindAddAndRemove      = "add-and-remove"
	KindRedundant         = "redundant"
	KindUnseen            = "unseen"
	// KindImpactLimit: the change's impact is over a policy threshold
	// ([impact] in the configuration; proposal.Thresholds).
	KindImpactLimit = "impact-limit"
)

// Severities, as the REST API names them.
const (
	SeverityBlock = "block"
	SeverityWarn  = "warn"
	SeverityInfo  = "info"
)

// Rule is what a finding kind means for a proposal.
type Rule struct {
	Severity string
	// Blocking refuses the proposal; Overridable blocks may be forced
	// (--force --reason), the others never.
	Blocking, Overridable bool
	rank                  int // order in a result: refusals first, then warnings, then information
	Meaning               string
}

// kinds is the vocabulary's table, in result order.
var kinds = map[string]Rule{
	KindBadMaxLength: {SeverityBlock, true, false, 0, "maxLength < prefix length or > 32/128"},
	KindBadPrefix:    {SeverityBlock, true, false, 1, "prefix with host bits, a zone or an IPv4-mapped address"},
	KindNotHeld:      {SeverityBlock, true, false, 2, "prefix outside the CA's IP resources"},
	KindNotFoundROA:  {SeverityBlock, true, false, 3, "removal of a ROA that is not configured"},
	KindRoutesIncomplete: {SeverityBlock, true, true, 4,
		"a configured BGP peer's routes are missing (session down or still sending its table): the checks cannot see them"},
	KindInvalidatesRoute:  {SeverityBlock, true, true, 5, "a route seen in BGP that is Valid or NotFound now would be Invalid (RFC 6811)"},
	KindInvalidatesIntent: {SeverityBlock, true, true, 6, "an intended announcement would not be Valid"},
	KindLooseMaxLength: {SeverityBlock, true, true, 7,
		"maxLength > prefix length while not every more-specific up to it is announced by that origin (RFC 9319)"},
	KindUnprotectsRoute: {SeverityWarn, false, false, 8, "a Valid route would become NotFound"},
	KindDuplicate:       {SeverityInfo, false, false, 9, "ROA listed twice or already configured"},
	KindAddAndRemove:    {SeverityInfo, false, false, 10, "ROA both added and removed: kept"},
	KindLooseExcepted: {SeverityInfo, false, false, 11,
		"loose maxLength accepted as a recorded exception (RFC 9319 §5.1)"},
	KindRedundant: {SeverityInfo, false, false, 12, "ROA covered by another of the same ASN"},
	KindUnseen:    {SeverityInfo, false, false, 13, "ROA authorizing nothing seen in BGP and no intent"},
	KindImpactLimit: {SeverityBlock, true, false, 14,
		"the routes the change turns Invalid are more, or cover more of the holder's announced space, than [impact] allows"},
}

// RuleOf returns the rule of a kind; an unknown kind is information.
func RuleOf(kind string) Rule {
	if r, ok := kinds[kind]; ok {
		return r
	}
	return Rule{Severity: SeverityInfo, rank: len(kinds)}
}

// Kinds lists every finding kind in result order.
func Kinds() []string {
	out := make([]string, len(kinds))
	for k, r := range kinds {
		out[r.rank] = k
	}
	return out
}

// NewFinding is a finding of kind with its severity and override rule.
func NewFinding(kind, message string) Finding {
	r := RuleOf(kind)
	return Finding{Kind: kind, Severity: r.Severity, Blocking: r.Blocking, Overridable: r.Overridable, Message: message}
}
