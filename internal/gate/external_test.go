package gate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExternalRelyingParty: a configured external relying party must agree
// with the configured ROAs; one that disagrees, fails, is missing or does
// not finish in time refuses the publication, and the live repository
// stays as it was.
func TestExternalRelyingParty(t *testing.T) {
	dir := t.TempDir()
	agree := filepath.Join(dir, "agree.json")
	if err := os.WriteFile(agree, []byte(`{"roas":[{"asn":"AS64496","prefix":"2001:db8::/48","maxLength":48,"ta":"road"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		command []string
		want    string // the first finding, "" for none
	}{
		{"agrees, VRPs in {out}/json", []string{"sh", "-c", `test -s "$1" && test -d "$2/127.0.0.1:8873/repo/ca" && cp "$3" "$4/json"`,
			"sh", "{tal}", "{cache}", agree, "{out}"}, ""},
		{"agrees, VRPs on its output", []string{"cat", agree}, ""},
		{"disagrees", []string{"echo", `{"roas":[]}`},
			"gate-external-missing 2001:db8::/48 => AS64496: configured, but the external relying party (echo) does not validate it from the staged tree at 2026-11-22T12:00:00Z"},
		{"fails", []string{"sh", "-c", "echo broken >&2; exit 3"},
			`gate-external-error sh: exit status 3 (stderr: "broken")`},
		{"missing", []string{filepath.Join(dir, "no-such-rp")},
			"gate-external-error " + filepath.Join(dir, "no-such-rp") + ": fork/exec " + filepath.Join(dir, "no-such-rp") + ": no such file or directory (stderr: \"\")"},
		{"too slow", []string{"sleep", "30"},
			"gate-external-error sleep: did not finish within the gate timeout 2s: context deadline exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := defaults()
			p.GateCommand, p.GateTimeout = tc.command, 2*time.Second
			f := newFixture(t, "", p)
			f.change(roas(0, 1), nil)
			ctx := context.Background()
			before := liveFiles(t, f.dir)
			err := f.publish(ctx)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("publish: %v", err)
				}
				return
			}
			r := refusalOf(t, err, "gate", strings.Fields(tc.want)[0])
			if got := r.Findings[0].String(); got != tc.want {
				t.Errorf("finding %q\nwant %q", got, tc.want)
			}
			if d := sameFiles(before, liveFiles(t, f.dir)); d != "" {
				t.Errorf("live repository changed: %s", d)
			}
		})
	}
}
