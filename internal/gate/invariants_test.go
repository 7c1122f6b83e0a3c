package gate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/publish"
	"github.com/roadrpki/road/internal/store"
)

func refusalOf(t *testing.T, err error, stage string, codes ...string) *Refusal {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("%v, want a refusal by the %s", err, stage)
	}
	if r.Stage != stage || strings.Join(r.Codes(), ",") != strings.Join(codes, ",") {
		t.Fatalf("refusal %s %v (%v), want %s %v", r.Stage, r.Codes(), r, stage, codes)
	}
	return r
}

func history(t *testing.T, st *store.Store) []store.HistoryEntry {
	t.Helper()
	var h []store.HistoryEntry
	if err := st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		h, err = tx.History(0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestShrinkNeedsARecordedOverride: withdrawing more than publish.max_shrink
// of the published objects is refused, the live repository unchanged; an
// operator override with a reason is recorded and lets it through once.
func TestShrinkNeedsARecordedOverride(t *testing.T) {
	f := newFixture(t, "", defaults())
	ctx := context.Background()
	f.change(roas(0, 10), nil)
	if err := f.publish(ctx); err != nil {
		t.Fatal(err)
	}
	before := liveFiles(t, f.dir)
	f.change(nil, roas(0, 9)) // 9 of 16 objects (2 certificates, 2 manifests, 2 CRLs, 10 ROAs)
	r := refusalOf(t, f.publish(ctx), "invariants", CodeShrink)
	if want := "publish-shrink: the change would withdraw 9 of 16 published objects (56%), more than publish.max_shrink 50%"; r.Findings[0].String() != want {
		t.Errorf("finding %q, want %q", r.Findings[0], want)
	}
	if d := sameFiles(before, liveFiles(t, f.dir)); d != "" {
		t.Errorf("live repository changed: %s", d)
	}
	if h := history(t, f.st); h[0].Action != "publish-refused" || h[0].Actor != "road" || h[0].Summary != r.Error() {
		t.Errorf("history %+v, want the refusal", h[0])
	}
	select { // the alarm: what [alerts] webhook receives
	case v := <-f.alarms:
		a, ok := v.(Alarm)
		want := Alarm{Kind: "publication", At: testStart, Summary: r.Error(), FindingCount: 1,
			Findings: []AlarmFinding{{Code: CodeShrink, Severity: "error", Message: r.Findings[0].Detail}}}
		if !ok || !reflect.DeepEqual(a, want) {
			t.Errorf("alarm %+v, want %+v", v, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no alarm posted")
	}
	// A retry (the renewal loop) is not recorded again.
	refusalOf(t, f.publish(ctx), "invariants", CodeShrink)
	if h := history(t, f.st); h[1].Action == "publish-refused" {
		t.Errorf("the same refusal recorded twice: %+v", h[:2])
	}
	if err := f.guard.Override(ctx, "alice", " "); err == nil {
		t.Error("an override without a reason was accepted")
	}
	if err := f.guard.Override(ctx, "alice", "decommissioning 2001:db8::/40"); err != nil {
		t.Fatalf("override: %v", err)
	}
	if n := len(f.pub.Objects()); n != 7 {
		t.Errorf("%d objects published, want 7", n)
	}
	h := history(t, f.st)
	if h[0].Action != "publish-override" || h[0].Actor != "alice" ||
		h[0].Summary != "publication override: decommissioning 2001:db8::/40 (waives publish-shrink)" {
		t.Errorf("history %+v, want the override", h[0])
	}
	// The override was for one publication: the next big shrink is refused again.
	f.change(roas(10, 10), nil)
	if err := f.publish(ctx); err != nil {
		t.Fatal(err)
	}
	f.change(nil, roas(10, 10))
	refusalOf(t, f.publish(ctx), "invariants", CodeShrink)
}

// TestEmptyAndRollbackRefused: an empty repository and a manifest whose
// number goes back are refused, whatever the gate says.
func TestEmptyAndRollbackRefused(t *testing.T) {
	p := defaults()
	p.Gate, p.MaxShrink = false, 1
	f := newFixture(t, "", p)
	ctx := context.Background()
	f.change(roas(0, 2), nil)
	if err := f.publish(ctx); err != nil {
		t.Fatal(err)
	}
	var old []publish.Object
	for u, b := range f.pub.Objects() {
		old = append(old, publish.Object{URI: u, Data: b})
	}
	f.change(roas(2, 1), nil)
	if err := f.publish(ctx); err != nil {
		t.Fatal(err)
	}
	before := liveFiles(t, f.dir)
	_, err := f.pub.Publish(ctx, nil)
	r := refusalOf(t, err, "invariants", CodeEmpty)
	if want := "publish-empty: the change would withdraw all 9 published objects and publish an empty repository"; r.Findings[0].String() != want {
		t.Errorf("finding %q, want %q", r.Findings[0], want)
	}
	_, err = f.pub.Publish(ctx, old) // the state before the last change: its manifest numbers are lower
	r = refusalOf(t, err, "invariants", CodeManifestNumber)
	if len(r.Findings) != 1 || !strings.HasSuffix(r.Findings[0].Subject, ".mft") ||
		!strings.HasPrefix(r.Findings[0].Detail, "manifest number 2 would replace 3 (RFC 9286 §4.2.1") {
		t.Errorf("findings %v", r.Findings)
	}
	if d := sameFiles(before, liveFiles(t, f.dir)); d != "" {
		t.Errorf("live repository changed: %s", d)
	}
}

// TestStorageLossBlocksPublication: a database that lost its data (empty,
// beside a populated repository) does not publish its empty state: the
// start-up comparison blocks publication, the live repository stays as it
// was, until an operator override reconciles.
func TestStorageLossBlocksPublication(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, dir, defaults())
	ctx := context.Background()
	if err := f.publish(ctx); err != nil { // road's first publication, at start: no ROA yet
		t.Fatal(err)
	}
	f.change(roas(0, 3), nil)
	if err := f.publish(ctx); err != nil {
		t.Fatal(err)
	}
	session, serial := f.pub.State()
	f.st.Close()
	for _, n := range []string{"road.db", "road.db-wal", "road.db-shm"} {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	before := liveFiles(t, dir)
	g := newFixture(t, dir, defaults()) // a new, empty database: a new CA, no ROAs
	r := refusalOf(t, g.publish(ctx), "start", CodeMismatch)
	if want := "publish-state-mismatch " + session + ": the database records no publication, but the repository holds 9 objects (RRDP session " +
		session + " serial 2): the database may have lost its data"; r.Findings[0].String() != want || serial != 2 {
		t.Errorf("finding %q, want %q", r.Findings[0], want)
	}
	if d := sameFiles(before, liveFiles(t, dir)); d != "" {
		t.Errorf("live repository changed: %s", d)
	}
	refusalOf(t, g.publish(ctx), "start", CodeMismatch) // still blocked: not rebuilt from the empty database
	if err := g.guard.Override(ctx, "admin", "the old database is gone; start over"); err != nil {
		t.Fatalf("override: %v", err)
	}
	if s, n := g.pub.State(); s != session || n != 3 || len(g.pub.Objects()) != 6 {
		t.Errorf("after the override: %s/%d with %d objects, want %s/3 with 6", s, n, len(g.pub.Objects()), session)
	}
}

// TestFreshDataDirPublishes: a new data directory (empty database, empty
// repository) is no storage loss: its first state is published.
func TestFreshDataDirPublishes(t *testing.T) {
	f := newFixture(t, "", defaults())
	if err := f.publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, n := f.pub.State(); n != 1 || len(f.pub.Objects()) != 6 {
		t.Errorf("serial %d with %d objects, want 1 with 6", n, len(f.pub.Objects()))
	}
}

// TestStartStateWithoutRRDPState: a populated rsync tree whose RRDP state
// could not be continued (another RRDP base) beside a database that records
// no publication is a mismatch too; an empty one is a new data directory.
func TestStartStateWithoutRRDPState(t *testing.T) {
	r := StartState(publish.State{}, publish.State{}, 9)
	if r == nil || r.Findings[0].String() != "publish-state-mismatch: the database records no publication, but the repository holds 9 objects in its rsync tree: the database may have lost its data" {
		t.Errorf("%v", r)
	}
	if r := StartState(publish.State{}, publish.State{Session: "s", Serial: 1}, 6); r != nil {
		t.Errorf("a crash before the first publication was recorded: %v", r)
	}
	if r := StartState(publish.State{}, publish.State{}, 0); r != nil {
		t.Errorf("a new data directory: %v", r)
	}
	if r := StartState(publish.State{Session: "s", Serial: 4}, publish.State{Session: "s", Serial: 5}, 9); r != nil {
		t.Errorf("a record one serial behind: %v", r)
	}
	if r := StartState(publish.State{Session: "s", Serial: 4}, publish.State{Session: "s", Serial: 6}, 9); r == nil || r.Findings[0].Code != CodeMismatch {
		t.Errorf("a database two serials behind: %v", r)
	}
}
