package testpeers

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

// rtrClientSession follows `rtrclient tcp -p HOST PORT`, which prints one
// "+ PREFIX LEN - MAXLEN ASN" / "- ..." line per change and, on its debug
// log (same pipe, so in order), "Sync successful" after each End of Data.
// rtrlib 0.8.0 speaks RTR v1 and falls back to v0.
type rtrClientSession struct {
	p *process

	mu      sync.Mutex
	table   map[vrp.VRP]bool
	synced  bool
	err     error         // first malformed line
	changed chan struct{} // closed and replaced on every state change
}

// StartRTRClient starts rtrlib's rtrclient (rtr-tools) in streaming mode
// against host:port (loopback only) and keeps its table from the printed
// changes. stdbuf -oL makes rtrclient flush each line.
func StartRTRClient(t testing.TB, host string, port int) RTRSession {
	t.Helper()
	Require(t, "rtrclient", "stdbuf")
	checkLoopbackHost(t, host)
	s := &rtrClientSession{table: map[vrp.VRP]bool{}, changed: make(chan struct{})}
	s.p = startProcessLines(t, filepath.Join(t.TempDir(), "rtrclient.log"), nil, s.onLine,
		"stdbuf", "-oL", "rtrclient", "tcp", "-p", host, strconv.Itoa(port))
	return s
}

func (s *rtrClientSession) onLine(line string) {
	c, ok, err := ParseRTRClientLine(line)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		if s.err == nil {
			s.err = err
		}
	case ok && c.Add:
		s.table[c.VRP] = true
	case ok:
		delete(s.table, c.VRP)
	case strings.Contains(line, "RTR Socket: Sync successful"):
		s.synced = true
	default:
		return
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *rtrClientSession) snapshot(ctx context.Context) ([]vrp.VRP, error) {
	for {
		s.mu.Lock()
		synced, err, changed := s.synced, s.err, s.changed
		var vs []vrp.VRP
		if synced && err == nil {
			vs = make([]vrp.VRP, 0, len(s.table))
			for v := range s.table {
				vs = append(vs, v)
			}
		}
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if synced {
			return []vrp.VRP(vrp.NewSet(vs)), nil
		}
		if s.p.exited() {
			return nil, fmt.Errorf("%w: rtrclient exited before End of Data: %v\n%s", ErrFailed, s.p.err, s.p.tail(2000))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: rtrclient not synced: %v\n%s", ErrTimeout, ctx.Err(), s.p.tail(2000))
		case <-changed:
		case <-s.p.done:
		}
	}
}

func (s *rtrClientSession) Table() ([]vrp.VRP, error) {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	return s.snapshot(ctx)
}

func (s *rtrClientSession) WaitFor(ctx context.Context, want []vrp.VRP) error {
	return waitForTable(ctx, s.snapshot, want)
}

func (s *rtrClientSession) Close() { s.p.stop() }
