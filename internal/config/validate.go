package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Validate checks every setting (the table's checks, in table order), then
// the rules that tie settings together; errors name the TOML key and the flag.
func (c *Config) Validate() error {
	for _, s := range settings() {
		if s.check == nil {
			continue
		}
		if err := s.check(c); err != nil {
			return usageErr("%s: %v", s.label(), err)
		}
	}
	for _, check := range []func() error{c.validatePairs, c.validateBGP, c.validateTiming, c.validateRTR, c.validateHTTP} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validatePairs: settings that only make sense together.
func (c *Config) validatePairs() error {
	if (c.RTRTLSCert == "") != (c.RTRTLSKey == "") {
		return usageErr("rtr.tls_cert (--rtr-tls-cert) and rtr.tls_key (--rtr-tls-key) must be given together")
	}
	if c.RTRTLSClientCA != "" && c.RTRTLSCert == "" {
		return usageErr("rtr.tls_client_ca (--rtr-tls-client-ca) needs --rtr-tls-cert and --rtr-tls-key")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return usageErr("tls_cert (--tls-cert) and tls_key (--tls-key) must be given together")
	}
	if len(c.Resources) == 0 && len(c.ASNs) == 0 {
		return usageErr("resources (--resources): the CA must hold at least one prefix or ASN")
	}
	for _, r := range c.ASNs {
		if r.Max < r.Min {
			return usageErr("asns (--asns): AS range %s is reversed", r)
		}
	}
	return nil
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
	if t.ROAReissueBefore >= t.ROAValidity {
		return usageErr("timing.roa_reissue_before (%s) must be less than timing.roa_validity (%s)", t.ROAReissueBefore, t.ROAValidity)
	}
	if t.ManifestReissueBefore >= t.ManifestValidity {
		return usageErr("timing.manifest_reissue_before (%s) must be less than timing.manifest_validity (%s)", t.ManifestReissueBefore, t.ManifestValidity)
	}
	return nil
}

// validateRTR: RFC 8210 §6 wants expire above refresh and retry.
func (c *Config) validateRTR() error {
	r := c.RTRTimers
	if r.Expire <= r.Refresh || r.Expire <= r.Retry {
		return usageErr("rtr.expire (--rtr-expire): %d must be larger than refresh %d and retry %d (RFC 8210 §6)", r.Expire, r.Refresh, r.Retry)
	}
	return nil
}

// checkListen accepts HOST:PORT where HOST is an IP literal, a name or empty
// (all interfaces) and PORT is 0..65535.
func checkListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT: %w", s, err)
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
		return fmt.Errorf("%q: %w", s, err)
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

// HTTP TLS modes of --http-tls.
const (
	HTTPTLSOff     = "off"
	HTTPTLSTestbed = "testbed"
	HTTPTLSFile    = "file"
)

func checkHTTPTLS(c *Config) error {
	switch c.HTTPServer.TLS {
	case HTTPTLSOff, HTTPTLSTestbed, HTTPTLSFile:
		return nil
	}
	return fmt.Errorf("%q is not off, testbed or file", c.HTTPServer.TLS)
}

func checkAccessLog(c *Config) error {
	switch c.HTTPServer.AccessLog {
	case "info", "debug", "off":
		return nil
	}
	return fmt.Errorf("%q is not info, debug or off", c.HTTPServer.AccessLog)
}

// validateHTTP: the certificate files go with --http-tls file, and the
// REST API, whose bearer token is a password, is not served in cleartext
// beyond loopback unless the operator says so.
func (c *Config) validateHTTP() error {
	h := c.HTTPServer
	if (h.TLSCert == "") != (h.TLSKey == "") {
		return usageErr("http.tls_cert (--http-tls-cert) and http.tls_key (--http-tls-key) must be given together")
	}
	if (h.TLS == HTTPTLSFile) != (h.TLSCert != "") {
		return usageErr("http.tls (--http-tls) file goes with http.tls_cert (--http-tls-cert) and http.tls_key (--http-tls-key), and they only with it")
	}
	if c.HTTP != "" && h.TLS == HTTPTLSOff && !h.AllowPlain && !IsLoopback(c.HTTP) {
		return usageErr("http.listen (--http) %s is not a loopback address: the REST API would send the admin token in cleartext; "+
			"serve it over TLS with --http-tls testbed|file, or allow plain HTTP with --http-allow-plain", c.HTTP)
	}
	if l := c.RTRLimits; l.MaxPerSource > l.MaxConnections {
		return usageErr("rtr.max_per_source (--rtr-max-per-source) %d is above rtr.max_connections (--rtr-max-connections) %d", l.MaxPerSource, l.MaxConnections)
	}
	return nil
}

// IsLoopback reports whether a HOST:PORT listen address binds loopback only:
// a loopback IP literal or "localhost". An empty host (every interface) or
// any other name is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
