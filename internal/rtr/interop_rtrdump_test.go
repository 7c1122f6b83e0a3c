package rtr

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/roadrpki/road/internal/testpeers"
	"github.com/roadrpki/road/internal/vrp"
)

var pduLog = regexp.MustCompile(`PDU IPv[46] Prefix v\d (\S+)\(->/(\d+)\), origin: AS(\d+), flags: (\d)`)

type rtrdumpOut struct {
	ROAs []struct {
		Prefix    string `json:"prefix"`
		MaxLength int    `json:"maxLength"`
		ASN       any    `json:"asn"`
	} `json:"roas"`
}

func rtrdump(t *testing.T, addr string, version int, extra ...string) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.json")
	args := append([]string{"-connect", addr, "-rtr.version", strconv.Itoa(version), "-file", out}, extra...)
	log, err := exec.Command("rtrdump", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rtrdump %v: %v\n%s", args, err, log)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("rtrdump wrote nothing: %v\n%s", err, log)
	}
	var d rtrdumpOut
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var ls []string
	for _, r := range d.ROAs {
		ls = append(ls, r.Prefix+" "+strconv.Itoa(r.MaxLength)+" "+jsonASN(r.ASN))
	}
	return parseTriples(t, ls), string(log)
}

func jsonASN(a any) string {
	switch x := a.(type) {
	case float64:
		return strconv.FormatUint(uint64(x), 10)
	case string:
		return x
	}
	return "?"
}

func TestInteropRtrdump(t *testing.T) {
	testpeers.Require(t, "rtrdump")
	for _, host := range []string{"127.0.0.1", "::1"} {
		s, h, port := runServer(t, Config{}, host)
		addr := net.JoinHostPort(h, strconv.Itoa(port))
		a := interopSet(t)
		s.Update(a, nil)
		for v := 0; v <= 2; v++ {
			got, log := rtrdump(t, addr, v)
			if got != normLines(a) {
				t.Fatalf("%s v%d full sync:\n%s\nwant\n%s\nlog %s", host, v, got, normLines(a), log)
			}
		}
		serial := s.Status().Serial
		b := changedSet(t, a)
		s.Update(b, nil)
		for v := 0; v <= 2; v++ {
			// A Serial Query from the old serial: rtrdump prints the diff's
			// announcements (withdrawals are applied to its empty table).
			_, log := rtrdump(t, addr, v, "-serial", "-serial.value", strconv.Itoa(int(serial)),
				"-session.id", strconv.Itoa(int(s.Sessions()[v])), "-loglevel", "debug", "-datapdu")
			// Apply the logged announce/withdraw PDUs to the old table as a
			// router would; both must be exact (no duplicate, no unknown).
			table := map[vrp.VRP]bool{}
			for _, x := range a {
				table[x] = true
			}
			for _, m := range pduLog.FindAllStringSubmatch(log, -1) {
				p, _ := vrp.ParsePrefix(m[1])
				ml, _ := strconv.Atoi(m[2])
				asn, _ := strconv.ParseUint(m[3], 10, 32)
				x := vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: uint32(asn)}
				if (m[4] == "1") == table[x] {
					t.Fatalf("%s v%d: PDU %v flags %s contradicts the table\n%s", host, v, x, m[4], log)
				}
				table[x] = m[4] == "1"
			}
			var after []vrp.VRP
			for x, in := range table {
				if in {
					after = append(after, x)
				}
			}
			if normLines(vrp.NewSet(after)) != normLines(b) {
				t.Fatalf("%s v%d: table after serial query\n%s\nwant\n%s\nlog %s", host, v, normLines(vrp.NewSet(after)), normLines(b), log)
			}
			if got, _ := rtrdump(t, addr, v); got != normLines(b) {
				t.Fatalf("%s v%d after change: %s", host, v, got)
			}
		}
	}
}
