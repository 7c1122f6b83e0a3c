package conflict

import (
	"slices"
	"testing"
)

// TestVocabulary: every kind has one rule, in result order, and the rules
// DESIGN.md states hold.
func TestVocabulary(t *testing.T) {
	ks := Kinds()
	if len(ks) != len(kinds) || slices.Contains(ks, "") {
		t.Fatalf("kinds in order: %q", ks)
	}
	for _, c := range []struct {
		kind                  string
		severity              string
		blocking, overridable bool
	}{
		{KindRoutesIncomplete, SeverityBlock, true, true},
		{KindBadMaxLength, SeverityBlock, true, false},
		{KindNotHeld, SeverityBlock, true, false},
		{KindInvalidatesRoute, SeverityBlock, true, true},
		{KindLooseMaxLength, SeverityBlock, true, true},
		{KindUnprotectsRoute, SeverityWarn, false, false},
		{KindUnseen, SeverityInfo, false, false},
	} {
		f := NewFinding(c.kind, "m")
		if f.Severity != c.severity || f.Blocking != c.blocking || f.Overridable != c.overridable {
			t.Errorf("%s: %+v", c.kind, f)
		}
	}
	if RuleOf(KindBadMaxLength).rank >= RuleOf(KindUnseen).rank {
		t.Error("refusals sort before information")
	}
}
