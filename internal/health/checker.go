package health

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/roadrpki/road/internal/rprun"
	"github.com/roadrpki/road/internal/store"
)

// Defaults of a Checker.
const (
	// DefaultDBTimeout bounds the heartbeat write a check waits for.
	DefaultDBTimeout = 3 * time.Second
	// callBound cancels a database call nobody waits for any more.
	callBound = 30 * time.Second
)

// Sources are the running parts a Checker asks.
type Sources struct {
	// Listeners reports whether every listener is bound.
	Listeners func() bool
	// Store is the database: a heartbeat row is written to it, the
	// published manifests' and CRLs' nextUpdate read from it.
	Store *store.Store
	// RP is the bundled relying party; RPInterval the period of road's
	// own TAL (the staleness bound derives from it).
	RP         interface{ Status() rprun.Status }
	RPInterval time.Duration
	// Publisher reports the last publication (internal/publish).
	Publisher interface {
		LastPublish() (time.Time, error)
	}
	Clock func() time.Time
	// DBTimeout bounds the heartbeat write and the read of the publication
	// check (0: DefaultDBTimeout).
	DBTimeout time.Duration
}

// Checker gathers every part's Check.
type Checker struct {
	src    Sources
	write  *flight[struct{}]
	points *flight[[]store.ObjectExpiry] // the published manifests and CRLs
}

// New returns a Checker over src.
func New(src Sources) *Checker {
	if src.Clock == nil {
		src.Clock = time.Now
	}
	src.DBTimeout = cmp.Or(src.DBTimeout, DefaultDBTimeout)
	c := &Checker{src: src}
	c.write = &flight[struct{}]{do: func(ctx context.Context) (struct{}, error) {
		return struct{}{}, src.Store.Heartbeat(ctx, src.Clock())
	}}
	c.points = &flight[[]store.ObjectExpiry]{do: func(ctx context.Context) (points []store.ObjectExpiry, err error) {
		err = src.Store.View(ctx, func(tx *store.Tx) error {
			points, err = tx.ObjectExpiries("mft", "crl")
			return err
		})
		return points, err
	}}
	return c
}

// Report checks every part now.
func (c *Checker) Report(ctx context.Context) Report {
	s := c.src
	pub := make(chan Check, 1)
	go func() { pub <- c.publication(ctx) }() // its read waits beside the write
	_, timedOut, err := c.write.run(ctx, s.DBTimeout)
	checks := []Check{Listeners(s.Listeners()), Database(err, timedOut, s.DBTimeout),
		RP(s.Clock(), s.RP.Status().Own, s.RPInterval), <-pub}
	return NewReport(checks...)
}

// ServeHTTP answers /readyz: the Report, 200 when ready, else 503.
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ServeReport(w, c.Report(r.Context()))
}

func (c *Checker) publication(ctx context.Context) Check {
	points, timedOut, err := c.points.run(ctx, c.src.DBTimeout)
	if timedOut {
		err = fmt.Errorf("no answer within %s", c.src.DBTimeout)
	}
	if err != nil {
		return Check{Part: PartPublication, Reason: ReasonDBReadFailed,
			Message: "the published manifests and CRLs could not be read: " + err.Error()}
	}
	at, perr := c.src.Publisher.LastPublish()
	return Publication(c.src.Clock(), at, perr, points)
}

// flight runs one call of do at a time: a check that comes while one is
// under way waits for it instead of queueing another behind a database
// that does not answer (SQLite waits for a lock without looking at the
// context).
type flight[T any] struct {
	do  func(ctx context.Context) (T, error)
	mu  sync.Mutex
	cur *call[T] // the call under way, nil when none
}

type call[T any] struct {
	done chan struct{} // closed when val and err are set
	val  T
	err  error
}

// run waits at most timeout (or until ctx ends) for a call of do, starting
// one unless one is under way.
func (f *flight[T]) run(ctx context.Context, timeout time.Duration) (val T, timedOut bool, err error) {
	f.mu.Lock()
	c := f.cur
	if c == nil {
		c = &call[T]{done: make(chan struct{})}
		f.cur = c
		go func() {
			cctx, cancel := context.WithTimeout(context.Background(), callBound)
			c.val, c.err = f.do(cctx)
			cancel()
			f.mu.Lock()
			f.cur = nil
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
		return c.val, false, c.err
	case <-t.C:
		return val, true, nil
	case <-ctx.Done():
		return val, false, ctx.Err()
	}
}
