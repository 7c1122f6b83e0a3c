package gate

import (
	"strings"

	"github.com/roadrpki/road/internal/vrp"
)

// Delegated is what road's tree carries for other CAs: the certificates of
// its child CAs (RFC 6492) and what its publishers published (RFC 8181).
// Their publication points are theirs: the gate checks road's own objects,
// so a child's missing or broken publication point, or its ROAs, neither
// refuse nor count as road's.
type Delegated struct {
	// Spaces are rsync URI prefixes: the publishers' sia_base and the child
	// CA certificates' caRepository. A rejection below one is not road's.
	Spaces []string
	// VRPs are the VRPs of the ROAs published in those spaces: the staged
	// tree may yield them beside the configured ROAs.
	VRPs vrp.Set
}

// theirs reports whether uri lies in a delegated space.
func (d Delegated) theirs(uri string) bool {
	for _, s := range d.Spaces {
		if s != "" && strings.HasPrefix(uri, s) {
			return true
		}
	}
	return false
}

// own is got without the delegated VRPs that are not configured.
func (d Delegated) own(got, want vrp.Set) vrp.Set {
	if len(d.VRPs) == 0 {
		return got
	}
	out := make([]vrp.VRP, 0, len(got))
	for _, v := range got {
		if want.Contains(v) || !d.VRPs.Contains(v) {
			out = append(out, v)
		}
	}
	return vrp.NewSet(out)
}
