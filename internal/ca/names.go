package ca

import (
	"fmt"
	"strings"

	"github.com/roadrpki/road/internal/vrp"
)

// ROAFileName is the stable file name of the ROA object for v:
// "192-0-2-0_24-24_AS64496.roa", "2001-db8--_32-48_AS64497.roa". RFC 9286
// §4.2.2 allows only [a-zA-Z0-9_-] before the single dot, so the address's
// dots and colons become dashes (an injective mapping: IPv4 text has four
// groups, IPv6 text has eight or a "::").
func ROAFileName(v vrp.VRP) string {
	a := strings.NewReplacer(".", "-", ":", "-").Replace(v.Prefix.Addr().String())
	return fmt.Sprintf("%s_%d-%d_AS%d.roa", a, v.Prefix.Bits(), v.MaxLen, v.ASN)
}
