package archtest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// with returns extra plus what every room above the codecs may use: the VRP
// and route types, the DER codecs, the atomic file writer and the domain
// error shape (fault).
func with(extra ...string) []string {
	return append(extra, "internal/vrp", "internal/route", "internal/rpki", "internal/atomicfile", "internal/fault")
}

// rules is the architecture: the data flow of DESIGN.md, proposal →
// conflict, store, ca → publish → rp → rtr, with the codecs and types at the
// bottom. Changing it is changing the design; say why in the commit.
func table() Rules {
	r := Rules{
		Allowed: map[string][]string{
			// Codecs and types: they import nothing above them.
			"internal/vrp":        {},
			"internal/route":      {},
			"internal/atomicfile": {},
			"internal/fault":      {},
			"internal/config":     {},
			"internal/buildinfo":  {}, // the binary's recorded build, for the version commands
			"internal/manpage":    {}, // roff from the --help texts (docs/man, made by cmd tests)
			"internal/rpki":       {"internal/vrp"},
			"internal/vrpjson":    {"internal/vrp"},
			"internal/rrdp":       {"internal/atomicfile"},
			"internal/slurm":      {"internal/vrp"},
			"internal/tlsca":      {"internal/atomicfile"},
			// File modes of the data directory, the database and the keys.
			"internal/datadir": {},

			// The rooms, in the order of the data flow.
			"internal/store":    with(),
			"internal/expiry":   with(),
			"internal/bgp":      with(),
			"internal/conflict": with(),
			"internal/ca":       with("internal/store"),
			"internal/publish":  with("internal/rrdp"),
			"internal/rp":       with("internal/rrdp", "internal/vrpjson"),
			"internal/rtr":      with("internal/vrpjson"),
			// The router-facing RP runner: rp's results, SLURM, to RTR's view.
			"internal/rprun": with("internal/rp", "internal/slurm"),
			// The domain rooms know nothing of REST: api converts their types.
			"internal/liveroutes": with("internal/bgp", "internal/store"),
			// Named API tokens and their roles.
			"internal/access":   with("internal/store"),
			"internal/proposal": with("internal/conflict", "internal/store", "internal/ca"),
			"internal/audit":    with("internal/expiry", "internal/conflict", "internal/store", "internal/ca", "internal/rp"),
			// api is the transport: it may know the domain, never the other way.
			"internal/api": with("internal/proposal", "internal/audit", "internal/conflict", "internal/expiry",
				"internal/liveroutes", "internal/vrpjson", "internal/rtr", "internal/access", "internal/datadir", "internal/health"),
			// Is road alive, does it do its job: checks of the running parts.
			"internal/health": with("internal/store", "internal/rprun"),
			// The network edge: binds road's listeners, then serves them bounded.
			"internal/listen": with("internal/config", "internal/rtr", "internal/tlsca"),
			// daemon is the wiring: it builds every part.
			"internal/daemon": with("internal/access", "internal/datadir", "internal/api", "internal/audit", "internal/bgp", "internal/ca", "internal/config",
				"internal/conflict", "internal/expiry", "internal/health", "internal/listen", "internal/liveroutes", "internal/proposal", "internal/publish",
				"internal/rp", "internal/rprun", "internal/rrdp", "internal/rtr", "internal/slurm", "internal/store", "internal/tlsca",
				"internal/vrpjson"),

			// Test harness and checks: no production code imports them.
			"internal/testpeers":  with("internal/vrpjson", "internal/testshared"),
			"internal/testshared": {}, // finds ../shared for tests; imports nothing of the project
			"internal/e2e":        with(),
			"internal/archtest":   {},
		},
		TestAllowed: map[string][]string{
			// The RP's tests validate what the real CA and publisher produce,
			// and the running daemon's publication.
			"internal/rp": {"internal/ca", "internal/publish", "internal/store", "internal/api", "internal/daemon",
				"internal/config"},
			"internal/rtr": {"internal/slurm"},
			// health's tests judge real relying party results.
			"internal/health": {"internal/rp"},
			// api's role tests authenticate against real tokens in SQLite.
			"internal/api": {"internal/store"},
			"internal/e2e": {"internal/api", "internal/bgp", "internal/ca", "internal/daemon", "internal/tlsca",
				"internal/liveroutes", "internal/proposal", "internal/audit", "internal/config"},
		},
		Free: []string{"cmd/road", "cmd/roactl", "scripts/gentree"}, // gentree: a benchmark tool, not part of road
	}
	// Every test may use the test harness and the shared folder.
	for p := range r.Allowed {
		if p != "internal/testpeers" && p != "internal/testshared" {
			r.TestAllowed[p] = append(r.TestAllowed[p], "internal/testpeers")
		}
		if p != "internal/testshared" {
			r.TestAllowed[p] = append(r.TestAllowed[p], "internal/testshared")
		}
	}
	return r
}

// TestImportsFollowTheTable checks the real module.
func TestImportsFollowTheTable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	watchSources(t, "../..")
	pkgs, err := load("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, v := range Check(pkgs, table()) {
		t.Error(v)
	}
}

// load runs `go list -deps -json ./...` in the module directory dir and
// returns the module's packages (Parse drops the standard library and
// other modules) with module-relative names.
func load(dir string) ([]Package, error) {
	mod, err := goCmd(dir, "list", "-m", "-f", "{{.Path}}")
	if err != nil {
		return nil, err
	}
	out, err := goCmd(dir, "list", "-deps", "-json", "./...")
	if err != nil {
		return nil, err
	}
	return Parse(bytes.NewReader(out), strings.TrimSpace(string(mod)))
}

func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// watchSources stats every Go file under root: go test caches a result by
// the files the test process itself touched, and go list runs in a child,
// so without this an added import would not rerun the test.
func watchSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsViolations: the checker on a synthetic graph, so the
// failing cases are themselves tested.
func TestCheckFindsViolations(t *testing.T) {
	pkgs := []Package{
		{Name: "internal/vrp"},
		{Name: "internal/rtr", Imports: []string{"internal/vrp", "internal/vrpjson"}},
		// rtr above ca in the data flow: ca must not reach up to it.
		{Name: "internal/ca", Imports: []string{"internal/rpki", "internal/rtr"}},
		// A test-only import that breaks the table.
		{Name: "internal/conflict", Imports: []string{"internal/vrp"}, TestImports: []string{"internal/store", "internal/testpeers"}},
		{Name: "internal/newroom", Imports: []string{"internal/vrp"}},
		{Name: "cmd/road", Imports: []string{"internal/daemon", "internal/testpeers"}},
	}
	var got []string
	for _, v := range Check(pkgs, table()) {
		got = append(got, v.String())
	}
	want := []string{
		"internal/ca imports internal/rtr: not in the allowed table",
		"internal/conflict (tests) imports internal/store: not in the allowed table",
		"internal/newroom is not in the allowed table: add it with the packages it may import",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParse(t *testing.T) {
	in := `{"ImportPath":"example.org/m/internal/a","Imports":["fmt","example.org/m/internal/b"],
"TestImports":["testing"],"XTestImports":["example.org/m/internal/c"]}
{"ImportPath":"example.org/m/cmd/x","Imports":["example.org/m/internal/a"]}`
	pkgs, err := Parse(strings.NewReader(in), "example.org/m")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Name != "internal/a" || strings.Join(pkgs[0].Imports, ",") != "internal/b" ||
		strings.Join(pkgs[0].TestImports, ",") != "internal/c" || pkgs[1].Name != "cmd/x" {
		t.Fatalf("parsed %+v", pkgs)
	}
	if _, err := Parse(strings.NewReader("{"), "example.org/m"); err == nil {
		t.Fatal("truncated go list output accepted")
	}
}
