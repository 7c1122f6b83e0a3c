package gate

import (
	"fmt"
	"strings"

	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/rpki"
)

// Invariants checks a staged publication against the live one, whatever
// the gate says:
//   - an empty repository replaces a populated one: CodeEmpty;
//   - more than maxShrink of the live objects are withdrawn: CodeShrink;
//   - a manifest is replaced by one whose number is not higher
//     (RFC 9286 §4.2.1: relying parties reject it): CodeManifestNumber;
//   - the RRDP serial of the same session does not increase (RFC 8182
//     §3.3.2): CodeSerial.
//
// Only the first two are about the change's size; all may be waived by a
// recorded operator override (Guard.Override).
func Invariants(s *publish.Staged, maxShrink float64) []Finding {
	live := s.Live()
	next := s.Objects()
	var fs []Finding
	kept := 0
	for _, o := range next {
		if _, ok := live[o.URI]; ok {
			kept++
		}
	}
	withdrawn := len(live) - kept
	switch {
	case len(live) > 0 && len(next) == 0:
		fs = append(fs, Finding{Code: CodeEmpty,
			Detail: fmt.Sprintf("the change would withdraw all %d published objects and publish an empty repository", len(live))})
	case len(live) > 0 && float64(withdrawn) > maxShrink*float64(len(live)):
		fs = append(fs, Finding{Code: CodeShrink, Detail: fmt.Sprintf(
			"the change would withdraw %d of %d published objects (%.0f%%), more than publish.max_shrink %.0f%%",
			withdrawn, len(live), 100*float64(withdrawn)/float64(len(live)), 100*maxShrink)})
	}
	for _, o := range next {
		old, ok := live[o.URI]
		if !ok || !strings.HasSuffix(o.URI, ".mft") || string(old) == string(o.Data) {
			continue
		}
		if f, bad := manifestDecrease(o.URI, old, o.Data); bad {
			fs = append(fs, f)
		}
	}
	from, to := s.From(), s.Result()
	if to.Changed && from.Session != "" && from.Session == to.Session && to.Serial <= from.Serial {
		fs = append(fs, Finding{Code: CodeSerial, Subject: to.Session,
			Detail: fmt.Sprintf("RRDP serial %d would follow %d in the same session", to.Serial, from.Serial)})
	}
	return fs
}

// manifestDecrease compares the manifest numbers of a replaced manifest.
func manifestDecrease(uri string, old, cur []byte) (Finding, bool) {
	_, mo, err1 := rpki.ParseManifestObject(old)
	_, mn, err2 := rpki.ParseManifestObject(cur)
	if err1 != nil || err2 != nil {
		return Finding{}, false // a malformed manifest is the gate's finding
	}
	if mn.Number.Cmp(mo.Number) > 0 {
		return Finding{}, false
	}
	return Finding{Code: CodeManifestNumber, Subject: uri,
		Detail: fmt.Sprintf("manifest number %s would replace %s (RFC 9286 §4.2.1: it must increase)", mn.Number, mo.Number)}, true
}

// StartState compares, at start, the publication the database records
// with the one on disk. A mismatch is not healed by publishing what the
// database holds: a database that lost its data (or was restored from an
// older backup) would withdraw or roll back what relying parties already
// have. A crash between writing the files and recording them leaves the
// record one serial behind, which is no mismatch. liveObjects counts the
// published objects, or the files of the rsync tree when the RRDP state
// could not be continued (another RRDP base, damaged files).
func StartState(recorded, live publish.State, liveObjects int) *Refusal {
	switch {
	case recorded.Session == "" && liveObjects > 0 && !(live.Session != "" && live.Serial == 1):
		// (serial 1 unrecorded: a crash right after road's first publication,
		// which carries no ROA yet)
		where := "in its rsync tree"
		if live.Session != "" {
			where = fmt.Sprintf("(RRDP session %s serial %d)", live.Session, live.Serial)
		}
		return refuse("start", Finding{Code: CodeMismatch, Subject: live.Session, Detail: fmt.Sprintf(
			"the database records no publication, but the repository holds %d objects %s: the database may have lost its data",
			liveObjects, where)})
	case recorded.Session != "" && recorded.Session == live.Session && live.Serial > recorded.Serial+1:
		return refuse("start", Finding{Code: CodeMismatch, Subject: live.Session, Detail: fmt.Sprintf(
			"the database records RRDP serial %d, but the repository is at serial %d: the database is older than the publication",
			recorded.Serial, live.Serial)})
	}
	return nil
}
