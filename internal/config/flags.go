package config

import (
	"flag"
	"io"
	"strings"
	"time"
)

type flagSetFlag = flag.Flag

// flagValues receives the raw flag values; apply copies those that were given.
type flagValues struct {
	config, dataDir, http, https, tlsCert, tlsKey, rtr string
	rsyncBase, rrdpBase, resources, asns, logLevel     string
	bgpListen, bgpASN, bgpRouterID                     string
	bgpPeers                                           listFlag
	rtrRefresh, rtrRetry, rtrExpire                    uint
	rtrNotify                                          string
	slurm, bgpHold, bgpSync                            string
	rtrTLSCert, rtrTLSKey, rtrTLSClientCA              string
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func newFlagSet(v *flagValues) *flag.FlagSet {
	fs := flag.NewFlagSet("road", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d := Default()
	fs.StringVar(&v.config, "config", "", "TOML configuration `file` (flags override it)")
	fs.StringVar(&v.dataDir, "data-dir", d.DataDir, "data `directory` (env "+EnvDataDir+")")
	fs.StringVar(&v.http, "http", d.HTTP, "HTTP listen `address` (REST, metrics, RRDP); empty disables")
	fs.StringVar(&v.https, "https", d.HTTPS, "HTTPS listen `address` for RRDP; empty disables")
	fs.StringVar(&v.tlsCert, "tls-cert", "", "TLS certificate `file` (default: testbed TLS CA in DATA_DIR/tls)")
	fs.StringVar(&v.tlsKey, "tls-key", "", "TLS private key `file`")
	fs.StringVar(&v.rtr, "rtr", d.RTR, "RTR listen `address`; empty disables")
	fs.StringVar(&v.rsyncBase, "rsync-base", d.RsyncBase, "rsync publication base `URI` (rsync://HOST[:PORT]/MODULE/)")
	fs.StringVar(&v.rrdpBase, "rrdp-base", d.RRDPBase, "RRDP base `URL` (https://.../)")
	fs.StringVar(&v.resources, "resources", "192.0.2.0/24,198.51.100.0/24,203.0.113.0/24,2001:db8::/32",
		"comma-separated IP `prefixes` the testbed CA holds (AS ranges allowed too)")
	fs.StringVar(&v.asns, "asns", "AS64496-AS64511", "comma-separated AS `ranges` the testbed CA holds")
	fs.StringVar(&v.logLevel, "log-level", d.LogLevel, "log `level`: debug, info, warn, error")
	fs.StringVar(&v.bgpListen, "bgp-listen", "", "BGP listen `ADDR:PORT` (enables the BGP speaker)")
	fs.StringVar(&v.bgpASN, "bgp-asn", "", "local `ASN` of the BGP speaker")
	fs.StringVar(&v.bgpRouterID, "bgp-router-id", "", "BGP router `ID` (an IPv4 address)")
	fs.Var(&v.bgpPeers, "bgp-peer", "passive BGP peer `ASN@ADDRESS` (repeatable)")
	fs.StringVar(&v.bgpHold, "bgp-hold", "", "keep a dropped session's routes this `duration` (default 2m)")
	fs.StringVar(&v.bgpSync, "bgp-sync-timeout", "", "a peer that sends no End-of-RIB counts as complete after this `duration` (default 1m)")
	fs.StringVar(&v.slurm, "slurm", "", "RFC 8416 SLURM `file` applied to the validated VRPs before RTR serves them")
	fs.UintVar(&v.rtrRefresh, "rtr-refresh", uint(d.RTRTimers.Refresh), "RTR refresh interval in `seconds`")
	fs.UintVar(&v.rtrRetry, "rtr-retry", uint(d.RTRTimers.Retry), "RTR retry interval in `seconds`")
	fs.UintVar(&v.rtrExpire, "rtr-expire", uint(d.RTRTimers.Expire), "RTR expire interval in `seconds`")
	fs.StringVar(&v.rtrTLSCert, "rtr-tls-cert", "", "serve RTR over TLS with this certificate `file` (PEM; RFC 8210 §9.2)")
	fs.StringVar(&v.rtrTLSKey, "rtr-tls-key", "", "TLS private key `file` for RTR")
	fs.StringVar(&v.rtrTLSClientCA, "rtr-tls-client-ca", "", "with RTR over TLS: require router certificates from this CA `file` (the router's IP must be an iPAddress SAN)")
	fs.StringVar(&v.rtrNotify, "rtr-notify-interval", d.RTRTimers.NotifyInterval.String(), "minimum `duration` between RTR Serial Notify PDUs")
	return fs
}

// Usage writes the flag summary of the daemon to w.
func Usage(w io.Writer) {
	fs := newFlagSet(&flagValues{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// apply copies every flag in set onto c.
func (v *flagValues) apply(c *Config, set map[string]bool) error {
	str := map[string]*string{
		"data-dir": &c.DataDir, "http": &c.HTTP, "https": &c.HTTPS, "tls-cert": &c.TLSCert,
		"tls-key": &c.TLSKey, "rtr": &c.RTR, "rsync-base": &c.RsyncBase, "rrdp-base": &c.RRDPBase,
		"log-level": &c.LogLevel, "bgp-listen": &c.BGP.Listen, "slurm": &c.SLURMFile,
		"rtr-tls-cert": &c.RTRTLSCert, "rtr-tls-key": &c.RTRTLSKey, "rtr-tls-client-ca": &c.RTRTLSClientCA,
	}
	src := map[string]string{
		"data-dir": v.dataDir, "http": v.http, "https": v.https, "tls-cert": v.tlsCert,
		"tls-key": v.tlsKey, "rtr": v.rtr, "rsync-base": v.rsyncBase, "rrdp-base": v.rrdpBase,
		"log-level": v.logLevel, "bgp-listen": v.bgpListen, "slurm": v.slurm,
		"rtr-tls-cert": v.rtrTLSCert, "rtr-tls-key": v.rtrTLSKey, "rtr-tls-client-ca": v.rtrTLSClientCA,
	}
	for name, dst := range str {
		if set[name] {
			*dst = strings.TrimSpace(src[name])
		}
	}
	if set["resources"] {
		if err := setResources(c, splitList(v.resources), "--resources"); err != nil {
			return err
		}
	}
	if set["asns"] {
		r, err := parseASRanges(splitList(v.asns), "--asns")
		if err != nil {
			return err
		}
		c.ASNs = r
	}
	if set["bgp-asn"] {
		a, err := parseASN(v.bgpASN)
		if err != nil {
			return usageErr("--bgp-asn: %v", err)
		}
		c.BGP.ASN = a
	}
	if set["bgp-router-id"] {
		id, err := parseRouterID(v.bgpRouterID)
		if err != nil {
			return usageErr("--bgp-router-id: %v", err)
		}
		c.BGP.RouterID = id
	}
	if set["bgp-peer"] {
		c.BGP.Peers = nil
		for _, s := range v.bgpPeers {
			p, err := parsePeer(s)
			if err != nil {
				return usageErr("--bgp-peer %q: %v", s, err)
			}
			c.BGP.Peers = append(c.BGP.Peers, p)
		}
	}
	seconds := map[string]struct {
		dst *uint32
		v   uint
	}{
		"rtr-refresh": {&c.RTRTimers.Refresh, v.rtrRefresh},
		"rtr-retry":   {&c.RTRTimers.Retry, v.rtrRetry},
		"rtr-expire":  {&c.RTRTimers.Expire, v.rtrExpire},
	}
	for name, s := range seconds {
		if set[name] {
			if s.v > 1<<32-1 {
				return usageErr("--%s: %d out of range", name, s.v)
			}
			*s.dst = uint32(s.v)
		}
	}
	for name, d := range map[string]struct {
		src string
		dst *time.Duration
	}{"bgp-hold": {v.bgpHold, &c.BGP.HoldAfterDown}, "bgp-sync-timeout": {v.bgpSync, &c.BGP.SyncTimeout}} {
		if set[name] {
			x, err := parseDuration(d.src)
			if err != nil {
				return usageErr("--%s: %v", name, err)
			}
			*d.dst = x
		}
	}
	if set["rtr-notify-interval"] {
		d, err := parseDuration(v.rtrNotify)
		if err != nil {
			return usageErr("--rtr-notify-interval: %v", err)
		}
		c.RTRTimers.NotifyInterval = d
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
