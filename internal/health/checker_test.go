package health

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/roadrpki/road/internal/rp"
	"github.com/roadrpki/road/internal/rprun"
	"github.com/roadrpki/road/internal/store"
)

type rpState rprun.Status

func (s rpState) Status() rprun.Status { return rprun.Status(s) }

type lastPublish struct {
	at  time.Time
	err error
}

func (p lastPublish) LastPublish() (time.Time, error) { return p.at, p.err }

// testChecker is a Checker over a real database at path, a relying party
// that validated at t0 and a publication made at t0.
func testChecker(t *testing.T, path string, dbTimeout time.Duration) *Checker {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	own := rprun.FeedStatus{Runs: 1, LastRun: t0, LastSuccess: t0, Good: &rp.Result{}}
	return New(Sources{Listeners: func() bool { return true }, Store: st, RP: rpState{Own: own}, RPInterval: 5 * time.Minute,
		Publisher: lastPublish{at: t0}, Clock: func() time.Time { return t0 }, DBTimeout: dbTimeout})
}

func checkOf(r Report, part string) Check {
	for _, c := range r.Checks {
		if c.Part == part {
			return c
		}
	}
	return Check{}
}

// TestDatabaseRefusingWrites: a real SQLite database whose writes fail
// (a trigger refuses them) or wait behind a lock another process holds
// makes the database part fail, with the reason; it recovers after.
func TestDatabaseRefusingWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "road.db")
	c := testChecker(t, path, 300*time.Millisecond)
	ctx := context.Background()
	r := c.Report(ctx)
	want := []Check{Listeners(true), Database(nil, false, 0), {Part: "rp-own", OK: true, Message: "the last run (2026-03-04T05:06:07Z) validated 0 VRPs"},
		{Part: "publication", OK: true, Message: "last published 2026-03-04T05:06:07Z"}}
	if r.Status != "ready" || len(r.Checks) != len(want) {
		t.Fatalf("healthy: %+v", r)
	}
	for i := range want {
		if r.Checks[i] != want[i] {
			t.Fatalf("check %d: %+v, want %+v", i, r.Checks[i], want[i])
		}
	}

	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	refuse := `CREATE TRIGGER refuse_i BEFORE INSERT ON meta BEGIN SELECT RAISE(FAIL, 'writes refused'); END;
		CREATE TRIGGER refuse_u BEFORE UPDATE ON meta BEGIN SELECT RAISE(FAIL, 'writes refused'); END;`
	if _, err := other.Exec(refuse); err != nil {
		t.Fatal(err)
	}
	r = c.Report(ctx)
	if got := checkOf(r, "database"); r.Ready() || got != (Check{Part: "database", Reason: "database-write-failed",
		Message: "a heartbeat write failed: store: INSERT INTO meta(key,: writes refused"}) {
		t.Fatalf("writes refused: %+v", r)
	}
	if _, err := other.Exec(`DROP TRIGGER refuse_i; DROP TRIGGER refuse_u`); err != nil {
		t.Fatal(err)
	}
	if r = c.Report(ctx); !r.Ready() {
		t.Fatalf("after the trigger went: %+v", r)
	}

	// Another process holds the write lock: the heartbeat waits; the check
	// does not wait longer than its bound.
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r = c.Report(ctx)
	if got := checkOf(r, "database"); r.Ready() || got != (Check{Part: "database", Reason: "database-write-timeout",
		Message: "a heartbeat write did not commit within 300ms (database locked or its disk stalled)"}) {
		t.Fatalf("locked: %+v", r)
	}
	// road's store takes the write lock for reads too (BEGIN IMMEDIATE):
	// what the publication check reads is not known either.
	if got := checkOf(r, "publication"); got != (Check{Part: "publication", Reason: "database-read-failed",
		Message: "the published manifests and CRLs could not be read: no answer within 300ms"}) {
		t.Fatalf("publication while locked: %+v", got)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the check took %s with a 300ms bound", took)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !c.Report(ctx).Ready(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after the lock was released: %+v", c.Report(ctx))
		}
	}
}

// TestOneWriteAtATime: checks that come while a heartbeat write hangs wait
// for that write; none queues another.
func TestOneWriteAtATime(t *testing.T) {
	release := make(chan struct{})
	var writes atomic.Int32
	p := &flight[int32]{do: func(ctx context.Context) (int32, error) {
		n := writes.Add(1)
		if n == 1 {
			<-release
			return n, errors.New("first")
		}
		return n, nil
	}}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if _, timedOut, err := p.run(context.Background(), 50*time.Millisecond); !timedOut || err != nil {
				t.Errorf("while hanging: timed out %v, err %v", timedOut, err)
			}
		})
	}
	wg.Wait()
	if n := writes.Load(); n != 1 {
		t.Fatalf("%d writes while one hangs", n)
	}
	close(release)
	// The next check either joins the first write (its error) or, once it
	// ended, starts the second.
	for {
		n, timedOut, err := p.run(context.Background(), 5*time.Second)
		if timedOut {
			t.Fatal("timed out after the release")
		}
		if err == nil && n == 2 {
			break
		}
		if n != 1 || err == nil || err.Error() != "first" {
			t.Fatalf("%d %v", n, err)
		}
	}
	if n := writes.Load(); n != 2 {
		t.Fatalf("%d writes, want 2", n)
	}
}
