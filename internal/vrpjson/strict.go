package vrpjson

import (
	"fmt"
	"io"

	"github.com/roadrpki/road/internal/vrp"
)

// Strict is Load for comparing validators' outputs exactly: the "roas"
// member must be present and every entry must be a valid VRP, where Load
// drops a bad entry and counts it (a feed must survive one bad line; a
// test must not).
func Strict(r io.Reader) (vrp.Set, Meta, error) {
	vrps, _, meta, err := Load(r)
	if err != nil {
		return nil, meta, err
	}
	if !meta.HasROAs {
		return nil, meta, fmt.Errorf("%w: no \"roas\" member", ErrInvalid)
	}
	if meta.Dropped > 0 {
		return nil, meta, fmt.Errorf("%w: %d of %d entries are not valid VRPs", ErrInvalid, meta.Dropped, meta.ROAs)
	}
	if vrps == nil {
		vrps = vrp.Set{}
	}
	return vrps, meta, nil
}
