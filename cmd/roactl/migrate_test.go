package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/proposal"
)

// migrateBackend holds road's default testbed resources and five ROAs.
type migrateBackend struct {
	api.Backend
	roas []proposal.ROAEntry
}

func (b *migrateBackend) Status(context.Context) (*api.Status, error) {
	return &api.Status{CA: api.CAStatus{Mode: "testbed", Resources: []string{"192.0.2.0/24", "198.51.100.0/24",
		"203.0.113.0/24", "2001:db8::/32", "AS64496-AS64511"}}}, nil
}

func (b *migrateBackend) ROAs(context.Context) ([]proposal.ROAEntry, error) { return b.roas, nil }

func roaEntry(prefix string, ml int, asn uint32) proposal.ROAEntry {
	return proposal.ROAEntry{ROA: proposal.ROA{Prefix: prefix, MaxLength: ml, ASN: asn}, State: "published"}
}

func migrateServer(t *testing.T, roas []proposal.ROAEntry) func(string) string {
	t.Helper()
	r := chi.NewRouter()
	api.NewServer(&migrateBackend{roas: roas}, realTokens(t, "tok", nil), nil).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return func(k string) string { return map[string]string{"ROAD_SERVER": srv.URL, "ROAD_TOKEN": "tok"}[k] }
}

const migrateCSV = `ASN,IP Prefix,Max Length,Trust Anchor,Expires
AS64496,192.0.2.0/24,24,ripe,1767225600
AS64496,192.0.2.0/25,25,ripe,1767225600
AS64497,198.51.100.0/24,24,ripe,1767225600
AS64498,198.51.100.128/25,25,ripe,1767225600
AS64499,203.0.113.0/24,24,ripe,1767225600
AS64496,2001:db8::/32,48,ripe,1767225600
AS65000,10.0.0.0/8,8,ripe,1767225600
`

func TestMigrateCheck(t *testing.T) {
	env := migrateServer(t, []proposal.ROAEntry{roaEntry("192.0.2.0/24", 25, 64496), roaEntry("198.51.100.0/24", 0, 64497),
		roaEntry("198.51.100.128/25", 25, 64500), roaEntry("2001:db8::/32", 40, 64496), roaEntry("2001:db8:1::/48", 48, 64501)})
	file := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(file, []byte(migrateCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(env, "ca", "migrate-check", file)
	expect(t, res, 5, `export: 7 VRPs (csv), 1 outside road's resources, 6 compared
road: 5 configured ROAs; 1 VRPs in both
CHANGE     PREFIX             TODAY                         ROAD                          ROUTES LOSE VRP
maxlength  192.0.2.0/24       192.0.2.0/24 => AS64496       192.0.2.0/24-25 => AS64496    no
disappear  192.0.2.0/25       192.0.2.0/25 => AS64496       -                             no
origin     198.51.100.128/25  198.51.100.128/25 => AS64498  198.51.100.128/25 => AS64500  YES
disappear  203.0.113.0/24     203.0.113.0/24 => AS64499     -                             YES
maxlength  2001:db8::/32      2001:db8::/32-48 => AS64496   2001:db8::/32-40 => AS64496   YES
appear     2001:db8:1::/48    -                             2001:db8:1::/48 => AS64501    no
`)
	if want := "roactl: 3 VRP(s) published today would disappear or narrow: their routes would lose their VRP once the hosted CA is revoked; add them to road first\n"; res.stderr != want {
		t.Errorf("stderr %q, want %q", res.stderr, want)
	}
	expect(t, runCLI(env, "ca", "migrate-check", file, "-o", "json"), 5, `{"held":["192.0.2.0/24","198.51.100.0/24","203.0.113.0/24","2001:db8::/32"],`+
		`"export":{"format":"csv","vrps":7,"dropped":0,"outside":1,"compared":6},"configured":5,"unchanged":1,"lost":3,"changes":[`+
		`{"kind":"maxlength","prefix":"192.0.2.0/24","today":["192.0.2.0/24 => AS64496"],"road":["192.0.2.0/24-25 => AS64496"],"lost":false},`+
		`{"kind":"disappear","prefix":"192.0.2.0/25","today":["192.0.2.0/25 => AS64496"],"road":[],"lost":false},`+
		`{"kind":"origin","prefix":"198.51.100.128/25","today":["198.51.100.128/25 => AS64498"],"road":["198.51.100.128/25 => AS64500"],"lost":true},`+
		`{"kind":"disappear","prefix":"203.0.113.0/24","today":["203.0.113.0/24 => AS64499"],"road":[],"lost":true},`+
		`{"kind":"maxlength","prefix":"2001:db8::/32","today":["2001:db8::/32-48 => AS64496"],"road":["2001:db8::/32-40 => AS64496"],"lost":true},`+
		`{"kind":"appear","prefix":"2001:db8:1::/48","today":[],"road":["2001:db8:1::/48 => AS64501"],"lost":false}]}`+"\n")
}

// TestMigrateCheckClean: road covers everything the export has (one VRP
// more): exit 0; the export read from stdin as rpki-client JSON.
func TestMigrateCheckClean(t *testing.T) {
	env := migrateServer(t, []proposal.ROAEntry{roaEntry("192.0.2.0/24", 0, 64496), roaEntry("2001:db8::/32", 48, 64496)})
	json := `{"metadata":{"buildtime":"2026-12-03T12:00:00Z"},"roas":[` +
		`{"asn":64496,"prefix":"192.0.2.0/24","maxLength":24,"ta":"apnic"},{"asn":65000,"prefix":"10.0.0.0/8","maxLength":8,"ta":"apnic"}]}`
	var out, errb strings.Builder
	code := run([]string{"ca", "migrate-check", "-"}, strings.NewReader(json), &out, &errb, env)
	if code != 0 || errb.String() != "" {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	want := `export: 2 VRPs (json), 1 outside road's resources, 1 compared
road: 2 configured ROAs; 1 VRPs in both
CHANGE  PREFIX         TODAY  ROAD                         ROUTES LOSE VRP
appear  2001:db8::/32  -      2001:db8::/32-48 => AS64496  no
`
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	expect(t, runCLI(env, "ca", "migrate-check", "/nonexistent/export.csv"), 2, "")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("AS64496,192.0.2.1/24,24\n"), 0o644)
	res := runCLI(env, "ca", "migrate-check", bad)
	if res.code != 2 || res.stderr != "roactl: export "+bad+": bad-export: line 1: bad-syntax: prefix \"192.0.2.1/24\" has host bits set (did you mean 192.0.2.0/24?)\n" {
		t.Errorf("bad export: exit %d, stderr %q", res.code, res.stderr)
	}
	same := migrateServer(t, []proposal.ROAEntry{roaEntry("192.0.2.0/24", 0, 64496)})
	out.Reset()
	code = run([]string{"ca", "migrate-check", "-"}, strings.NewReader(json), &out, &errb, same)
	if code != 0 || !strings.HasSuffix(out.String(), "road: 1 configured ROAs; 1 VRPs in both\nno changes: road publishes exactly the VRPs the export has within road's resources\n") {
		t.Errorf("no changes: exit %d\n%s", code, out.String())
	}
}

// TestStatusShowsHSMKeys: the CA line names a PKCS#11 token, and says
// nothing for software keys (the default).
func TestStatusShowsHSMKeys(t *testing.T) {
	var b strings.Builder
	printStatus(&b, &api.Status{CA: api.CAStatus{Mode: "testbed", Name: "X", Keys: "pkcs11"}})
	if !strings.Contains(b.String(), "CA                    testbed X, 0 ROAs, certificate not after -, keys in a PKCS#11 token\n") {
		t.Errorf("status:\n%s", b.String())
	}
	b.Reset()
	printStatus(&b, &api.Status{CA: api.CAStatus{Mode: "testbed", Name: "X", Keys: "software"}})
	if strings.Contains(b.String(), "keys") {
		t.Errorf("software keys named:\n%s", b.String())
	}
}
