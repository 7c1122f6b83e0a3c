// Package health says whether road is alive and whether it does its job.
// /healthz answers while the process runs. /readyz checks every part road
// needs to keep its promises: every listener bound, the database taking
// writes, road's own relying party current and not degraded, the
// publication current. Each part reports a Check (judge.go); a Report is
// every check and the verdict; a Checker (checker.go) gathers them from the
// running parts.
package health

import (
	"encoding/json"
	"net/http"
)

// Parts, in the order a Report lists them.
const (
	PartListeners   = "listeners"
	PartDatabase    = "database"
	PartRP          = "rp-own" // road's own TAL's feed of the bundled relying party
	PartPublication = "publication"
)

// Reason codes of a failing check (stable: /readyz, roactl status). A
// degraded relying party reports the relying party's own code
// (rp-run-failed, rp-ta-failed, rp-vrp-loss; internal/rprun).
const (
	ReasonNotBound         = "listeners-not-bound"    // Run has not bound every listener
	ReasonDBWriteFailed    = "database-write-failed"  // the heartbeat write returned an error
	ReasonDBWriteTimeout   = "database-write-timeout" // the heartbeat write did not finish in time
	ReasonDBReadFailed     = "database-read-failed"   // what the check needs could not be read
	ReasonRPNotRun         = "rp-not-run"             // no run finished yet
	ReasonRPStale          = "rp-stale"               // the last good run is older than the bound
	ReasonNotPublished     = "not-published"          // nothing was published yet
	ReasonPublishFailed    = "publish-failed"         // the last publication failed
	ReasonPublicationStale = "publication-stale"      // a published manifest or CRL is past its nextUpdate
	// ReasonPublicationRefused: the gate or the publication invariants
	// refused the last publication, or the database and the published state
	// disagreed at start (internal/gate); the message names the finding.
	ReasonPublicationRefused = "publication-refused"
)

// Report statuses.
const (
	StatusReady    = "ready"
	StatusNotReady = "not-ready"
	StatusAlive    = "alive"
)

// Check is one part's state: OK, or the reason code and what fails.
type Check struct {
	Part    string `json:"part"`
	OK      bool   `json:"ok"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
}

// Report is every part's check; Status is "ready" when every one is OK.
type Report struct {
	Status string  `json:"status"`
	Checks []Check `json:"checks"`
}

// NewReport judges the checks.
func NewReport(checks ...Check) Report {
	r := Report{Status: StatusReady, Checks: checks}
	if len(r.Failing()) > 0 {
		r.Status = StatusNotReady
	}
	return r
}

// Ready reports whether every part is OK.
func (r Report) Ready() bool { return r.Status == StatusReady }

// Failing returns the checks that are not OK.
func (r Report) Failing() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Live answers /healthz: 200 {"status":"alive"} while the process serves.
// It says nothing about the parts: that is /readyz.
func Live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{StatusAlive})
}

// ServeReport answers /readyz with r: 200 when ready, else 503.
func ServeReport(w http.ResponseWriter, r Report) {
	code := http.StatusOK
	if !r.Ready() {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, r)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
