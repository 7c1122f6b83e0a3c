package rtr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/vrp"
	"github.com/roadrpki/road/internal/vrpjson"
)

// Reason codes of the follower.
var (
	ErrStale  = errors.New("vrp-source-stale")
	ErrSource = errors.New("vrp-source-unavailable")
)

// Updater receives new data; *Server implements it.
type Updater interface {
	Update(vrps vrp.Set, aspas []vrp.ASPA) (serial uint32, changed bool)
}

// BuildTimeUpdater is a Target that also takes the document's build time
// (metadata.buildtime; zero when it has none); the follower calls it
// instead of Update.
type BuildTimeUpdater interface {
	UpdateBuilt(vrps vrp.Set, aspas []vrp.ASPA, built time.Time) (serial uint32, changed bool)
}

// Withdrawer is implemented by targets that can stop serving (*Server).
type Withdrawer interface{ Withdraw(reason string) }

// Filter transforms a loaded set before it is served (SLURM, RFC 8416). It
// must be all-or-nothing (RFC 8416 §4.1): on error nothing is served.
type Filter func(vrp.Set, []vrp.ASPA) (vrp.Set, []vrp.ASPA, error)

// Follower polls a VRP JSON file or http(s) URL and feeds a Server: the
// scale-out mode where many RTR replicas follow one validator.
type Follower struct {
	Source   string        // file path or http:// / https:// URL
	Interval time.Duration // between polls (0 = 60s)
	// MaxAge refuses documents whose build time is older (or missing); 0
	// accepts any age. Entries whose "expires" has passed are always dropped.
	MaxAge time.Duration
	Target Updater
	Filter Filter
	Client *http.Client
	Clock  func() time.Time
	Logger *slog.Logger
	// ReleaseMemory returns the decoding garbage (the whole document and the
	// previous set) to the OS after each load, keeping RSS near the live
	// heap in a process that does nothing else (road rtr), and collects
	// more often while a document is decoded and served, so the peak RSS
	// of a load stays near the live heap too.
	ReleaseMemory bool
	// Watch lists files the Filter reads (SLURM, RFC 8416): when one of
	// them changes while the source does not, the Filter is applied again
	// to the last loaded data, so a local override takes effect at the next
	// poll rather than at the next validator run.
	Watch []string

	watched            map[string]fileState
	last               *loaded // the last decoded document, kept only with a Filter
	etag, lastModified string
	fileMod            time.Time
	fileSize           int64
	sizeHint           int64
	servedBuild        time.Time // build time of the data last handed to Target
}

// fileState identifies a version of a watched file (absent: zero).
type fileState struct {
	mod  time.Time
	size int64
}

// loaded is one decoded document before filtering.
type loaded struct {
	vrps  vrp.Set
	aspas []vrp.ASPA
	meta  vrpjson.Meta
}

// watchChanged reports whether any watched file changed since the last call
// (the first call sees them all as changed) and records their state.
func (f *Follower) watchChanged() bool {
	if f.watched == nil {
		f.watched = map[string]fileState{}
	}
	changed := false
	for _, p := range f.Watch {
		var st fileState
		if fi, err := os.Stat(p); err == nil {
			st = fileState{fi.ModTime(), fi.Size()}
		}
		if old, seen := f.watched[p]; !seen || old != st {
			changed = true
		}
		f.watched[p] = st
	}
	return changed
}

// Run polls until ctx is done. A failed poll keeps the previous data.
func (f *Follower) Run(ctx context.Context) error {
	iv := f.Interval
	if iv <= 0 {
		iv = 60 * time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := f.Poll(ctx); err != nil {
				f.logger().Warn("vrp source poll failed; keeping previous data", "source", f.Source, "err", err)
			}
		}
	}
}

// loadGCPercent is the collector's target while a ReleaseMemory follower
// loads: the decoding garbage is short-lived, and at the default of 100 it
// would double the heap (424k VRPs: peak RSS 116 MB against 45 MB live).
const loadGCPercent = 10

func (f *Follower) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return f.Logger
}

func (f *Follower) now() time.Time {
	if f.Clock == nil {
		return time.Now()
	}
	return f.Clock()
}

// Poll fetches the source if it changed, and updates the target. It reports
// whether a new serial was created.
func (f *Follower) Poll(ctx context.Context) (bool, error) {
	if f.ReleaseMemory {
		defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	}
	body, err := f.open(ctx)
	watchChanged := f.watchChanged()
	if err != nil {
		f.expireServed()
		return false, err
	}
	if body == nil {
		if !watchChanged || f.last == nil || f.Filter == nil {
			f.expireServed()
			return false, nil
		}
		// Only the Filter's inputs changed: filter the last document again
		// (unless it has grown too old to serve meanwhile).
		if f.MaxAge > 0 && f.now().Sub(f.last.meta.BuildTime) > f.MaxAge {
			f.expireServed()
			return false, nil
		}
		return f.serve(f.last.vrps, f.last.aspas, f.last.meta, time.Now())
	}
	defer body.Close()
	now := f.now()
	t0 := time.Now() // wall time for the log only
	vrps, aspas, meta, err := vrpjson.DecodeSized(body, now, f.sizeHint)
	if err != nil {
		f.forget()
		f.expireServed()
		return false, err
	}
	if f.MaxAge > 0 {
		if meta.BuildTime.IsZero() {
			f.forget()
			return false, fmt.Errorf("%w: %s has no metadata.buildtime", ErrStale, f.Source)
		}
		if age := now.Sub(meta.BuildTime); age > f.MaxAge {
			f.forget()
			f.expireServed()
			return false, fmt.Errorf("%w: %s built %s ago (limit %s)", ErrStale, f.Source, age.Round(time.Second), f.MaxAge)
		}
	}
	if f.Filter != nil {
		f.last = &loaded{vrps, aspas, meta}
	}
	return f.serve(vrps, aspas, meta, t0)
}

// serve filters a decoded document and hands it to the target.
func (f *Follower) serve(vrps vrp.Set, aspas []vrp.ASPA, meta vrpjson.Meta, t0 time.Time) (bool, error) {
	if f.Filter != nil {
		var err error
		if vrps, aspas, err = f.Filter(vrps, aspas); err != nil {
			f.forget()
			return false, err
		}
	}
	t1 := time.Now()
	serial, changed := uint32(0), false
	if b, ok := f.Target.(BuildTimeUpdater); ok {
		serial, changed = b.UpdateBuilt(vrps, aspas, meta.BuildTime)
	} else {
		serial, changed = f.Target.Update(vrps, aspas)
	}
	f.servedBuild = meta.BuildTime
	if f.ReleaseMemory {
		debug.FreeOSMemory()
	}
	f.logger().Info("vrp source loaded", "source", f.Source, "vrps", len(vrps), "aspas", len(aspas),
		"dropped", meta.Dropped, "expired", meta.Expired, "serial", serial, "changed", changed,
		"load", t1.Sub(t0).Round(time.Millisecond), "update", time.Since(t1).Round(time.Millisecond))
	return changed, nil
}

// expireServed withdraws the served data once it is older than MaxAge and
// nothing fresher could be loaded.
func (f *Follower) expireServed() {
	if f.MaxAge <= 0 || f.servedBuild.IsZero() {
		return
	}
	if age := f.now().Sub(f.servedBuild); age > f.MaxAge {
		if w, ok := f.Target.(Withdrawer); ok {
			w.Withdraw(fmt.Sprintf("source %s: newest data built %s ago (max-age %s)", f.Source, age.Round(time.Second), f.MaxAge))
		}
		f.servedBuild = time.Time{}
	}
}

// forget drops the validators so a refused document is fetched again.
func (f *Follower) forget() { f.etag, f.lastModified, f.fileMod, f.fileSize = "", "", time.Time{}, 0 }

// open returns nil, nil when the source is unchanged since the last poll.
func (f *Follower) open(ctx context.Context) (io.ReadCloser, error) {
	if strings.HasPrefix(f.Source, "http://") || strings.HasPrefix(f.Source, "https://") {
		return f.openURL(ctx)
	}
	fh, err := os.Open(f.Source)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	if st.ModTime().Equal(f.fileMod) && st.Size() == f.fileSize {
		fh.Close()
		return nil, nil
	}
	f.fileMod, f.fileSize, f.sizeHint = st.ModTime(), st.Size(), st.Size()
	return fh, nil
}

func (f *Follower) openURL(ctx context.Context) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.Source, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	if f.etag != "" {
		req.Header.Set("If-None-Match", f.etag)
	}
	if f.lastModified != "" {
		req.Header.Set("If-Modified-Since", f.lastModified)
	}
	cl := f.Client
	if cl == nil {
		cl = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	switch resp.StatusCode {
	case http.StatusNotModified:
		resp.Body.Close()
		return nil, nil
	case http.StatusOK:
		f.etag, f.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		f.sizeHint = resp.ContentLength
		return resp.Body, nil
	default:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s: HTTP %s", ErrSource, f.Source, resp.Status)
	}
}
