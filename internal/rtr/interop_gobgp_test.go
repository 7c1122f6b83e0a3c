package rtr

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestInteropGoBGP runs gobgpd (RTR v0 only, RFC 6810) with one
// [[rpki-servers]] entry: full table, then a change through Serial Query.
func TestInteropGoBGP(t *testing.T) {
	testpeers.Require(t, "gobgpd", "gobgp")
	s, h, port := runServer(t, Config{}, "127.0.0.1")
	a := interopSet(t)
	s.Update(a, nil)
	dir := t.TempDir()
	api := strconv.Itoa(freePort(t))
	conf := fmt.Sprintf(`[global.config]
  as = 64510
  router-id = "192.0.2.253"
  port = -1
[[rpki-servers]]
  [rpki-servers.config]
    address = "%s"
    port = %d
`, h, port)
	if err := os.WriteFile(filepath.Join(dir, "gobgpd.toml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, "gobgpd", "-f", filepath.Join(dir, "gobgpd.toml"), "-p", "--api-hosts", "127.0.0.1:"+api, "--pprof-disable")
	gobgp := func(args ...string) string {
		out, _ := exec.Command("gobgp", append([]string{"-u", "127.0.0.1", "-p", api}, args...)...).CombinedOutput()
		return string(out)
	}
	table := func() string {
		var ls []string
		for _, fam := range []string{"ipv4", "ipv6"} {
			// "192.0.2.0/24       24     64496      127.0.0.1:18323"
			for _, l := range strings.Split(gobgp("rpki", "-a", fam, "table"), "\n") {
				if f := strings.Fields(l); len(f) >= 3 && strings.Contains(f[0], "/") {
					ls = append(ls, f[0]+" "+f[1]+" "+f[2])
				}
			}
		}
		return parseTriples(t, ls)
	}
	want := func(w vrp.Set) func() string {
		return func() string {
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
	st := s.Status()
	if len(st.Clients) != 1 || st.Clients[0].Version != 0 || st.Clients[0].SerialQueries < 1 {
		t.Fatalf("gobgp must speak v0 and use a Serial Query: %+v", st.Clients)
	}
}
