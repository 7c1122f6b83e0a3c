package rtr

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// TestInteropBIRD runs BIRD 2 with `protocol rpki` (RTR v1, falling back to
// v0) against the server: full table, then one VRP added and one withdrawn
// reach it through Serial Notify + Serial Query.
func TestInteropBIRD(t *testing.T) {
	testpeers.Require(t, "bird", "birdc")
	s, h, port := runServer(t, Config{}, "127.0.0.1")
	a := interopSet(t)
	s.Update(a, nil)
	dir := t.TempDir()
	conf := fmt.Sprintf(`router id 192.0.2.254;
log "%s/bird.log" all;
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
`, dir, h, port)
	if err := os.WriteFile(filepath.Join(dir, "bird.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl := filepath.Join(dir, "bird.ctl")
	start(t, "bird", "-f", "-c", filepath.Join(dir, "bird.conf"), "-s", ctl, "-P", filepath.Join(dir, "bird.pid"))
	birdc := func(args ...string) string {
		out, _ := exec.Command("birdc", append([]string{"-s", ctl}, args...)...).CombinedOutput()
		return string(out)
	}
	table := func() string {
		var ls []string
		for _, tb := range []string{"r4", "r6"} {
			for _, l := range strings.Split(birdc("show", "route", "table", tb), "\n") {
				// "198.51.100.0/22-24 AS64497  [rtr1 09:36:23.189] * (100)"
				f := strings.Fields(l)
				if len(f) < 2 || !strings.HasPrefix(f[1], "AS") {
					continue
				}
				i := strings.LastIndex(f[0], "-")
				if i < 0 {
					continue
				}
				ls = append(ls, f[0][:i]+" "+f[0][i+1:]+" "+f[1])
			}
		}
		return parseTriples(t, ls)
	}
	want := func(w vrp.Set) func() string {
		return func() string {
			if !strings.Contains(birdc("show", "protocols", "rtr1"), "Established") {
				return "not established"
			}
			if got := table(); got != normLines(w) {
				return "table:\n" + got + "\nwant:\n" + normLines(w)
			}
			return ""
		}
	}
	eventually(t, 60*time.Second, want(a))
	waitQueried(t, s, 1)
	b := changedSet(t, a)
	s.Update(b, nil)
	eventually(t, 60*time.Second, want(b))
	// BIRD must hold the new serial: it got there by Serial Query, not a reset.
	info := birdc("show", "protocols", "all", "rtr1")
	if !regexp.MustCompile(fmt.Sprintf(`Serial number:\s+%d\b`, s.Status().Serial)).MatchString(info) {
		t.Fatalf("bird serial:\n%s", info)
	}
	if st := s.Status(); len(st.Clients) != 1 || st.Clients[0].SerialQueries < 1 || st.Clients[0].ResetQueries != 1 {
		t.Fatal("BIRD never sent a Serial Query")
	}
	birdc("down")
}
