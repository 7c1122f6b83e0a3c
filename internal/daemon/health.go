package daemon

import (
	"encoding/json"
	"net/http"
)

// health is the /healthz answer: "ok", or "degraded" with the parts that
// are (the answer stays 200: the daemon is alive and serving).
type health struct {
	Status   string         `json:"status"`
	Degraded []degradedPart `json:"degraded,omitempty"`
}

type degradedPart struct {
	Part    string `json:"part"`   // "rp-own" or "rp-global"
	Reason  string `json:"reason"` // kebab-case code
	Message string `json:"message"`
}

// healthz reports liveness and names what is degraded.
func (d *Daemon) healthz(w http.ResponseWriter, _ *http.Request) {
	h := health{Status: "ok"}
	for _, e := range d.rp.Degraded() {
		h.Degraded = append(h.Degraded, degradedPart{Part: "rp-" + e.Feed, Reason: e.Reason, Message: e.Error()})
	}
	if len(h.Degraded) > 0 {
		h.Status = "degraded"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(h)
}
