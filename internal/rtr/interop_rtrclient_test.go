package rtr

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

// rtrclient -p prints "+ 192.0.2.0   24 -  24   64496" per change (with
// unsigned ASNs); the table is the fold of those lines.
var rtrclientLine = regexp.MustCompile(`(?m)^([+-])\s+(\S+)\s+(\d+)\s+-\s+(\d+)\s+(\d+)\s*$`)

func foldRtrclient(t *testing.T, out string) (string, string) {
	table := map[vrp.VRP]bool{}
	for _, m := range rtrclientLine.FindAllStringSubmatch(out, -1) {
		p, err := vrp.ParsePrefix(m[2] + "/" + m[3])
		if err != nil {
			continue
		}
		ml, _ := strconv.Atoi(m[4])
		asn, _ := strconv.ParseUint(m[5], 10, 32)
		x := vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: uint32(asn)}
		if (m[1] == "+") == table[x] {
			return "", "contradicting update " + m[0]
		}
		table[x] = m[1] == "+"
	}
	var vs []vrp.VRP
	for x, in := range table {
		if in {
			vs = append(vs, x)
		}
	}
	return normLines(vrp.NewSet(vs)), ""
}

func TestInteropRtrclient(t *testing.T) {
	testpeers.Require(t, "rtrclient", "stdbuf", "timeout")
	for _, host := range []string{"127.0.0.1", "::1"} {
		s, h, port := runServer(t, Config{}, host)
		a := interopSet(t)
		s.Update(a, nil)

		// Export mode: one full sync, written as csv.
		out := filepath.Join(t.TempDir(), "out.csv")
		cmd := exec.Command("timeout", "60", "rtrclient", "-e", "-t", "csv", "-o", out, "tcp", h, strconv.Itoa(port))
		if log, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(log), "Sync done") {
			t.Fatalf("rtrclient export: %v\n%s", err, log)
		}
		var ls []string
		for _, l := range readLines(t, out) {
			f := strings.Split(strings.ReplaceAll(l, " ", ""), ",")
			if len(f) >= 4 {
				ls = append(ls, f[0]+"/"+f[1]+" "+f[2]+" "+f[3])
			}
		}
		if got := parseTriples(t, ls); got != normLines(a) {
			t.Fatalf("%s export:\n%s\nwant\n%s", host, got, normLines(a))
		}

		// Streaming mode: full sync, then a Serial Notify leads to a Serial
		// Query whose diff makes the table equal to the new set.
		p := start(t, "stdbuf", "-oL", "rtrclient", "tcp", "-p", h, strconv.Itoa(port))
		check := func(want vrp.Set) func() string {
			return func() string {
				got, bad := foldRtrclient(t, p.out.String())
				if bad != "" {
					t.Fatalf("%s: %s", host, bad)
				}
				if got != normLines(want) {
					return "table:\n" + got + "\nwant:\n" + normLines(want)
				}
				return ""
			}
		}
		eventually(t, 30*time.Second, check(a))
		waitQueried(t, s, 1)
		b := changedSet(t, a)
		s.Update(b, nil)
		eventually(t, 30*time.Second, check(b))
		if st := s.Status(); len(st.Clients) != 1 || st.Clients[0].Version != 1 || st.Clients[0].Serial != st.Serial ||
			st.Clients[0].ResetQueries != 1 || st.Clients[0].SerialQueries < 1 {
			t.Fatalf("status %+v", st)
		}
	}
}

// waitQueried waits until n clients have been answered at the current serial
// (so an Update afterwards is announced by Serial Notify).
func waitQueried(t *testing.T, s *Server, n int) {
	t.Helper()
	eventually(t, 30*time.Second, func() string {
		st := s.Status()
		k := 0
		for _, c := range st.Clients {
			if c.HasSerial && c.Serial == st.Serial {
				k++
			}
		}
		if k < n {
			return "clients not synced"
		}
		return ""
	})
}
