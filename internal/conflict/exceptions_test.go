package conflict

import (
	"slices"
	"testing"

	"github.com/roadrpki/road/internal/vrp"
)

// A recorded exception (RFC 9319 §5.1) keeps a loose ROA out of the
// suggestions' replacements and names it in the analysis.
func TestExceptionsInAnalysisAndSuggestions(t *testing.T) {
	cur := vrp.NewSet(roas(t, "192.0.2.0/24-25 => AS64496", "198.51.100.0/24-25 => AS64497"))
	rs := routes(t, "192.0.2.0/24 64496", "198.51.100.0/24 64497")
	loose := roas(t, "192.0.2.0/24-25 => AS64496")[0]
	exc := map[vrp.VRP]string{loose: "DDoS mitigation"}
	held := heldFunc("192.0.2.0/24", "198.51.100.0/24")

	got := suggestionLines(SuggestWith(cur, rs, nil, held, exc))
	want := []string{
		"add 198.51.100.0/24 => AS64497 (replaces)",
		"remove 198.51.100.0/24-25 => AS64497 (too-permissive) by 198.51.100.0/24 => AS64497",
		"keep 192.0.2.0/24-25 => AS64496",
	}
	if !slices.Equal(got, want) {
		t.Errorf("SuggestWith:\n got  %q\n want %q", got, want)
	}
	if got := suggestionLines(Suggest(cur, rs, nil, held)); len(got) != 5 || got[0] != "add 192.0.2.0/24 => AS64496 (replaces)" {
		t.Errorf("Suggest without exceptions: %q", got)
	}

	a := AnalyzeTableWith(cur, rs, held, exc)
	var states []string
	for _, r := range a.ROAs {
		states = append(states, r.ROA.String()+" "+r.State+" "+r.Exception)
	}
	if want := []string{"192.0.2.0/24-25 => AS64496 too-permissive-excepted DDoS mitigation", "198.51.100.0/24-25 => AS64497 too-permissive "}; !slices.Equal(states, want) {
		t.Errorf("AnalyzeTableWith states %q, want %q", states, want)
	}

}
