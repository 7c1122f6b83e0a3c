package testpeers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
	"github.com/roadrpki/road/internal/vrp"
)

// bird217Conf adds an ASPA table to birdConf: BIRD 2.17 speaks RTR v2
// (draft-ietf-sidrops-8210bis) and keeps the ASPAs in an `aspa table`.
const bird217Conf = `router id 192.0.2.254;
log "%s" all;
roa4 table r4;
roa6 table r6;
aspa table at;
protocol rpki rtr1 {
  debug { states, events };
  roa4 { table r4; };
  roa6 { table r6; };
  aspa { table at; };
  remote %s port %d;
  retry keep 5;
  refresh keep 30;
  expire keep 600;
}
`

// BIRD217Session is BIRD 2.17 from the Debian 13 chroot, with ASPAs.
type BIRD217Session struct{ *birdSession }

// TrixieScript is the Debian 13 peers' chroot runner: $ROAD_TRIXIE, else
// shared/peers/trixie.sh (testshared.Peers). Missing: a skip, or a failure
// under CI=true.
func TrixieScript(t testing.TB) string {
	t.Helper()
	p := os.Getenv("ROAD_TRIXIE")
	if p == "" {
		return testshared.Peers(t, "trixie.sh")
	}
	if _, err := os.Stat(p); err != nil {
		testshared.Missing(t, "testpeers: no trixie.sh at $ROAD_TRIXIE=%q", p)
	}
	return p
}

// StartBIRD217RTR starts BIRD 2.17 (`bird -f` inside the chroot, which
// shares the host's loopback and /tmp) with an RTR v2 session to host:port.
func StartBIRD217RTR(t testing.TB, host string, port int) *BIRD217Session {
	t.Helper()
	trixie := TrixieScript(t)
	checkLoopbackHost(t, host)
	dir := traversableDir(t, "testpeers-bird217-")
	conf := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(bird217Conf, filepath.Join(dir, "bird.log"), host, port)), 0o644); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	s := &birdSession{ctl: filepath.Join(dir, "bird.ctl"), wrap: []string{"bash", trixie, "run"}}
	s.p = startProcess(t, filepath.Join(dir, "stdout.log"), nil, "bash", trixie, "run", "bird", "-f", "-c", conf, "-s", s.ctl,
		"-P", filepath.Join(dir, "bird.pid"))
	return &BIRD217Session{s}
}

// ASPAs reads the ASPA table.
func (s *BIRD217Session) ASPAs(ctx context.Context) ([]vrp.ASPA, error) {
	if _, err := s.snapshot(ctx); err != nil { // waits for the session
		return nil, err
	}
	out, err := s.birdc(ctx, "show", "route", "table", "at", "all")
	if err != nil {
		return nil, err
	}
	return ParseBirdASPATable(out)
}

// WaitForASPAs polls the ASPA table until it equals want (normalized).
func (s *BIRD217Session) WaitForASPAs(ctx context.Context, want []vrp.ASPA) error {
	want = vrp.NormalizeASPAs(want)
	var got []vrp.ASPA
	err := poll(ctx, 200*time.Millisecond, func() (bool, error) {
		var err error
		got, err = s.ASPAs(ctx)
		return err == nil && len(got) == len(want) && equalASPAs(got, want), err
	})
	if err != nil {
		return fmt.Errorf("bird ASPA table %v, want %v: %w", got, want, err)
	}
	return nil
}

func equalASPAs(a, b []vrp.ASPA) bool {
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// ParseBirdASPATable parses `birdc show route table T all` of an aspa table:
// a line per customer ("64500   [rtr1 ...] * (100)") followed by
// "aspa_providers: 64501 64502". Sorted by customer.
func ParseBirdASPATable(out string) ([]vrp.ASPA, error) {
	var all []vrp.ASPA
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "aspa_providers:":
			if len(all) == 0 {
				return nil, fmt.Errorf("%w: providers before a customer: %q", ErrParse, line)
			}
			for _, p := range f[1:] {
				n, err := strconv.ParseUint(p, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("%w: provider %q", ErrParse, p)
				}
				all[len(all)-1].Providers = append(all[len(all)-1].Providers, uint32(n))
			}
		case len(f) > 1 && strings.HasPrefix(f[1], "["):
			n, err := strconv.ParseUint(f[0], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%w: customer %q", ErrParse, f[0])
			}
			all = append(all, vrp.ASPA{Customer: uint32(n)})
		}
	}
	return vrp.NormalizeASPAs(all), nil
}
