package gate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/roadrpki/road/internal/fault"
)

// Reason codes of a finding (stable: API error details, metrics, logs).
const (
	CodeVRPMissing      = "gate-vrp-missing"      // a configured ROA is not among the staged tree's VRPs
	CodeVRPExtra        = "gate-vrp-extra"        // the staged tree yields a VRP that is not configured
	CodeRejected        = "gate-object-rejected"  // the relying party rejected a staged object
	CodeRPError         = "gate-rp-error"         // the bundled relying party could not run
	CodeExternalError   = "gate-external-error"   // the external relying party failed, timed out or is missing
	CodeExternalMissing = "gate-external-missing" // the external relying party lacks a configured ROA
	CodeExternalExtra   = "gate-external-extra"   // the external relying party yields an unconfigured VRP
	CodeEmpty           = "publish-empty"         // the change would publish an empty repository
	CodeShrink          = "publish-shrink"        // the change would withdraw more than the allowed share
	CodeManifestNumber  = "publish-manifest-number-decrease"
	CodeSerial          = "publish-serial-decrease"
	CodeMismatch        = "publish-state-mismatch" // the database and the published state disagree at start
)

// ErrRefused marks every refusal (errors.Is).
var ErrRefused = errors.New("publish-refused")

// Finding is one reason to refuse a publication.
type Finding struct {
	Code    string `json:"code"`
	Subject string `json:"subject,omitempty"` // a VRP, an object URI, a command
	Detail  string `json:"detail"`
}

func (f Finding) String() string {
	if f.Subject == "" {
		return f.Code + ": " + f.Detail
	}
	return f.Code + " " + f.Subject + ": " + f.Detail
}

// Refusal is a refused publication: what refused it (gate or invariants)
// and every finding. It unwraps to ErrRefused and to a *fault.Error with
// code fault.Conflict whose details are the findings, so API callers get
// them as they are.
type Refusal struct {
	Stage    string // "gate", "invariants" or "start"
	Findings []Finding
}

func (r *Refusal) Error() string {
	if len(r.Findings) == 0 {
		return "publication refused by the " + r.Stage
	}
	msg := fmt.Sprintf("publication refused by the %s: %s", r.Stage, r.Findings[0])
	if n := len(r.Findings) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

// Codes lists the findings' distinct codes, in order.
func (r *Refusal) Codes() []string {
	var out []string
	for _, f := range r.Findings {
		if !containsString(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	return out
}

// Reason is the first finding's code (health reports it).
func (r *Refusal) Reason() string {
	if len(r.Findings) == 0 {
		return ErrRefused.Error()
	}
	return r.Findings[0].Code
}

// Unwrap lets errors.Is find ErrRefused and fault.As a conflict.
func (r *Refusal) Unwrap() []error {
	return []error{ErrRefused, fault.New(fault.Conflict, r.Error(), r.Findings)}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// joinCodes is for log lines.
func joinCodes(r *Refusal) string { return strings.Join(r.Codes(), ",") }
