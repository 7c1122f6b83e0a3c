package testpeers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// goBGPSession is gobgpd (RTR v0 only, RFC 6810) with one [[rpki-servers]]
// entry, queried with the gobgp CLI on a private gRPC port.
type goBGPSession struct {
	p       *process
	apiPort int
	host    string

	mu     sync.Mutex
	synced bool
}

// goBGPRTRConf disables the BGP listener (port = -1): only the RTR client runs.
const goBGPRTRConf = `[global.config]
  as = 64510
  router-id = "192.0.2.253"
  port = -1
[[rpki-servers]]
  [rpki-servers.config]
    address = %q
    port = %d
`

// StartGoBGPRTR starts gobgpd as an RTR client of host:port (loopback only),
// its gRPC API on a free 127.0.0.1 port. Table uses `gobgp rpki table`.
func StartGoBGPRTR(t testing.TB, host string, port int) RTRSession {
	t.Helper()
	Require(t, "gobgpd", "gobgp")
	checkLoopbackHost(t, host)
	dir := t.TempDir()
	conf := filepath.Join(dir, "gobgpd.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(goBGPRTRConf, host, port)), 0o644); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	s := &goBGPSession{apiPort: FreePort(t), host: host}
	s.p = startGoBGPD(t, dir, conf, s.apiPort)
	return s
}

// startGoBGPD runs gobgpd with the API bound to 127.0.0.1:apiPort (default
// would be :50051 on all addresses) and pprof off (default localhost:6060).
func startGoBGPD(t testing.TB, dir, conf string, apiPort int) *process {
	t.Helper()
	return startProcess(t, filepath.Join(dir, "gobgpd.log"), nil, "gobgpd",
		"-f", conf, "-p", "--api-hosts", "127.0.0.1:"+strconv.Itoa(apiPort), "--pprof-disable")
}

// goBGPCLI runs one gobgp CLI command against the API port.
func goBGPCLI(ctx context.Context, apiPort int, args ...string) (string, error) {
	res, err := runCommand(ctx, nil, "gobgp", append([]string{"-u", "127.0.0.1", "-p", strconv.Itoa(apiPort)}, args...)...)
	if err != nil {
		return "", err
	}
	out := string(res.output)
	if res.exitCode != 0 {
		return out, fmt.Errorf("gobgp %s: exit %d: %s", strings.Join(args, " "), res.exitCode, tailString(out, 500))
	}
	return out, nil
}

var endOfDataRE = regexp.MustCompile(`(?m)^\s*EndOfData:\s+([0-9]+)\s*$`)

func (s *goBGPSession) snapshot(ctx context.Context) ([]vrp.VRP, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.synced {
		err := poll(ctx, 100*time.Millisecond, func() (bool, error) {
			if s.p.exited() {
				return false, fmt.Errorf("%w: gobgpd exited: %v\n%s", ErrFailed, s.p.err, s.p.tail(2000))
			}
			out, err := goBGPCLI(ctx, s.apiPort, "rpki", "server", s.host)
			if err != nil {
				return false, nil // API not up yet
			}
			m := endOfDataRE.FindStringSubmatch(out)
			return m != nil && m[1] != "0", nil
		})
		if err != nil {
			return nil, fmt.Errorf("gobgpd RTR session saw no End of Data: %w", err)
		}
		s.synced = true
	}
	all := []vrp.VRP{}
	for _, family := range []string{"ipv4", "ipv6"} {
		out, err := goBGPCLI(ctx, s.apiPort, "rpki", "-a", family, "table")
		if err != nil {
			return nil, err
		}
		vs, err := ParseGoBGPRPKITable(out)
		if err != nil {
			return nil, err
		}
		all = append(all, vs...)
	}
	return []vrp.VRP(vrp.NewSet(all)), nil
}

func (s *goBGPSession) Table() ([]vrp.VRP, error) {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	return s.snapshot(ctx)
}

func (s *goBGPSession) WaitFor(ctx context.Context, want []vrp.VRP) error {
	return waitForTable(ctx, s.snapshot, want)
}

func (s *goBGPSession) Close() { s.p.stop() }

// GoBGPDPeerConfig is a gobgpd TOML configuration for a peer that connects
// from 127.0.0.1 as AS64501 (router id 192.0.2.2, no listener of its own) to
// a BGP speaker of AS64500 at 127.0.0.1:port, with IPv4 and IPv6 unicast.
// Routes are then added with `gobgp -p API global rib add`.
func GoBGPDPeerConfig(port int) string {
	return fmt.Sprintf(`[global.config]
  as = 64501
  router-id = "192.0.2.2"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = 64500
  [neighbors.timers.config]
    connect-retry = 1
  [neighbors.transport.config]
    remote-port = %d
    local-address = "127.0.0.1"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`, port)
}
