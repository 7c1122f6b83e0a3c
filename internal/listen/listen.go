// Package listen binds road's network listeners (the REST API's HTTP(S),
// the RRDP HTTPS and RTR) and serves them with bounded resources. Every
// listener of a Set is bound, its TLS material loaded, before any of them
// serves: once one answers, all accept connections (Bound). HTTP(S) servers
// get header, read, write and idle timeouts, a header size bound and an
// access log; RTR bounds its connections itself (internal/rtr).
package listen

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPLimits bound what one HTTP(S) connection may cost. Zero values take
// the defaults of DefaultHTTPLimits.
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration // a request's header; also the TLS handshake
	ReadTimeout       time.Duration // a whole request, body included
	WriteTimeout      time.Duration // from the end of the header to the end of the response
	IdleTimeout       time.Duration // a keep-alive connection between requests
	MaxHeaderBytes    int
}

// DefaultHTTPLimits: a write timeout that lets a slow but honest relying
// party fetch a large RRDP snapshot, and headers a bearer token fits in.
func DefaultHTTPLimits() HTTPLimits {
	return HTTPLimits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10}
}

func (l HTTPLimits) normalized() HTTPLimits {
	d := DefaultHTTPLimits()
	return HTTPLimits{ReadHeaderTimeout: cmp.Or(l.ReadHeaderTimeout, d.ReadHeaderTimeout), ReadTimeout: cmp.Or(l.ReadTimeout, d.ReadTimeout),
		WriteTimeout: cmp.Or(l.WriteTimeout, d.WriteTimeout), IdleTimeout: cmp.Or(l.IdleTimeout, d.IdleTimeout),
		MaxHeaderBytes: cmp.Or(l.MaxHeaderBytes, d.MaxHeaderBytes)}
}

// Access configures the access log: one line per request at Level on Log;
// a nil Log turns it off.
type Access struct {
	Log   *slog.Logger
	Level slog.Level
}

// Set is a group of listeners bound together and served together.
type Set struct {
	log   *slog.Logger
	items []*item
	bound chan struct{}
}

type item struct {
	name, addr string
	tls        *tls.Config // nil: plain
	http       *http.Server
	stream     func(context.Context, net.Listener) error // non-HTTP (RTR)
	ln         net.Listener
}

// New returns an empty Set; log (nil: discard) gets the servers' errors.
func New(log *slog.Logger) *Set {
	return &Set{log: cmp.Or(log, slog.New(slog.DiscardHandler)), bound: make(chan struct{})}
}

// HTTP adds an HTTP server for h on addr, over TLS when tlsCfg is set.
func (s *Set) HTTP(name, addr string, h http.Handler, tlsCfg *tls.Config, lim HTTPLimits, access Access) {
	lim = lim.normalized()
	if access.Log != nil {
		h = accessLog(name, access, h)
	}
	srv := &http.Server{Handler: h, TLSConfig: tlsCfg.Clone(), ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout: lim.ReadTimeout, WriteTimeout: lim.WriteTimeout, IdleTimeout: lim.IdleTimeout,
		MaxHeaderBytes: lim.MaxHeaderBytes, ErrorLog: slog.NewLogLogger(s.log.With("listener", name).Handler(), slog.LevelDebug)}
	s.items = append(s.items, &item{name: name, addr: addr, tls: srv.TLSConfig, http: srv}) // a clone: net/http adds to it
}

// Stream adds a server that takes the bound listener (wrapped in TLS when
// tlsCfg is set) and serves it until ctx ends.
func (s *Set) Stream(name, addr string, tlsCfg *tls.Config, serve func(context.Context, net.Listener) error) {
	s.items = append(s.items, &item{name: name, addr: addr, tls: tlsCfg, stream: serve})
}

// Bind binds every listener. On an error the ones bound are closed again.
// After it, Bound is closed.
func (s *Set) Bind() error {
	for _, it := range s.items {
		ln, err := net.Listen("tcp", it.addr)
		if err != nil {
			s.closeAll()
			return fmt.Errorf("%s listen %s: %w", it.name, it.addr, err)
		}
		it.ln = ln
	}
	close(s.bound)
	return nil
}

// Close releases the listeners of a Set that was bound but will not serve.
func (s *Set) Close() { s.closeAll() }

func (s *Set) closeAll() {
	for _, it := range s.items {
		if it.ln != nil {
			it.ln.Close()
			it.ln = nil
		}
	}
}

// Bound is closed once every listener of the Set is bound: connections
// are then accepted (queued until Serve takes them) on all of them.
func (s *Set) Bound() <-chan struct{} { return s.bound }

// IsBound reports whether Bind has succeeded.
func (s *Set) IsBound() bool {
	select {
	case <-s.bound:
		return true
	default:
		return false
	}
}

// Addr is the bound address of the named listener (nil before Bind or
// when there is none): the port chosen for ":0".
func (s *Set) Addr(name string) net.Addr {
	for _, it := range s.items {
		if it.name == name && it.ln != nil {
			return it.ln.Addr()
		}
	}
	return nil
}

// ShutdownGrace is how long Serve lets requests in progress finish.
const ShutdownGrace = 5 * time.Second

// Serve serves every bound listener until ctx ends or one fails, then
// shuts all of them down (HTTP requests in progress get ShutdownGrace) and
// returns the first failure.
func (s *Set) Serve(ctx context.Context) error {
	if !s.IsBound() {
		return errors.New("listen: Serve before Bind")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(s.items))
	var wg sync.WaitGroup
	for _, it := range s.items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := it.serve(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", it.name, err)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer scancel()
	for _, it := range s.items {
		if it.http != nil && it.http.Shutdown(sctx) != nil {
			it.http.Close()
		}
	}
	wg.Wait()
	s.closeAll() // a server shut down before it began serving leaves its listener open
	return err
}

func (it *item) serve(ctx context.Context) error {
	if it.http != nil {
		if it.tls != nil {
			return it.http.ServeTLS(it.ln, "", "") // the certificates are in TLSConfig
		}
		return it.http.Serve(it.ln)
	}
	ln := it.ln
	if it.tls != nil {
		ln = tls.NewListener(ln, it.tls)
	}
	return it.stream(ctx, ln)
}
