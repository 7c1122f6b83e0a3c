// Package road_test holds the architecture test of the whole module: the
// import graph follows the data flow of DESIGN.md (internal/archtest's Table).
package road_test

import (
	"testing"

	"github.com/roadrpki/road/internal/archtest"
)

func TestArchitecture(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	archtest.CheckModule(t, ".")
}
