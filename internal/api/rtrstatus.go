package api

import (
	"github.com/roadrpki/road/internal/rtr"
)

// RTRStatusOf maps the RTR server's state to the API's status shape; nil
// when RTR is not listening.
func RTRStatusOf(listen string, s rtr.Status) *RTRStatus {
	if listen == "" {
		return nil
	}
	out := &RTRStatus{Listen: listen, Serial: s.Serial, HasData: s.HasData, VRPs: s.VRPs, ASPAs: s.ASPAs,
		Clients: []RTRClient{}}
	for _, c := range s.Clients {
		out.Clients = append(out.Clients, RTRClient{Remote: c.Remote, Version: c.Version, Serial: c.Serial,
			Connected: c.ConnectedSince, LastQuery: c.LastQuery, ResetQueries: c.ResetQueries, SerialQueries: c.SerialQueries, Wave: c.Wave})
	}
	return out
}
