// Package config is road's daemon configuration: defaults (DESIGN.md
// "Embedded default"), a TOML file (--config), the ROAD_DATA_DIR environment
// variable and command-line flags, in that order of increasing precedence.
// One settings table (settings.go) drives all of them, --help, validation and
// the generated reference docs/config.md and road.example.toml. Everything is
// validated before the daemon starts; bad input wraps ErrUsage so road exits 2.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"
)

// ErrUsage marks errors caused by bad flags, environment or config file.
var ErrUsage = errors.New("usage")

// EnvDataDir names the environment variable that sets the data directory.
const EnvDataDir = "ROAD_DATA_DIR"

// Config is the daemon's complete configuration. An empty listen address
// disables that listener.
type Config struct {
	ConfigFile string // path given with --config, "" when none

	DataDir string
	HTTP    string // REST, /metrics, /healthz, /readyz, RRDP for local tools
	HTTPS   string // RRDP over TLS
	TLSCert string // "" with TLSKey "": use the testbed TLS CA
	TLSKey  string
	RTR     string
	// RTR over TLS (RFC 8210 §9.2): certificate and key, and optionally a CA
	// whose router certificates are required.
	RTRTLSCert, RTRTLSKey, RTRTLSClientCA string
	RsyncBase                             string // rsync://HOST[:PORT]/MODULE/...
	RRDPBase                              string // https://HOST[:PORT]/PATH/
	LogLevel                              string // debug, info, warn, error
	LogFormat                             string // text or json
	// SLURMFile is an RFC 8416 file applied to the bundled RP's VRPs before
	// RTR serves them ("" = none).
	SLURMFile string

	// ServiceURL is the base URL of the RFC 6492 and RFC 8181 endpoints in
	// parent_response and repository_response ("" = derived from the
	// listeners, see internal/parent).
	ServiceURL string

	// Resources the testbed trust anchor holds (RFC 3779).
	Resources []netip.Prefix
	ASNs      []ASRange

	BGP       BGP
	Timing    Timing
	RP        RP
	Impact    Impact
	Publish   Publish
	Schedule  Schedule
	Alerts    Alerts
	RTRTimers RTRTimers
	RTRLimits RTRLimits
	RTRWaves  RTRWaves
	// Delegation is road as a delegated CA: its handle and how it polls
	// its parents and repository (internal/delegation).
	Delegation Delegation
	// KeyRoll is the CA key rollover schedule (RFC 6489, internal/ca).
	KeyRoll KeyRoll
	// HTTPServer is how the --http listener is served (TLS, plain HTTP on
	// a non-loopback address) and the limits of every HTTP(S) server.
	HTTPServer HTTPServer
	// HSM is the PKCS#11 token of the CA and identity keys (zero: software).
	HSM HSM
	// Approval is the two-person rule: which ROA changes wait for a
	// second token's approval, and for how long.
	Approval Approval
	// PropagationAlarm: an applied change that has not reached a stage of
	// its propagation (published, validated, served by RTR) this long
	// after it was approved raises an alarm.
	PropagationAlarm time.Duration
}

// HTTPServer configures the REST/metrics listener's transport and the
// timeouts, header bound and access log of both HTTP(S) listeners.
type HTTPServer struct {
	TLS        string // "off", "testbed" (DataDir/tls) or "file" (TLSCert, TLSKey)
	TLSCert    string
	TLSKey     string
	AllowPlain bool // plain HTTP on a non-loopback address was asked for

	ReadHeaderTimeout time.Duration // also bounds the TLS handshake
	ReadTimeout       time.Duration // a whole request, body included
	WriteTimeout      time.Duration // from the end of the request header to the end of the response
	IdleTimeout       time.Duration // a keep-alive connection between requests
	MaxHeaderBytes    int
	AccessLog         string // "info", "debug" or "off"
}

// RTRLimits bound what RTR connections may cost: how long a connection may
// stay silent and how many may be open.
type RTRLimits struct {
	HandshakeTimeout time.Duration // from accept to the first query
	PDUTimeout       time.Duration // from a PDU's first byte to its last
	SessionTimeout   time.Duration // between queries of a session; 0 = the expire interval
	MaxConnections   int
	MaxPerSource     int
}

// ASRange is an inclusive range of AS numbers; Min == Max for one ASN.
type ASRange struct {
	Min, Max uint32
}

func (r ASRange) String() string {
	if r.Min == r.Max {
		return fmt.Sprintf("AS%d", r.Min)
	}
	return fmt.Sprintf("AS%d-AS%d", r.Min, r.Max)
}

// BGP configures the embedded passive BGP speaker; it runs only when Listen is set.
type BGP struct {
	Listen   string
	ASN      uint32
	RouterID netip.Addr
	Peers    []BGPPeer
	// HoldAfterDown keeps a dropped session's routes this long; SyncTimeout
	// is when a peer that sends no End-of-RIB counts as complete (0: the
	// daemon's defaults).
	HoldAfterDown time.Duration
	SyncTimeout   time.Duration
}

// Enabled reports whether the BGP speaker is configured.
func (b BGP) Enabled() bool { return b.Listen != "" }

// BGPPeer is one passive neighbour, written ASN@ADDRESS.
type BGPPeer struct {
	ASN     uint32
	Address netip.Addr
}

func (p BGPPeer) String() string { return fmt.Sprintf("%d@%s", p.ASN, p.Address) }

// Timing controls object lifetimes and when they are reissued.
type Timing struct {
	ROAValidity           time.Duration
	ROAReissueBefore      time.Duration
	ManifestValidity      time.Duration // manifests and CRLs
	ManifestReissueBefore time.Duration
}

// Delegation configures road as a child CA and publisher.
type Delegation struct {
	Handle     string        // road's name in <child_request/> and <publisher_request/>
	Poll       time.Duration // how often each parent and repository is contacted
	PollJitter float64       // up to this share of Poll more, at random
	BackoffMax time.Duration // the longest wait after failures in a row
}

// KeyRoll is when the CA's key is rolled ([ca] roll_staging, roll_every).
type KeyRoll struct {
	Staging time.Duration // between the new key's certificate and its activation (RFC 6489 §2 step 4)
	Every   time.Duration // start a roll when the key is this old (0: only by command)
}

// RP configures the relying party whose VRPs and ASPAs RTR serves.
type RP struct {
	// TALs are extra trust anchor locator files (e.g. the RIRs' TALs that
	// Debian's rpki-trust-anchors installs); none by default: only road's own.
	TALs []string
	// Interval is how often the TALs are validated.
	Interval time.Duration
	// MaxVRPLoss is the share (0..1) of the last good VRPs a run may lose
	// without an approved change before RTR keeps the last good view.
	MaxVRPLoss float64
}

// Publish configures the checks between staging a publication and making
// it live (internal/gate).
type Publish struct {
	// Gate runs the pre-publication gate: the bundled relying party
	// validates the staged tree offline and must find exactly the
	// configured ROAs.
	Gate bool
	// GateCommand is an external relying party that must agree (argv with
	// {cache}, {tal}, {out}, {time}); empty: none.
	GateCommand []string
	GateTimeout time.Duration
	// MaxShrink is the share (0..1) of the published objects one
	// publication may withdraw without a recorded operator override.
	MaxShrink float64
}

// Schedule holds robfig/cron specs ("@every 10s" included).
type Schedule struct {
	ExpiryAudit      string
	ConsistencyAudit string
	BGPAudit         string
}

// Alerts configures the expiry audit's alerting.
// Approval says which ROA changes need a second token's approval. Its
// fields match proposal.Policy's (the daemon converts one to the other).
type Approval struct {
	Force        bool // any forced change
	OriginChange bool // a change authorizing another origin for an announced prefix
	RemovesValid bool // a removal of a ROA that validates seen routes
	// MaxAddresses: a change touching more addresses than this (0: off).
	MaxAddresses int
	Expiry       time.Duration // a pending change expires after this
	// MaxHarmedRoutes: a change turning more routes Invalid than this (0: off).
	MaxHarmedRoutes int
	// ExternalVRPs: an external relying party's VRP JSON URL ("": none),
	// polled every ExternalInterval to follow changes to it.
	ExternalVRPs     string
	ExternalInterval time.Duration
}

type Alerts struct {
	ExpiryWarning time.Duration
	Webhook       string // optional URL receiving JSON alerts
}

// RTRTimers are the values the RTR server announces in End of Data
// (RFC 8210 §6), in seconds, and the minimum gap between Serial Notify PDUs.
type RTRTimers struct {
	Refresh        uint32
	Retry          uint32
	Expire         uint32
	NotifyInterval time.Duration
}

// Default returns the embedded default configuration: the defaults of the
// settings table.
func Default() *Config {
	c := defaults()
	c.derive()
	return c
}

// defaults is the table's defaults, before the derived ones.
func defaults() *Config {
	c := &Config{}
	table := settings()
	for i := range table {
		table[i].mustDefault(c)
	}
	return c
}

// FallbackRRDPBase is the RRDP base when it is not set and the HTTPS
// listener names no host to derive it from.
const FallbackRRDPBase = "https://127.0.0.1:8443/rrdp/"

// derive fills the defaults that follow other settings: an unset RRDP base
// is the HTTPS listener's, so road's own relying party (and every other)
// fetches from the port road serves RRDP on.
func (c *Config) derive() {
	if c.RRDPBase == "" {
		c.RRDPBase = RRDPBaseFor(c.HTTPS)
	}
}

// RRDPBaseFor is the RRDP base URL an HTTPS listener on addr serves:
// https://ADDR:PORT/rrdp/ when addr's host is an address or a name, else
// (no listener, an unspecified address such as 0.0.0.0 or ::, a zone)
// FallbackRRDPBase.
func RRDPBaseFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" || strings.Contains(host, "%") {
		return FallbackRRDPBase
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		return FallbackRRDPBase
	}
	return "https://" + net.JoinHostPort(host, port) + "/rrdp/"
}

// The files road keeps in the data directory (docs/contract.md).
const (
	TALFileName      = "road.tal"
	TokenFileName    = "admin.token"
	DatabaseFileName = "road.db"
)

// TALFile is the path of the TAL road writes for relying parties.
func (c *Config) TALFile() string { return filepath.Join(c.DataDir, TALFileName) }

// TokenFile is the path of the REST API's admin token.
func (c *Config) TokenFile() string { return filepath.Join(c.DataDir, TokenFileName) }

// DatabaseFile is the path of the SQLite database.
func (c *Config) DatabaseFile() string { return filepath.Join(c.DataDir, DatabaseFileName) }

// SlogLevel is LogLevel as a slog.Level (validated by Parse).
func (c *Config) SlogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// Parse builds the configuration from args (without the program name and
// subcommand) and the environment: defaults, then --config FILE, then the
// environment, then the flags. -h/--help returns an error wrapping
// flag.ErrHelp.
func Parse(args []string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	table := settings()
	given, err := parseFlags(table, args)
	if err != nil {
		return nil, err
	}
	c := defaults()
	byFlag := map[string]bool{}
	for _, g := range given {
		byFlag[g.row.flag] = true
		if g.row.flag == "config" {
			if err := g.apply(c); err != nil {
				return nil, err
			}
			if err := loadFile(c, table, c.ConfigFile); err != nil {
				return nil, err
			}
		}
	}
	for i := range table {
		s := &table[i]
		if s.env == "" || byFlag[s.flag] {
			continue
		}
		if v := strings.TrimSpace(getenv(s.env)); v != "" {
			if err := s.set(c, s.split([]string{v})); err != nil {
				return nil, usageErr("%s: %v", s.env, err)
			}
		}
	}
	for _, g := range given {
		if err := g.apply(c); err != nil {
			return nil, err
		}
	}
	c.derive()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}
