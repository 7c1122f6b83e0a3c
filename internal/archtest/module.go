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

// CheckModule is the architecture test: it reads the import graph of the
// module rooted at root with `go list -deps -json` and fails t for every
// import the Table does not allow. The module's root package runs it
// (architecture_test.go), so `go test .` guards the data flow.
func CheckModule(t testing.TB, root string) {
	t.Helper()
	watchSources(t, root)
	pkgs, err := load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, v := range Check(pkgs, Table()) {
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
func watchSources(t testing.TB, root string) {
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
