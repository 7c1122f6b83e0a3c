package bgp

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestImportMax(t *testing.T) {
	in := "192.0.2.0/24 64496\n198.51.100.0/24 64497\n192.0.2.0/24 64496\n"
	st, routes, err := ImportMax(context.Background(), strings.NewReader(in), 2)
	if err != nil || len(routes) != 2 || st.Unique != 2 {
		t.Fatalf("at the bound: %+v %v %v", st, routes, err)
	}
	_, routes, err = ImportMax(context.Background(), strings.NewReader(in+"203.0.113.0/24 64499\n"), 2)
	if !errors.Is(err, ErrImportTooLarge) || routes != nil || err.Error() != "bgp: import-too-large: more than 2 paths" {
		t.Fatalf("over the bound: %v %v", routes, err)
	}
}
