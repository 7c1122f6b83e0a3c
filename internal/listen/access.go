package listen

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// accessLog logs one line per request: the listener, method, path, status,
// bytes of the response body, duration and remote address. Headers are
// never logged (the Authorization header carries the admin token), nor is
// the query string.
func accessLog(name string, a Access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.Log.Enabled(r.Context(), a.Level) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now() // I/O time, not the logic clock
		rec := &recorder{ResponseWriter: w}
		defer func() {
			level := a.Level
			if probe(r, rec.statusCode()) {
				level = min(level, slog.LevelDebug) // a monitor polling every few seconds would drown the log
			}
			if !a.Log.Enabled(r.Context(), level) {
				return
			}
			a.Log.LogAttrs(r.Context(), level, "http request", slog.String("listener", name),
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.statusCode()),
				slog.Int64("bytes", rec.bytes), slog.Duration("duration", time.Since(start)), slog.String("remote", r.RemoteAddr))
		}()
		next.ServeHTTP(rec, r)
	})
}

// probe: a successful health check or metrics scrape.
func probe(r *http.Request, status int) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return r.Method == http.MethodGet && status < 400
	}
	return false
}

// recorder notes the status and counts the body bytes of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK // nothing written: net/http answers 200
	}
	return r.status
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom keeps the server's sendfile path for files (RRDP snapshots).
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{r.ResponseWriter}, src)
	}
	r.bytes += n
	return n, err
}

// writerOnly hides ReadFrom so io.Copy does not loop back into it.
type writerOnly struct{ io.Writer }

// Flush passes flushes on (streamed JSON).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
