package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
)

// Validate checks every field; errors name the TOML key and the flag.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return usageErr("data_dir (--data-dir): must not be empty")
	}
	for _, a := range []struct{ key, flag, v string }{
		{"http", "--http", c.HTTP}, {"https", "--https", c.HTTPS}, {"rtr", "--rtr", c.RTR},
		{"bgp.listen", "--bgp-listen", c.BGP.Listen},
	} {
		if a.v == "" {
			continue
		}
		if err := checkListen(a.v); err != nil {
			return usageErr("%s (%s): %v", a.key, a.flag, err)
		}
	}
	if (c.RTRTLSCert == "") != (c.RTRTLSKey == "") {
		return usageErr("rtr.tls_cert (--rtr-tls-cert) and rtr.tls_key (--rtr-tls-key) must be given together")
	}
	if c.RTRTLSClientCA != "" && c.RTRTLSCert == "" {
		return usageErr("rtr.tls_client_ca (--rtr-tls-client-ca) needs --rtr-tls-cert and --rtr-tls-key")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return usageErr("tls_cert (--tls-cert) and tls_key (--tls-key) must be given together")
	}
	if err := checkBaseURL(c.RsyncBase, "rsync"); err != nil {
		return usageErr("rsync_base (--rsync-base): %v", err)
	}
	if err := checkBaseURL(c.RRDPBase, "https"); err != nil {
		return usageErr("rrdp_base (--rrdp-base): %v", err)
	}
	if len(c.Resources) == 0 && len(c.ASNs) == 0 {
		return usageErr("resources (--resources): the CA must hold at least one prefix or ASN")
	}
	for _, p := range c.Resources {
		if _, err := parsePrefix(p.String()); err != nil || p != p.Masked() {
			return usageErr("resources (--resources): bad prefix %s", p)
		}
	}
	for _, r := range c.ASNs {
		if r.Max < r.Min {
			return usageErr("asns (--asns): AS range %s is reversed", r)
		}
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return usageErr("log_level (--log-level): %q is not debug, info, warn or error", c.LogLevel)
	}
	if err := c.validateBGP(); err != nil {
		return err
	}
	if err := c.validateTiming(); err != nil {
		return err
	}
	for _, s := range []struct{ key, spec string }{
		{"schedule.expiry_audit", c.Schedule.ExpiryAudit},
		{"schedule.consistency_audit", c.Schedule.ConsistencyAudit},
		{"schedule.bgp_audit", c.Schedule.BGPAudit},
	} {
		if _, err := cron.ParseStandard(s.spec); err != nil {
			return usageErr("%s: %q is not a cron spec: %v", s.key, s.spec, err)
		}
	}
	if c.Alerts.ExpiryWarning <= 0 {
		return usageErr("alerts.expiry_warning: must be positive, got %s", c.Alerts.ExpiryWarning)
	}
	if w := c.Alerts.Webhook; w != "" {
		u, err := url.Parse(w)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErr("alerts.webhook: %q is not an http(s) URL", w)
		}
	}
	return c.validateRTR()
}

func (c *Config) validateBGP() error {
	b := c.BGP
	if b.Listen == "" {
		if b.ASN != 0 || b.RouterID.IsValid() || len(b.Peers) > 0 {
			return usageErr("bgp.listen (--bgp-listen): required when bgp.asn, bgp.router_id or bgp.peers is set")
		}
		return nil
	}
	if b.ASN == 0 {
		return usageErr("bgp.asn (--bgp-asn): required with --bgp-listen, and AS0 is reserved (RFC 7607)")
	}
	if !b.RouterID.IsValid() {
		return usageErr("bgp.router_id (--bgp-router-id): required with --bgp-listen")
	}
	seen := map[string]bool{}
	for _, p := range b.Peers {
		if p.ASN == 0 {
			return usageErr("bgp.peers (--bgp-peer): %s: AS0 is reserved (RFC 7607)", p)
		}
		if seen[p.Address.String()] {
			return usageErr("bgp.peers (--bgp-peer): address %s given twice", p.Address)
		}
		seen[p.Address.String()] = true
	}
	return nil
}

func (c *Config) validateTiming() error {
	t := c.Timing
	for _, d := range []struct {
		key string
		v   int64
	}{
		{"timing.roa_validity", int64(t.ROAValidity)}, {"timing.roa_reissue_before", int64(t.ROAReissueBefore)},
		{"timing.manifest_validity", int64(t.ManifestValidity)}, {"timing.manifest_reissue_before", int64(t.ManifestReissueBefore)},
	} {
		if d.v <= 0 {
			return usageErr("%s: must be positive", d.key)
		}
	}
	if t.ROAReissueBefore >= t.ROAValidity {
		return usageErr("timing.roa_reissue_before (%s) must be less than timing.roa_validity (%s)", t.ROAReissueBefore, t.ROAValidity)
	}
	if t.ManifestReissueBefore >= t.ManifestValidity {
		return usageErr("timing.manifest_reissue_before (%s) must be less than timing.manifest_validity (%s)", t.ManifestReissueBefore, t.ManifestValidity)
	}
	return nil
}

// validateRTR applies the RFC 8210 §6 ranges of the End of Data timers.
func (c *Config) validateRTR() error {
	r := c.RTRTimers
	for _, t := range []struct {
		key      string
		v        uint32
		min, max uint32
	}{
		{"rtr.refresh (--rtr-refresh)", r.Refresh, 1, 86400},
		{"rtr.retry (--rtr-retry)", r.Retry, 1, 7200},
		{"rtr.expire (--rtr-expire)", r.Expire, 600, 172800},
	} {
		if t.v < t.min || t.v > t.max {
			return usageErr("%s: %d outside %d..%d seconds (RFC 8210 §6)", t.key, t.v, t.min, t.max)
		}
	}
	if r.Expire <= r.Refresh || r.Expire <= r.Retry {
		return usageErr("rtr.expire (--rtr-expire): %d must be larger than refresh %d and retry %d (RFC 8210 §6)", r.Expire, r.Refresh, r.Retry)
	}
	if r.NotifyInterval < 0 {
		return usageErr("rtr.notify_interval (--rtr-notify-interval): must not be negative")
	}
	return nil
}

// checkListen accepts HOST:PORT where HOST is an IP literal, a name or empty
// (all interfaces) and PORT is 0..65535.
func checkListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT: %v", s, err)
	}
	_, err = strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("%q: port %q is not 0..65535", s, port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: bad host %q", s, host)
	}
	return nil
}

// checkBaseURL requires scheme://HOST[:PORT]/PATH/ with a trailing slash.
func checkBaseURL(s, scheme string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q: %v", s, err)
	}
	if u.Scheme != scheme {
		return fmt.Errorf("%q must start with %s://", s, scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if p := u.Port(); p != "" {
		if _, err := strconv.ParseUint(p, 10, 16); err != nil {
			return fmt.Errorf("%q: bad port %q", s, p)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must not carry user info, query or fragment", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		return fmt.Errorf("%q must end with '/'", s)
	}
	if scheme == "rsync" && strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("%q names no rsync module (rsync://HOST/MODULE/)", s)
	}
	return nil
}
