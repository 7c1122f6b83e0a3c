package updown

import (
	"testing"

	"github.com/roadrpki/road/internal/rpki"
)

func mustDER(t testing.TB, b []byte) []byte {
	t.Helper()
	der, _, err := rpki.DERFromBER(b)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
