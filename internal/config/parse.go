package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

func isASItem(s string) bool {
	return !strings.ContainsAny(s, "./:")
}

// parsePrefix accepts a masked CIDR prefix without zone or IPv4-mapped form.
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("prefix %q: %w", s, err)
	}
	if p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("prefix %q: IPv4-mapped or zoned addresses are not allowed", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("prefix %q has host bits set (did you mean %s?)", s, p.Masked())
	}
	return p, nil
}

// parseASRanges reads "AS64496-AS64511", "64496-64511" or a single ASN.
func parseASRanges(items []string) ([]ASRange, error) {
	var out []ASRange
	for _, it := range items {
		lo, hi, isRange := strings.Cut(it, "-")
		a, err := parseASN(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseASN(hi); err != nil {
				return nil, err
			}
		}
		if b < a {
			return nil, fmt.Errorf("AS range %q is reversed", it)
		}
		out = append(out, ASRange{Min: a, Max: b})
	}
	return out, nil
}

// parseASN reads "AS64496", "as64496" or "64496".
func parseASN(s string) (uint32, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && strings.EqualFold(t[:2], "AS") {
		t = t[2:]
	}
	n, err := strconv.ParseUint(t, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("ASN %q is not AS0..AS4294967295", s)
	}
	return uint32(n), nil
}

// parsePeer reads ASN@ADDRESS.
func parsePeer(s string) (BGPPeer, error) {
	a, addr, ok := strings.Cut(strings.TrimSpace(s), "@")
	if !ok {
		return BGPPeer{}, errors.New("want ASN@ADDRESS, e.g. 64501@127.0.0.1")
	}
	asn, err := parseASN(a)
	if err != nil {
		return BGPPeer{}, err
	}
	ip, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	if err != nil {
		return BGPPeer{}, fmt.Errorf("address %q: %w", addr, err)
	}
	return BGPPeer{ASN: asn, Address: ip.Unmap()}, nil
}

// parseRouterID reads a BGP identifier: an IPv4 address (RFC 4271 §4.2).
func parseRouterID(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !ip.Is4() || ip.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("router ID %q must be a non-zero IPv4 address", s)
	}
	return ip, nil
}

// parseDuration reads every duration road takes, flags and file alike:
// Go syntax ("90s", "1h30m", "-1s") or a bare integer number of seconds
// ("3600"), so road serve, road rtr and the TOML file agree.
func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, fmt.Errorf("%q seconds is out of range", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"90s\", \"1h\" or a number of seconds", s)
	}
	return d, nil
}
