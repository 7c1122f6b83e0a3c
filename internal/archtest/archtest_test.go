package archtest

import (
	"strings"
	"testing"
)

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
	for _, v := range Check(pkgs, Table()) {
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
