package health

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/rprun"
	"github.com/roadrpki/road/internal/store"
	"github.com/roadrpki/road/internal/vrp"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestJudges(t *testing.T) {
	v, _ := vrp.Parse("192.0.2.0/24 => AS64496")
	good := &rp.Result{VRPs: []rp.VRP{{VRP: v}}}
	degr := &rprun.DegradedError{Feed: rprun.FeedOwn, Reason: rprun.ReasonRunFailed, Err: errors.New("road.tal: no such file")}
	mft := store.ObjectExpiry{URI: "rsync://h/repo/ca/a.mft", Kind: "mft", NotAfter: t0.Add(time.Hour)}
	crl := store.ObjectExpiry{URI: "rsync://h/repo/ca/a.crl", Kind: "crl", NotAfter: t0.Add(2 * time.Hour)}
	for _, tc := range []struct {
		name string
		got  Check
		want Check
	}{
		{"bound", Listeners(true), Check{Part: "listeners", OK: true, Message: "every listener is bound"}},
		{"not bound", Listeners(false), Check{Part: "listeners", Reason: "listeners-not-bound", Message: "the listeners are not bound yet"}},
		{"db ok", Database(nil, false, time.Second), Check{Part: "database", OK: true, Message: "a heartbeat write committed"}},
		{"db failed", Database(errors.New("disk I/O error"), false, time.Second),
			Check{Part: "database", Reason: "database-write-failed", Message: "a heartbeat write failed: disk I/O error"}},
		{"db timeout", Database(nil, true, 3*time.Second), Check{Part: "database", Reason: "database-write-timeout",
			Message: "a heartbeat write did not commit within 3s (database locked or its disk stalled)"}},
		{"rp not run", RP(t0, rprun.FeedStatus{}, 5*time.Minute), Check{Part: "rp-own", Reason: "rp-not-run",
			Message: "the bundled relying party has not validated road's publication yet"}},
		{"rp ok", RP(t0, rprun.FeedStatus{Runs: 3, LastRun: t0.Add(-time.Minute), LastSuccess: t0.Add(-time.Minute), Good: good}, 5*time.Minute),
			Check{Part: "rp-own", OK: true, Message: "the last run (2026-03-04T05:05:07Z) validated 1 VRPs"}},
		{"rp degraded", RP(t0, rprun.FeedStatus{Runs: 4, LastRun: t0, LastSuccess: t0.Add(-time.Minute), Good: good, Err: degr}, 5*time.Minute),
			Check{Part: "rp-own", Reason: "rp-run-failed", Message: "own: rp-run-failed: road.tal: no such file (RTR keeps the last good view)"}},
		// 11 minutes is the bound for a 5-minute interval: one second more is stale.
		{"rp at the bound", RP(t0, rprun.FeedStatus{Runs: 1, LastRun: t0.Add(-11 * time.Minute), LastSuccess: t0.Add(-11 * time.Minute), Good: good}, 5*time.Minute),
			Check{Part: "rp-own", OK: true, Message: "the last run (2026-03-04T04:55:07Z) validated 1 VRPs"}},
		{"rp stale", RP(t0, rprun.FeedStatus{Runs: 1, LastRun: t0.Add(-11*time.Minute - time.Second), LastSuccess: t0.Add(-11*time.Minute - time.Second), Good: good}, 5*time.Minute),
			Check{Part: "rp-own", Reason: "rp-stale", Message: "the last good run started at 2026-03-04T04:55:06Z, 11m1s ago, more than 11m0s"}},
		{"not published", Publication(t0, time.Time{}, nil, nil), Check{Part: "publication", Reason: "not-published", Message: "nothing was published yet"}},
		{"published", Publication(t0, t0.Add(-time.Minute), nil, []store.ObjectExpiry{crl, mft}), Check{Part: "publication", OK: true,
			Message: "last published 2026-03-04T05:05:07Z; the soonest nextUpdate is 2026-03-04T06:06:07Z (mft rsync://h/repo/ca/a.mft)"}},
		{"publish failed", Publication(t0, t0.Add(-time.Minute), errors.New("no space left on device"), []store.ObjectExpiry{mft}),
			Check{Part: "publication", Reason: "publish-failed", Message: "the last publication (2026-03-04T05:05:07Z) failed: no space left on device"}},
		// At nextUpdate the manifest is stale (RFC 9286 §6.3).
		{"stale", Publication(t0.Add(time.Hour), t0, nil, []store.ObjectExpiry{crl, mft}), Check{Part: "publication", Reason: "publication-stale",
			Message: "1 of the published manifests and CRLs are past their nextUpdate (stale, RFC 9286 §6.3); first: mft rsync://h/repo/ca/a.mft, nextUpdate 2026-03-04T06:06:07Z"}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, tc.got, tc.want)
		}
	}
}

// TestServeReport: 200 with every check when all are OK; 503 naming the
// failing parts (and still listing every part) otherwise; /healthz is 200.
func TestServeReport(t *testing.T) {
	ok := Listeners(true)
	bad := Check{Part: "rp-own", Reason: "rp-not-run", Message: "m"}
	for _, tc := range []struct {
		r    Report
		code int
		body string
	}{
		{NewReport(ok), 200, `{"status":"ready","checks":[{"part":"listeners","ok":true,"message":"every listener is bound"}]}`},
		{NewReport(ok, bad), 503, `{"status":"not-ready","checks":[{"part":"listeners","ok":true,"message":"every listener is bound"},` +
			`{"part":"rp-own","ok":false,"reason":"rp-not-run","message":"m"}]}`},
	} {
		rec := httptest.NewRecorder()
		ServeReport(rec, tc.r)
		if rec.Code != tc.code || rec.Body.String() != tc.body+"\n" || rec.Header().Get("Content-Type") != "application/json" ||
			rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("got %d %s %v, want %d %s", rec.Code, rec.Body, rec.Header(), tc.code, tc.body)
		}
		var back Report
		if err := json.Unmarshal(rec.Body.Bytes(), &back); err != nil || back.Ready() != (tc.code == 200) {
			t.Errorf("decoded %+v %v", back, err)
		}
	}
	rec := httptest.NewRecorder()
	Live(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 || rec.Body.String() != `{"status":"alive"}`+"\n" {
		t.Errorf("/healthz %d %s", rec.Code, rec.Body)
	}
}
