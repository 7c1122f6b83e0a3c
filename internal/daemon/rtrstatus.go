package daemon

import (
	"github.com/roadrpki/road/internal/api"
	"github.com/roadrpki/road/internal/rtr"
)

// rtrStatus maps the RTR server's state to the API's status shape; nil when
// RTR is not listening.
func rtrStatus(listen string, s rtr.Status) *api.RTRStatus {
	if listen == "" {
		return nil
	}
	out := &api.RTRStatus{Listen: listen, Serial: s.Serial, HasData: s.HasData, VRPs: s.VRPs, ASPAs: s.ASPAs,
		Clients: []api.RTRClient{}}
	for _, c := range s.Clients {
		out.Clients = append(out.Clients, api.RTRClient{Remote: c.Remote, Version: c.Version, Serial: c.Serial,
			Connected: c.ConnectedSince, LastQuery: c.LastQuery, ResetQueries: c.ResetQueries, SerialQueries: c.SerialQueries})
	}
	return out
}
