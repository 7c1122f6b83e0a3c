package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// setting is one row of the settings table: everything road knows about one
// setting. The table drives the flags, the config file, --help, validation,
// the defaults and the generated reference (docs/config.md and
// road.example.toml), so adding a setting is adding a row.
type setting[T any] struct {
	flag    string   // command-line flag without dashes; "" = config file only
	key     string   // TOML key, "section.name" inside a table; "" = flag only
	alias   string   // top-level key also accepted for a plain string (rtr = "ADDR:PORT")
	env     string   // environment variable below the flag and above the file
	def     string   // default in flag syntax; "" = the zero value
	derived string   // a default derived from other settings (config.go), as --help and the reference show it
	arg     string   // the flag's argument in --help
	help    string   // one line: what it does
	example string   // value for the example file when def is ""
	toml    tomlKind // the TOML value types the key takes
	multi   multiMode
	boolean bool                          // a flag without an argument (-v)
	set     func(c *T, vs []string) error // parses vs into the destination
	check   func(c *T) error              // validation of the destination alone; nil = none
}

// multiMode says how one flag's text becomes the values set receives.
type multiMode int

const (
	single multiMode = iota // one value
	comma                   // comma-separated list
	repeat                  // one value per occurrence of the flag
)

// label names the setting in messages: the TOML key and the flag.
func (s *setting[T]) label() string {
	key := s.key
	if s.alias != "" {
		key = s.alias
	}
	switch {
	case key == "":
		return "--" + s.flag
	case s.flag == "":
		return key
	default:
		return key + " (--" + s.flag + ")"
	}
}

// split turns a flag's or default's text into set's values.
func (s *setting[T]) split(text []string) []string {
	switch s.multi {
	case comma:
		var out []string
		for _, t := range text {
			out = append(out, splitList(t)...)
		}
		return out
	case repeat:
		return text
	default:
		return text[len(text)-1:]
	}
}

// settings is the table. Its order is the order of application (resources
// before asns: AS items in resources replace the ASNs), of validation, of
// --help and of the reference; top-level keys precede every TOML table.
func settings() []setting[Config] {
	t := baseSettings()
	i := slices.IndexFunc(t, func(s setting[Config]) bool { return s.key == "rtr.wave_max_invalid" })
	return slices.Insert(t, i, waveRows("rtr-", "rtr.", func(c *Config) *RTRWaves { return &c.RTRWaves })...)
}

// baseSettings is the table without the wave rows (waveRows, shared with road rtr).
func baseSettings() []setting[Config] {
	return []setting[Config]{
		{flag: "config", arg: "file", help: "TOML configuration file (flags override it)",
			set: str(func(c *Config) *string { return &c.ConfigFile })},
		{flag: "data-dir", key: "data_dir", env: EnvDataDir, def: "./road-data", arg: "directory",
			help: "data directory: SQLite database, TAL, admin token, RRDP and rsync trees", toml: tomlString,
			set: str(func(c *Config) *string { return &c.DataDir }), check: notEmpty(func(c *Config) string { return c.DataDir })},
		{flag: "https", key: "https", def: "127.0.0.1:8443", arg: "address",
			help: "HTTPS listen address for RRDP; empty disables", toml: tomlString,
			set: str(func(c *Config) *string { return &c.HTTPS }), check: listen(func(c *Config) string { return c.HTTPS })},
		{flag: "tls-cert", key: "tls_cert", arg: "file", example: "/etc/road/cert.pem",
			help: "TLS certificate for HTTPS (default: the testbed TLS CA in DATA_DIR/tls)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.TLSCert })},
		{flag: "tls-key", key: "tls_key", arg: "file", example: "/etc/road/key.pem",
			help: "TLS private key for HTTPS", toml: tomlString,
			set: str(func(c *Config) *string { return &c.TLSKey })},
		{flag: "rsync-base", key: "rsync_base", def: "rsync://127.0.0.1:8873/repo/", arg: "URI",
			help: "rsync publication base URI (rsync://HOST[:PORT]/MODULE/)", toml: tomlString,
			set:   str(func(c *Config) *string { return &c.RsyncBase }),
			check: baseURL(func(c *Config) string { return c.RsyncBase }, "rsync")},
		{flag: "rrdp-base", key: "rrdp_base", derived: "follows --https", example: FallbackRRDPBase, arg: "URL",
			help:  "RRDP base URL (https://.../); unset or empty: https://ADDR:PORT/rrdp/ of --https when its host is an address or a name (not 0.0.0.0 or ::), else " + FallbackRRDPBase,
			toml:  tomlString,
			set:   str(func(c *Config) *string { return &c.RRDPBase }),
			check: baseURL(func(c *Config) string { return c.RRDPBase }, "https")},
		{flag: "resources", key: "resources", def: "192.0.2.0/24,198.51.100.0/24,203.0.113.0/24,2001:db8::/32",
			arg: "prefixes", help: "IP prefixes the testbed CA holds (AS ranges allowed too)", toml: tomlStrings, multi: comma,
			set: setResources, check: checkResources},
		{flag: "asns", key: "asns", def: "AS64496-AS64511", arg: "ranges",
			help: "AS ranges the testbed CA holds", toml: tomlASNs, multi: comma, set: setASNs},
		{flag: "log-level", key: "log_level", def: "info", arg: "level",
			help: "log level: debug, info, warn, error", toml: tomlString,
			set: str(func(c *Config) *string { return &c.LogLevel }), check: checkLogLevel},
		{flag: "log-format", key: "log_format", def: "text", arg: "format",
			help: "log format on stderr: text (key=value) or json (one object per line)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.LogFormat }), check: logFormat(func(c *Config) string { return c.LogFormat })},
		{flag: "slurm", key: "slurm", arg: "file", example: "/etc/road/local.slurm",
			help: "RFC 8416 SLURM file applied to the validated VRPs before RTR serves them", toml: tomlString,
			set: str(func(c *Config) *string { return &c.SLURMFile })},

		{flag: "http", key: "http.listen", alias: "http", def: "127.0.0.1:8080", arg: "address",
			help: "REST API, /metrics, /healthz, /readyz and RRDP listen address; empty disables (the file also takes http = \"ADDR:PORT\")",
			toml: tomlString, set: str(func(c *Config) *string { return &c.HTTP }), check: listen(func(c *Config) string { return c.HTTP })},
		{flag: "http-tls", key: "http.tls", def: "off", arg: "mode",
			help: "serve --http over TLS: off, testbed (the TLS CA in DATA_DIR/tls) or file (--http-tls-cert/--http-tls-key)",
			toml: tomlString, set: str(func(c *Config) *string { return &c.HTTPServer.TLS }), check: checkHTTPTLS},
		{flag: "http-tls-cert", key: "http.tls_cert", arg: "file", example: "/etc/road/api.pem",
			help: "with --http-tls file: the certificate (PEM)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.HTTPServer.TLSCert })},
		{flag: "http-tls-key", key: "http.tls_key", arg: "file", example: "/etc/road/api.key",
			help: "with --http-tls file: the private key (PEM)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.HTTPServer.TLSKey })},
		{flag: "http-allow-plain", key: "http.allow_plain", def: "false", boolean: true,
			help: "allow plain HTTP on a non-loopback --http address (the admin token then crosses the network in cleartext)",
			toml: tomlBool, set: boolean(func(c *Config) *bool { return &c.HTTPServer.AllowPlain })},
		{flag: "http-read-header-timeout", key: "http.read_header_timeout", def: "10s", arg: "duration",
			help: "both HTTP(S) listeners: time to read a request's header, and to finish a TLS handshake", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.HTTPServer.ReadHeaderTimeout }),
			check: positive(func(c *Config) time.Duration { return c.HTTPServer.ReadHeaderTimeout })},
		{flag: "http-read-timeout", key: "http.read_timeout", def: "5m", arg: "duration",
			help: "both HTTP(S) listeners: time to read a whole request, body included (a BGP import)", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.HTTPServer.ReadTimeout }),
			check: positive(func(c *Config) time.Duration { return c.HTTPServer.ReadTimeout })},
		{flag: "http-write-timeout", key: "http.write_timeout", def: "5m", arg: "duration",
			help: "both HTTP(S) listeners: time from the end of a request's header to the end of its response (an RRDP snapshot to a slow relying party)",
			toml: tomlDuration, set: duration(func(c *Config) *time.Duration { return &c.HTTPServer.WriteTimeout }),
			check: positive(func(c *Config) time.Duration { return c.HTTPServer.WriteTimeout })},
		{flag: "http-idle-timeout", key: "http.idle_timeout", def: "1m", arg: "duration",
			help: "both HTTP(S) listeners: close a keep-alive connection idle this long", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.HTTPServer.IdleTimeout }),
			check: positive(func(c *Config) time.Duration { return c.HTTPServer.IdleTimeout })},
		{flag: "http-max-header-bytes", key: "http.max_header_bytes", def: "65536", arg: "bytes",
			help: "both HTTP(S) listeners: largest request header accepted (431 beyond)", toml: tomlNumber,
			set:   integer(func(c *Config) *int { return &c.HTTPServer.MaxHeaderBytes }),
			check: intIn(func(c *Config) int { return c.HTTPServer.MaxHeaderBytes }, 4096, 1<<20)},
		{flag: "http-access-log", key: "http.access_log", def: "info", arg: "level",
			help: "log one line per HTTP(S) request at this level: info, debug or off", toml: tomlString,
			set: str(func(c *Config) *string { return &c.HTTPServer.AccessLog }), check: checkAccessLog},

		{flag: "rtr", key: "rtr.listen", alias: "rtr", def: "127.0.0.1:8282", arg: "address",
			help: "RTR listen address; empty disables (the file also takes rtr = \"ADDR:PORT\")", toml: tomlString,
			set: str(func(c *Config) *string { return &c.RTR }), check: listen(func(c *Config) string { return c.RTR })},
		{flag: "rtr-refresh", key: "rtr.refresh", def: "1h", arg: "duration",
			help: "RTR refresh interval announced in End of Data (RFC 8210 §6; whole seconds, 1s..24h)", toml: tomlDuration,
			set:   seconds(func(c *Config) *uint32 { return &c.RTRTimers.Refresh }),
			check: secondsIn(func(c *Config) uint32 { return c.RTRTimers.Refresh }, 1, 86400)},
		{flag: "rtr-retry", key: "rtr.retry", def: "10m", arg: "duration",
			help: "RTR retry interval announced in End of Data (1s..2h)", toml: tomlDuration,
			set:   seconds(func(c *Config) *uint32 { return &c.RTRTimers.Retry }),
			check: secondsIn(func(c *Config) uint32 { return c.RTRTimers.Retry }, 1, 7200)},
		{flag: "rtr-expire", key: "rtr.expire", def: "2h", arg: "duration",
			help: "RTR expire interval announced in End of Data (10m..48h, above refresh and retry)", toml: tomlDuration,
			set:   seconds(func(c *Config) *uint32 { return &c.RTRTimers.Expire }),
			check: secondsIn(func(c *Config) uint32 { return c.RTRTimers.Expire }, 600, 172800)},
		{flag: "rtr-notify-interval", key: "rtr.notify_interval", def: "1m0s", arg: "duration",
			help: "minimum duration between RTR Serial Notify PDUs", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.RTRTimers.NotifyInterval }),
			check: notNegative(func(c *Config) time.Duration { return c.RTRTimers.NotifyInterval })},
		{flag: "rtr-tls-cert", key: "rtr.tls_cert", arg: "file", example: "/etc/road/rtr.pem",
			help: "serve RTR over TLS with this certificate (PEM; RFC 8210 §9.2)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.RTRTLSCert })},
		{flag: "rtr-tls-key", key: "rtr.tls_key", arg: "file", example: "/etc/road/rtr.key",
			help: "TLS private key for RTR", toml: tomlString,
			set: str(func(c *Config) *string { return &c.RTRTLSKey })},
		{flag: "rtr-tls-client-ca", key: "rtr.tls_client_ca", arg: "file", example: "/etc/road/routers-ca.pem",
			help: "with RTR over TLS: require router certificates from this CA (the router's IP must be an iPAddress SAN)",
			toml: tomlString, set: str(func(c *Config) *string { return &c.RTRTLSClientCA })},

		{flag: "rtr-handshake-timeout", key: "rtr.handshake_timeout", def: "30s", arg: "duration",
			help: "close an RTR connection whose first query (TLS handshake included) has not arrived within this", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.RTRLimits.HandshakeTimeout }),
			check: positive(func(c *Config) time.Duration { return c.RTRLimits.HandshakeTimeout })},
		{flag: "rtr-pdu-timeout", key: "rtr.pdu_timeout", def: "10s", arg: "duration",
			help: "close an RTR connection when a PDU's last byte does not arrive within this after its first", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.RTRLimits.PDUTimeout }),
			check: positive(func(c *Config) time.Duration { return c.RTRLimits.PDUTimeout })},
		{flag: "rtr-session-timeout", key: "rtr.session_timeout", arg: "duration", example: "2h",
			help: "close an RTR session that sent no query for this long (default: the expire interval; routers query every refresh interval, RFC 8210 §6, §8.1)",
			toml: tomlDuration, set: duration(func(c *Config) *time.Duration { return &c.RTRLimits.SessionTimeout }),
			check: notNegative(func(c *Config) time.Duration { return c.RTRLimits.SessionTimeout })},
		{flag: "rtr-max-connections", key: "rtr.max_connections", def: "1024", arg: "n",
			help: "RTR connections open at once; beyond it the oldest connection without a query yet is closed, else the new one", toml: tomlNumber,
			set:   integer(func(c *Config) *int { return &c.RTRLimits.MaxConnections }),
			check: intIn(func(c *Config) int { return c.RTRLimits.MaxConnections }, 1, 1<<20)},
		{flag: "rtr-max-per-source", key: "rtr.max_per_source", def: "32", arg: "n",
			help: "RTR connections open at once from one source address; beyond it new ones are closed at once", toml: tomlNumber,
			set:   integer(func(c *Config) *int { return &c.RTRLimits.MaxPerSource }),
			check: intIn(func(c *Config) int { return c.RTRLimits.MaxPerSource }, 1, 1<<20)},
		{flag: "rtr-wave-max-invalid", key: "rtr.wave_max_invalid", def: "0", arg: "n",
			help: "while a set rolls out, at most this many routes of the live BGP table (own or peers') may turn Invalid, else the waves roll back", toml: tomlNumber,
			set:   integer(func(c *Config) *int { return &c.RTRWaves.MaxInvalid }),
			check: intIn(func(c *Config) int { return c.RTRWaves.MaxInvalid }, 0, 1<<30)},

		{flag: "bgp-listen", key: "bgp.listen", arg: "ADDR:PORT", example: "127.0.0.1:1179",
			help: "BGP listen address (enables the passive BGP speaker)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.BGP.Listen }), check: listen(func(c *Config) string { return c.BGP.Listen })},
		{flag: "bgp-asn", key: "bgp.asn", arg: "ASN", example: "AS64500",
			help: "local ASN of the BGP speaker", toml: tomlASN, set: setBGPASN},
		{flag: "bgp-router-id", key: "bgp.router_id", arg: "ID", example: "192.0.2.1",
			help: "BGP router ID (an IPv4 address)", toml: tomlString, set: setRouterID},
		{flag: "bgp-peer", key: "bgp.peers", arg: "ASN@ADDRESS", example: "64501@127.0.0.1",
			help: "passive BGP peer (the flag repeats; the file takes a list)", toml: tomlStrings, multi: repeat, set: setPeers},
		{flag: "bgp-hold", key: "bgp.hold_after_down", arg: "duration", example: "2m",
			help: "keep a dropped session's routes this long (default 2m)", toml: tomlDuration,
			set: duration(func(c *Config) *time.Duration { return &c.BGP.HoldAfterDown })},
		{flag: "bgp-sync-timeout", key: "bgp.sync_timeout", arg: "duration", example: "1m",
			help: "a peer that sends no End-of-RIB counts as complete after this long (default 1m)", toml: tomlDuration,
			set: duration(func(c *Config) *time.Duration { return &c.BGP.SyncTimeout })},

		{key: "timing.roa_validity", def: "8736h", help: "validity of ROAs (52 weeks)", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Timing.ROAValidity }),
			check: positive(func(c *Config) time.Duration { return c.Timing.ROAValidity })},
		{key: "timing.roa_reissue_before", def: "672h", help: "reissue a ROA this long before it expires (4 weeks)", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Timing.ROAReissueBefore }),
			check: positive(func(c *Config) time.Duration { return c.Timing.ROAReissueBefore })},
		{key: "timing.manifest_validity", def: "24h", help: "validity of manifests and CRLs (plus a small random jitter)", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Timing.ManifestValidity }),
			check: positive(func(c *Config) time.Duration { return c.Timing.ManifestValidity })},
		{key: "timing.manifest_reissue_before", def: "8h", help: "reissue manifests and CRLs this long before they expire", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Timing.ManifestReissueBefore }),
			check: positive(func(c *Config) time.Duration { return c.Timing.ManifestReissueBefore })},

		{flag: "ca-handle", key: "ca.handle", def: "road", arg: "handle",
			help: "road's name in the <child_request> and <publisher_request> it prints (RFC 8183); set once, before the first exchange",
			toml: tomlString, set: str(func(c *Config) *string { return &c.Delegation.Handle }),
			check: notEmpty(func(c *Config) string { return c.Delegation.Handle })},
		{key: "ca.poll_interval", def: "10m", help: "how often each parent (RFC 6492 list) and repository (RFC 8181 list) is contacted",
			toml: tomlDuration, set: duration(func(c *Config) *time.Duration { return &c.Delegation.Poll }),
			check: atLeast(func(c *Config) time.Duration { return c.Delegation.Poll }, time.Second)},
		{key: "ca.poll_jitter", def: "0.1", help: "share (0..1) of the poll interval added at random to each wait, so that children do not poll in step",
			toml: tomlNumber, set: setShare(func(c *Config) *float64 { return &c.Delegation.PollJitter })},
		{key: "ca.backoff_max", def: "6h", help: "after failed exchanges the wait doubles from 10s up to this",
			toml: tomlDuration, set: duration(func(c *Config) *time.Duration { return &c.Delegation.BackoffMax }),
			check: positive(func(c *Config) time.Duration { return c.Delegation.BackoffMax })},
		{key: "ca.roll_staging", def: "24h", help: "a CA key roll's staging period: the new key's certificate and empty manifest are published this long before the new key signs (RFC 6489 §2 says at least 24h)",
			toml: tomlDuration, set: duration(func(c *Config) *time.Duration { return &c.KeyRoll.Staging }),
			check: positive(func(c *Config) time.Duration { return c.KeyRoll.Staging })},
		{key: "ca.roll_every", def: "0", help: "start a CA key roll when the current key is this old (e.g. 8760h; 0 = only by roactl ca roll)",
			toml: tomlDuration, set: duration(func(c *Config) *time.Duration { return &c.KeyRoll.Every }),
			check: notNegative(func(c *Config) time.Duration { return c.KeyRoll.Every })},

		{flag: "rp-tal", key: "rp.tals", arg: "file", example: "/usr/share/rpki/tals/ripe.tal",
			help: "also validate this TAL and serve its VRPs and ASPAs over RTR with road's own (the flag repeats; none by default)",
			toml: tomlStrings, multi: repeat, set: setRPTALs, check: checkRPTALs},
		{flag: "rp-interval", key: "rp.interval", def: "10m", arg: "duration",
			help: "how often the rp.tals TALs are validated (at least 1m, RFC 8182 §3.4.4)", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.RP.Interval }),
			check: atLeast(func(c *Config) time.Duration { return c.RP.Interval }, time.Minute)},
		{flag: "rp-max-loss", key: "rp.max_vrp_loss", def: "0.1", arg: "share",
			help: "share (0..1) of the last good VRPs a relying party run may lose without an approved change before RTR keeps the last good view",
			toml: tomlNumber, set: setShare(func(c *Config) *float64 { return &c.RP.MaxVRPLoss })},

		{key: "impact.max_harmed_routes", def: "0",
			help: "refuse a ROA change that turns more routes seen in BGP Invalid than this (0: no limit)", toml: tomlNumber,
			set:   integer(func(c *Config) *int { return &c.Impact.MaxHarmedRoutes }),
			check: intIn(func(c *Config) int { return c.Impact.MaxHarmedRoutes }, 0, 1<<30)},
		{key: "impact.max_harmed_share", def: "0",
			help: "refuse a ROA change whose routes turned Invalid cover more than this share (0..1) of the holder's announced IPv4 or IPv6 space (0: no limit)",
			toml: tomlNumber, set: setShare(func(c *Config) *float64 { return &c.Impact.MaxHarmedShare })},

		{flag: "publish-gate", key: "publish.gate", def: "true", boolean: true,
			help: "validate every staged publication offline with the bundled relying party before it goes live; any difference from the configured ROAs refuses it",
			toml: tomlBool, set: boolean(func(c *Config) *bool { return &c.Publish.Gate })},
		{key: "publish.gate_command", example: "rpki-client,-n,-j,-d,{cache},-t,{tal},{out}", multi: comma,
			help: "an external relying party that must agree with the gate: argv with {cache}, {tal}, {out} and {time}; VRP JSON read from {out}/json or its output",
			toml: tomlStrings, set: setGateCommand},
		{flag: "publish-gate-timeout", key: "publish.gate_timeout", def: "30s", arg: "duration",
			help: "a gate that has not finished within this refuses the publication", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Publish.GateTimeout }),
			check: positive(func(c *Config) time.Duration { return c.Publish.GateTimeout })},
		{flag: "publish-max-shrink", key: "publish.max_shrink", def: "0.5", arg: "share",
			help: "share (0..1) of the published objects one publication may withdraw; more (or an empty repository) needs a recorded override (roactl publish override)",
			toml: tomlNumber, set: setShare(func(c *Config) *float64 { return &c.Publish.MaxShrink })},
		{key: "ca.service_url", example: "https://road.example.net/",
			help: "base URL of road's RFC 6492 and RFC 8181 endpoints given to children and publishers (unset: http://ADDR:PORT/ of --http when it is plain HTTP, else https:// of --http or --https; an unspecified host becomes 127.0.0.1)",
			toml: tomlString, set: str(func(c *Config) *string { return &c.ServiceURL }),
			check: func(c *Config) error {
				if c.ServiceURL == "" || checkBaseURL(c.ServiceURL, "https") == nil {
					return nil
				}
				return checkBaseURL(c.ServiceURL, "http")
			}},

		{key: "schedule.expiry_audit", def: "@every 1h", help: "when the expiry audit runs (robfig/cron spec)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.Schedule.ExpiryAudit }), check: cronSpec(func(c *Config) string { return c.Schedule.ExpiryAudit })},
		{key: "schedule.consistency_audit", def: "@every 10m", help: "when the consistency audit runs", toml: tomlString,
			set:   str(func(c *Config) *string { return &c.Schedule.ConsistencyAudit }),
			check: cronSpec(func(c *Config) string { return c.Schedule.ConsistencyAudit })},
		{key: "schedule.bgp_audit", def: "@every 1h", help: "when the BGP audit runs", toml: tomlString,
			set: str(func(c *Config) *string { return &c.Schedule.BGPAudit }), check: cronSpec(func(c *Config) string { return c.Schedule.BGPAudit })},

		{key: "approval.force", def: "false", help: "a forced change (--force) needs a second token's approval", toml: tomlBool,
			set: boolean(func(c *Config) *bool { return &c.Approval.Force })},
		{key: "approval.origin_change", def: "false", toml: tomlBool,
			help: "a change authorizing another origin AS for an announced prefix needs a second token's approval",
			set:  boolean(func(c *Config) *bool { return &c.Approval.OriginChange })},
		{key: "approval.removes_valid", def: "false", toml: tomlBool,
			help: "removing a ROA that validates seen routes needs a second token's approval",
			set:  boolean(func(c *Config) *bool { return &c.Approval.RemovesValid })},
		{key: "approval.max_addresses", def: "0", toml: tomlNumber,
			help:  "a change whose ROAs cover more than this many addresses needs a second token's approval (0: off)",
			set:   integer(func(c *Config) *int { return &c.Approval.MaxAddresses }),
			check: intIn(func(c *Config) int { return c.Approval.MaxAddresses }, 0, 1<<62)},
		{key: "approval.expiry", def: "24h", help: "a change waiting for approval expires after this", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Approval.Expiry }),
			check: positive(func(c *Config) time.Duration { return c.Approval.Expiry })},
		{key: "approval.max_harmed_routes", def: "0", toml: tomlNumber,
			help:  "a change turning more than this many seen routes Invalid (its impact's harmed routes) needs a second token's approval (0: off)",
			set:   integer(func(c *Config) *int { return &c.Approval.MaxHarmedRoutes }),
			check: intIn(func(c *Config) int { return c.Approval.MaxHarmedRoutes }, 0, 1<<31)},
		{key: "approval.external_vrps_url", example: "https://rp.example.net/rpki-client.json", toml: tomlString,
			help:  "an external relying party's VRP JSON (rpki-client style); each applied change's timeline records when it shows the change (stage external)",
			set:   str(func(c *Config) *string { return &c.Approval.ExternalVRPs }),
			check: func(c *Config) error { return checkHTTPURL(c.Approval.ExternalVRPs) }},
		{key: "approval.external_vrps_interval", def: "1m", help: "how often approval.external_vrps_url is polled", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Approval.ExternalInterval }),
			check: positive(func(c *Config) time.Duration { return c.Approval.ExternalInterval })},
		{key: "approval.propagation_alarm", def: "15m", toml: tomlDuration,
			help:  "alarm when an applied change has not been published, validated by road's relying party and served over RTR this long after approval",
			set:   duration(func(c *Config) *time.Duration { return &c.PropagationAlarm }),
			check: positive(func(c *Config) time.Duration { return c.PropagationAlarm })},

		{key: "alerts.expiry_warning", def: "72h", help: "the expiry audit alerts when an effective expiry is this close", toml: tomlDuration,
			set:   duration(func(c *Config) *time.Duration { return &c.Alerts.ExpiryWarning }),
			check: positive(func(c *Config) time.Duration { return c.Alerts.ExpiryWarning })},
		{key: "alerts.webhook", example: "https://hooks.example.net/road", help: "URL that receives audits with findings as JSON",
			toml: tomlString, set: str(func(c *Config) *string { return &c.Alerts.Webhook }), check: checkWebhook},

		{flag: "hsm-module", key: "hsm.module", arg: "file", example: "/usr/lib/softhsm/libsofthsm2.so",
			help: "PKCS#11 module of the token that holds the TA, CA and BPKI identity keys (default: keys in the database)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.HSM.Module })},
		{flag: "hsm-token-label", key: "hsm.token_label", arg: "label", example: "road",
			help: "label of the PKCS#11 token", toml: tomlString,
			set: str(func(c *Config) *string { return &c.HSM.TokenLabel })},
		{flag: "hsm-pin-file", key: "hsm.pin_file", arg: "file", example: "/etc/road/hsm.pin",
			help: "file holding the token's user PIN (mode 0600)", toml: tomlString,
			set: str(func(c *Config) *string { return &c.HSM.PINFile }), check: checkHSM},
	}
}

// section is the TOML table of a key ("" for top-level keys).
func section(key string) string {
	s, _, ok := strings.Cut(key, ".")
	if !ok {
		return ""
	}
	return s
}

// mustDefault applies a row's default; the defaults are constants of the
// table, so a failure is a bug that TestDefaults catches.
func (s *setting[T]) mustDefault(c *T) {
	if s.def == "" || s.set == nil {
		return
	}
	if err := s.set(c, s.split([]string{s.def})); err != nil {
		panic(fmt.Sprintf("config: default of %s: %v", s.label(), err))
	}
}
