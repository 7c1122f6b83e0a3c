package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReasonCodesKebab: every exported sentinel error of an internal
// package (var ErrX = errors.New("...")) is a reason code, optionally
// after a "package: " prefix, spelled in kebab-case; so is every exported
// string constant named Reason*, Kind*, Code* or Finding* (finding kinds,
// audit codes, RP rejection reasons: API and metric label values).
func TestReasonCodesKebab(t *testing.T) {
	// kebab is the one spelling of a reason code (DESIGN.md "Errors").
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// Exported errors whose text is not yet a kebab-case code, with the
	// owner who renames them; the list only shrinks.
	reasonExceptions := map[string]bool{
		"internal/rpki.ErrProfile":      true, // "rpki: profile violation" (lead)
		"internal/rpki.ErrSignature":    true, // "rpki: bad signature" (lead)
		"internal/rpki.ErrTooLarge":     true, // "rpki: too large" (lead)
		"internal/rpki.ErrInvalidInput": true, // "rpki: invalid input" (lead)
	}
	root := filepath.Join("..", "..", "internal")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		pkg := filepath.ToSlash(filepath.Join("internal", strings.TrimPrefix(filepath.Dir(p), root)))
		for name, code := range sentinels(t, p) {
			id := pkg + "." + name
			_, c, _ := strings.Cut(code, ": ")
			if c == "" {
				c = code
			}
			if !kebab.MatchString(c) && !reasonExceptions[id] {
				t.Errorf("%s: %s = %q: the reason code is not kebab-case", p, name, code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sentinels returns the package-level exported errors.New("...") and the
// code constants of a file.
func sentinels(t *testing.T, path string) map[string]string {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if ok && gd.Tok == token.CONST {
			codeConsts(gd, out)
			continue
		}
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i >= len(vs.Values) || !strings.HasPrefix(n.Name, "Err") {
					continue
				}
				if lit, ok := errorsNewArg(vs.Values[i]); ok {
					out[n.Name] = lit
				}
			}
		}
	}
	return out
}

// codeConsts adds the string constants of gd whose names mark a code.
func codeConsts(gd *ast.GenDecl, out map[string]string) {
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		for i, n := range vs.Names {
			isCode := false
			for _, p := range []string{"Reason", "Kind", "Code", "Finding"} {
				isCode = isCode || strings.HasPrefix(n.Name, p)
			}
			if !isCode || i >= len(vs.Values) {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					out[n.Name] = v
				}
			}
		}
	}
}

func errorsNewArg(e ast.Expr) (string, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return "", false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "New" {
		return "", false
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "errors" {
		return "", false
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
