package liveroutes

import (
	"slices"

	"github.com/roadrpki/road/internal/route"
)

// RoutePeers names the sources announcing r now: BGP neighbours and
// imports, as bgp routes lists them (nil when none announces it).
func (rt *Routes) RoutePeers(r route.Route) []string {
	for _, e := range rt.table.Lookup(r.Prefix) {
		if e.Origin == r.Origin && e.NoOrigin == r.NoOrigin {
			return slices.Clone(e.Peers)
		}
	}
	return nil
}

// VersionedSnapshot is Snapshot with the table's version (bgp.Table).
func (rt *Routes) VersionedSnapshot() (route.Source, uint64) { return rt.table.VersionedSnapshot() }
