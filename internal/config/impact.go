package config

// Impact are the policy limits on a ROA change's impact on the live routes
// (internal/impact's figures): a change over one is refused. Zero means no
// limit.
type Impact struct {
	// MaxHarmedRoutes: routes seen in BGP a change may turn Invalid.
	MaxHarmedRoutes int
	// MaxHarmedShare: share (0..1) of the holder's announced IPv4 or IPv6
	// space the routes a change turns Invalid may cover.
	MaxHarmedShare float64
}
