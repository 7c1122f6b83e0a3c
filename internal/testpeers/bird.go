package testpeers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// birdSession is BIRD 2 with one `protocol rpki` (RTR v1, falls back to v0),
// queried through birdc on its own control socket.
type birdSession struct {
	p    *process
	ctl  string
	wrap []string // command prefix of birdc (the trixie chroot for BIRD 2.17)

	mu     sync.Mutex
	synced bool
}

// birdConf is a minimal BIRD 2 config: a router id is required because
// loopback gives no usable interface address; `debug all` would log every
// PDU, far too slow for big tables.
const birdConf = `router id 192.0.2.254;
log "%s" all;
roa4 table r4;
roa6 table r6;
protocol rpki rtr1 {
  debug { states, events };
  roa4 { table r4; };
  roa6 { table r6; };
  remote %s port %d;
  retry keep 5;
  refresh keep 30;
  expire keep 600;
}
`

// StartBIRDRTR starts `bird -f` with an RTR session to host:port (loopback
// only). Table reads r4 and r6 with `birdc show route table`.
func StartBIRDRTR(t testing.TB, host string, port int) RTRSession {
	t.Helper()
	Require(t, "bird", "birdc")
	checkLoopbackHost(t, host)
	// A short directory: the control socket path must fit sockaddr_un (108 bytes).
	dir := traversableDir(t, "testpeers-bird-")
	conf := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(birdConf, filepath.Join(dir, "bird.log"), host, port)), 0o644); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	s := &birdSession{ctl: filepath.Join(dir, "bird.ctl")}
	s.p = startProcess(t, filepath.Join(dir, "stdout.log"), nil, "bird", "-f", "-c", conf, "-s", s.ctl, "-P", filepath.Join(dir, "bird.pid"))
	return s
}

// birdc runs one birdc command; birdc exits non-zero when it cannot connect.
func (s *birdSession) birdc(ctx context.Context, args ...string) (string, error) {
	argv := append(append(slices.Clone(s.wrap), "birdc", "-s", s.ctl), args...)
	res, err := runCommand(ctx, nil, argv[0], argv[1:]...)
	if err != nil {
		return "", err
	}
	out := string(res.output)
	if res.exitCode != 0 {
		return out, fmt.Errorf("birdc %s: exit %d: %s", strings.Join(args, " "), res.exitCode, tailString(out, 500))
	}
	return out, nil
}

func (s *birdSession) snapshot(ctx context.Context) ([]vrp.VRP, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.synced {
		err := poll(ctx, 50*time.Millisecond, func() (bool, error) {
			if s.p.exited() {
				return false, fmt.Errorf("%w: bird exited: %v\n%s", ErrFailed, s.p.err, s.p.tail(2000))
			}
			out, err := s.birdc(ctx, "show", "protocols", "rtr1")
			return err == nil && strings.Contains(out, "Established"), nil
		})
		if err != nil {
			return nil, fmt.Errorf("bird RTR session not Established: %w", err)
		}
		s.synced = true
	}
	all := []vrp.VRP{}
	for _, table := range []string{"r4", "r6"} {
		out, err := s.birdc(ctx, "show", "route", "table", table)
		if err != nil {
			return nil, err
		}
		vs, err := ParseBirdROATable(out)
		if err != nil {
			return nil, err
		}
		all = append(all, vs...)
	}
	return []vrp.VRP(vrp.NewSet(all)), nil
}

func (s *birdSession) Table() ([]vrp.VRP, error) {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	return s.snapshot(ctx)
}

func (s *birdSession) WaitFor(ctx context.Context, want []vrp.VRP) error {
	return waitForTable(ctx, s.snapshot, want)
}

func (s *birdSession) Close() { s.p.stop() }
