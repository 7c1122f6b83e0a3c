package health

import (
	"errors"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/rprun"
	"github.com/roadrpki/road/internal/store"
)

// The judges: pure functions from a part's state to its Check.

// Listeners: every configured listener is bound (internal/listen binds all
// of them before any serves, and road stops when one fails).
func Listeners(bound bool) Check {
	if !bound {
		return Check{Part: PartListeners, Reason: ReasonNotBound, Message: "the listeners are not bound yet"}
	}
	return Check{Part: PartListeners, OK: true, Message: "every listener is bound"}
}

// Database judges the heartbeat write: err is its error, timedOut says it
// did not finish within timeout.
func Database(err error, timedOut bool, timeout time.Duration) Check {
	switch {
	case timedOut:
		return Check{Part: PartDatabase, Reason: ReasonDBWriteTimeout,
			Message: fmt.Sprintf("a heartbeat write did not commit within %s (database locked or its disk stalled)", timeout)}
	case err != nil:
		return Check{Part: PartDatabase, Reason: ReasonDBWriteFailed, Message: "a heartbeat write failed: " + err.Error()}
	}
	return Check{Part: PartDatabase, OK: true, Message: "a heartbeat write committed"}
}

// RPStaleAfter is how old the last good run of road's own TAL may be:
// two missed periodic runs and a minute (the consistency audit's rp-stale
// bound).
func RPStaleAfter(interval time.Duration) time.Duration { return 2*interval + time.Minute }

// RP judges the feed of road's own TAL: it has run, its last run became
// the good view (not degraded), and that run is no older than
// RPStaleAfter(interval).
func RP(now time.Time, f rprun.FeedStatus, interval time.Duration) Check {
	c := Check{Part: PartRP}
	switch age := now.Sub(f.LastSuccess); {
	case f.Runs == 0:
		c.Reason, c.Message = ReasonRPNotRun, "the bundled relying party has not validated road's publication yet"
	case f.Err != nil:
		c.Reason, c.Message = f.Err.Reason, f.Err.Error()
	case age > RPStaleAfter(interval):
		c.Reason = ReasonRPStale
		c.Message = fmt.Sprintf("the last good run started at %s, %s ago, more than %s", stamp(f.LastSuccess),
			age.Truncate(time.Second), RPStaleAfter(interval))
	default:
		vrps := 0
		if f.Good != nil {
			vrps = len(f.Good.VRPs)
		}
		c.OK, c.Message = true, fmt.Sprintf("the last run (%s) validated %d VRPs", stamp(f.LastRun), vrps)
	}
	return c
}

// Publication judges the publication: the last Publish (at, err) succeeded,
// and no published manifest or CRL (points) is at or past its nextUpdate
// (RFC 9286 §6.3: relying parties then treat the publication point as stale).
func Publication(now, at time.Time, err error, points []store.ObjectExpiry) Check {
	c := Check{Part: PartPublication}
	var stale []store.ObjectExpiry
	next := store.ObjectExpiry{}
	for _, p := range points {
		if !p.NotAfter.After(now) {
			stale = append(stale, p)
		}
		if next.URI == "" || p.NotAfter.Before(next.NotAfter) {
			next = p
		}
	}
	switch {
	case at.IsZero():
		c.Reason, c.Message = ReasonNotPublished, "nothing was published yet"
	case refusal(err) != "":
		c.Reason = ReasonPublicationRefused
		c.Message = fmt.Sprintf("publication is refused (%s; last attempt %s), the live repository is unchanged: %v; "+
			"fix the cause, or reconcile with a recorded override (roactl publish override --reason TEXT)", refusal(err), stamp(at), err)
	case err != nil:
		c.Reason, c.Message = ReasonPublishFailed, fmt.Sprintf("the last publication (%s) failed: %v", stamp(at), err)
	case len(stale) > 0:
		c.Reason = ReasonPublicationStale
		c.Message = fmt.Sprintf("%d of the published manifests and CRLs are past their nextUpdate (stale, RFC 9286 §6.3); first: %s %s, nextUpdate %s",
			len(stale), stale[0].Kind, stale[0].URI, stamp(stale[0].NotAfter))
	case next.URI == "":
		c.OK, c.Message = true, fmt.Sprintf("last published %s", stamp(at))
	default:
		c.OK = true
		c.Message = fmt.Sprintf("last published %s; the soonest nextUpdate is %s (%s %s)", stamp(at), stamp(next.NotAfter), next.Kind, next.URI)
	}
	return c
}

// refusal is the reason code of a refused publication (an error with a
// Reason method in its chain, internal/gate), "" for any other error.
func refusal(err error) string {
	var r interface{ Reason() string }
	if err != nil && errors.As(err, &r) {
		return r.Reason()
	}
	return ""
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
