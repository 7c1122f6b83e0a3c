package fault

import (
	"fmt"
	"testing"
)

func TestAsFindsWrapped(t *testing.T) {
	err := fmt.Errorf("import x: %w", Invalidf("limit %d", 3))
	e, ok := As(err)
	if !ok || e.Code != Invalid || e.Message != "limit 3" || e.Error() != "bad-request: limit 3" {
		t.Fatalf("%v %+v", ok, e)
	}
	if _, ok := As(fmt.Errorf("plain")); ok {
		t.Fatal("a plain error is not a fault")
	}
}
