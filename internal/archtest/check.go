// Package archtest keeps the data flow of DESIGN.md one way: it reads the
// import graph of the module with `go list -deps -json` and reports every import
// of an internal package that the allowed table (table.go, so a change of
// architecture is a reviewed diff) does not list; CheckModule, run by the
// module root's architecture_test.go, is the architecture test. Its tests also
// hold the tree to one spelling of reason codes (kebab-case). No code
// that road runs lives here.
package archtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Package is one package's imports as go list reports them, with import
// paths shortened to module-relative names ("internal/vrp", "cmd/road").
type Package struct {
	Name        string
	Imports     []string // non-test files
	TestImports []string // _test.go files, in-package and external (package x_test)
}

// Rules is the allowed table. Keys and values are module-relative names.
type Rules struct {
	// Allowed lists, per package, the internal packages its non-test
	// files may import. A package missing here is itself a violation: a
	// new room must be placed in the table.
	Allowed map[string][]string
	// TestAllowed adds what its tests may import besides (fixtures built
	// by an upstream package, the test harness).
	TestAllowed map[string][]string
	// Free names packages that may import anything (commands).
	Free []string
}

// Violation is one import outside the table.
type Violation struct {
	From, To string
	Test     bool // the import is in a _test.go file only
	Unknown  bool // From is not in the table at all
}

func (v Violation) String() string {
	switch {
	case v.Unknown:
		return fmt.Sprintf("%s is not in the allowed table: add it with the packages it may import", v.From)
	case v.Test:
		return fmt.Sprintf("%s (tests) imports %s: not in the allowed table", v.From, v.To)
	default:
		return fmt.Sprintf("%s imports %s: not in the allowed table", v.From, v.To)
	}
}

// Check returns every import of an internal package that r does not allow.
func Check(pkgs []Package, r Rules) []Violation {
	var out []Violation
	for _, p := range pkgs {
		if slices.Contains(r.Free, p.Name) {
			continue
		}
		allowed, ok := r.Allowed[p.Name]
		if !ok {
			out = append(out, Violation{From: p.Name, Unknown: true})
			continue
		}
		for _, to := range internalOnly(p.Imports) {
			if to != p.Name && !slices.Contains(allowed, to) {
				out = append(out, Violation{From: p.Name, To: to})
			}
		}
		testOK := append(slices.Clone(allowed), r.TestAllowed[p.Name]...)
		for _, to := range internalOnly(p.TestImports) {
			if to != p.Name && !slices.Contains(testOK, to) && !slices.Contains(p.Imports, to) {
				out = append(out, Violation{From: p.Name, To: to, Test: true})
			}
		}
	}
	return out
}

func internalOnly(imports []string) []string {
	var out []string
	for _, i := range imports {
		if strings.HasPrefix(i, "internal/") && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// listed is the part of `go list -json` output that Load reads.
type listed struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// Parse reads a stream of `go list -json` objects of module modPath.
func Parse(r io.Reader, modPath string) ([]Package, error) {
	short := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			if rel, ok := strings.CutPrefix(p, modPath+"/"); ok {
				out = append(out, rel)
			}
		}
		return out
	}
	var pkgs []Package
	dec := json.NewDecoder(r)
	for {
		var l listed
		err := dec.Decode(&l)
		if errors.Is(err, io.EOF) {
			return pkgs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("archtest: go list output: %w", err)
		}
		name, ok := strings.CutPrefix(l.ImportPath, modPath+"/")
		if !ok {
			continue // the module root package, if any, has no table entry
		}
		pkgs = append(pkgs, Package{Name: name, Imports: short(l.Imports),
			TestImports: short(append(l.TestImports, l.XTestImports...))})
	}
}
