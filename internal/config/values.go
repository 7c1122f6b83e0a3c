package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// The destinations and parsers of the settings table. A setter gets the
// values of one source (flag, file or default) and replaces the
// destination; its error names the value, the caller names the setting.

func str[T any](dst func(*T) *string) func(*T, []string) error {
	return func(c *T, vs []string) error {
		*dst(c) = strings.TrimSpace(vs[0])
		return nil
	}
}

func duration[T any](dst func(*T) *time.Duration) func(*T, []string) error {
	return func(c *T, vs []string) error {
		d, err := parseDuration(vs[0])
		if err != nil {
			return err
		}
		*dst(c) = d
		return nil
	}
}

// seconds reads an RTR End of Data timer, which the PDU carries in whole
// seconds (RFC 8210 §6), in the duration syntax of every other setting.
func seconds[T any](dst func(*T) *uint32) func(*T, []string) error {
	return func(c *T, vs []string) error {
		d, err := parseDuration(vs[0])
		if err != nil {
			return err
		}
		if err := wholeSeconds(d); err != nil {
			return err
		}
		if d < 0 || d > (1<<32-1)*time.Second {
			return fmt.Errorf("%s out of range", d)
		}
		*dst(c) = uint32(d / time.Second)
		return nil
	}
}

func wholeSeconds(d time.Duration) error {
	if d%time.Second != 0 {
		return fmt.Errorf("%s is not a whole number of seconds (RFC 8210 §6)", d)
	}
	return nil
}

// setResources splits items into IP prefixes and AS ranges. Prefixes replace
// c.Resources; AS ranges, when present, replace c.ASNs.
func setResources(c *Config, items []string) error {
	var pfx []netip.Prefix
	var asn []string
	for _, it := range items {
		if isASItem(it) {
			asn = append(asn, it)
			continue
		}
		p, err := parsePrefix(it)
		if err != nil {
			return err
		}
		pfx = append(pfx, p)
	}
	c.Resources = pfx
	if len(asn) > 0 {
		r, err := parseASRanges(asn)
		if err != nil {
			return err
		}
		c.ASNs = r
	}
	return nil
}

func setASNs(c *Config, items []string) error {
	r, err := parseASRanges(items)
	if err != nil {
		return err
	}
	c.ASNs = r
	return nil
}

func setBGPASN(c *Config, vs []string) error {
	a, err := parseASN(vs[0])
	if err != nil {
		return err
	}
	c.BGP.ASN = a
	return nil
}

func setRouterID(c *Config, vs []string) error {
	id, err := parseRouterID(vs[0])
	if err != nil {
		return err
	}
	c.BGP.RouterID = id
	return nil
}

func setPeers(c *Config, vs []string) error {
	c.BGP.Peers = nil
	for _, s := range vs {
		p, err := parsePeer(s)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		c.BGP.Peers = append(c.BGP.Peers, p)
	}
	return nil
}

// Checks of one destination; the caller prefixes the setting's label.

func notEmpty[T any](get func(*T) string) func(*T) error {
	return func(c *T) error {
		if strings.TrimSpace(get(c)) == "" {
			return errors.New("must not be empty")
		}
		return nil
	}
}

func listen[T any](get func(*T) string) func(*T) error {
	return func(c *T) error {
		if v := get(c); v != "" {
			return checkListen(v)
		}
		return nil
	}
}

func baseURL(get func(*Config) string, scheme string) func(*Config) error {
	return func(c *Config) error { return checkBaseURL(get(c), scheme) }
}

func positive[T any](get func(*T) time.Duration) func(*T) error {
	return func(c *T) error {
		if d := get(c); d <= 0 {
			return fmt.Errorf("must be positive, got %s", d)
		}
		return nil
	}
}

func notNegative[T any](get func(*T) time.Duration) func(*T) error {
	return func(c *T) error {
		if get(c) < 0 {
			return errors.New("must not be negative")
		}
		return nil
	}
}

// secondsIn applies an RFC 8210 §6 range of the End of Data timers.
func secondsIn(get func(*Config) uint32, lo, hi uint32) func(*Config) error {
	return func(c *Config) error {
		if v := get(c); v < lo || v > hi {
			return fmt.Errorf("%ds outside %ds..%ds (RFC 8210 §6)", v, lo, hi)
		}
		return nil
	}
}

// timerIn is secondsIn for a timer kept as a duration (road rtr).
func timerIn[T any](get func(*T) time.Duration, lo, hi uint32) func(*T) error {
	return func(c *T) error {
		d := get(c)
		if err := wholeSeconds(d); err != nil {
			return err
		}
		if d < time.Duration(lo)*time.Second || d > time.Duration(hi)*time.Second {
			return fmt.Errorf("%ds outside %ds..%ds (RFC 8210 §6)", d/time.Second, lo, hi)
		}
		return nil
	}
}

func cronSpec(get func(*Config) string) func(*Config) error {
	return func(c *Config) error {
		if _, err := cron.ParseStandard(get(c)); err != nil {
			return fmt.Errorf("%q is not a cron spec: %w", get(c), err)
		}
		return nil
	}
}

func checkResources(c *Config) error {
	for _, p := range c.Resources {
		if _, err := parsePrefix(p.String()); err != nil || p != p.Masked() {
			return fmt.Errorf("bad prefix %s", p)
		}
	}
	return nil
}

func checkLogLevel(c *Config) error {
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("%q is not debug, info, warn or error", c.LogLevel)
}

func logFormat[T any](get func(*T) string) func(*T) error {
	return func(c *T) error { return CheckLogFormat(get(c)) }
}

// CheckLogFormat accepts the values of --log-format (road serve, rtr and
// validate): "text" or "json".
func CheckLogFormat(f string) error {
	if f == "text" || f == "json" {
		return nil
	}
	return fmt.Errorf("%q is not text or json", f)
}

func checkWebhook(c *Config) error { return checkHTTPURL(c.Alerts.Webhook) }

// checkHTTPURL accepts "" (unset) or an http(s) URL with a host.
func checkHTTPURL(w string) error {
	if w == "" {
		return nil
	}
	u, err := url.Parse(w)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", w)
	}
	return nil
}

// tomlKind is the TOML value type a key takes; values reach the setter as
// the strings a flag would give.
type tomlKind int

const (
	tomlString   tomlKind = iota
	tomlDuration          // a string in Go duration syntax, or an integer number of seconds
	tomlASN               // 64500 or "AS64500"
	tomlStrings           // an array of strings
	tomlASNs              // an array of integers or strings ("AS64496-AS64511")
	tomlNumber            // an integer or a float
	tomlBool              // true or false
	tomlTables            // an array of tables (each becomes one flag-syntax value)
)

// values converts a decoded TOML value to setter input.
func (k tomlKind) values(v any) ([]string, error) {
	switch k {
	case tomlString:
		if s, ok := v.(string); ok {
			return []string{s}, nil
		}
		return nil, fmt.Errorf("must be a string, not %v", v)
	case tomlDuration:
		switch d := v.(type) {
		case string:
			return []string{d}, nil
		case int64:
			return []string{strconv.FormatInt(d, 10)}, nil
		}
		return nil, fmt.Errorf("must be a duration string such as \"90s\" or an integer number of seconds, not %v", v)
	case tomlASN:
		return asnItems([]any{v})
	case tomlNumber:
		switch n := v.(type) {
		case int64:
			return []string{strconv.FormatInt(n, 10)}, nil
		case float64:
			return []string{strconv.FormatFloat(n, 'g', -1, 64)}, nil
		}
		return nil, fmt.Errorf("must be a number, not %v", v)
	case tomlTables:
		return waveTables(v)
	case tomlBool:
		if b, ok := v.(bool); ok {
			return []string{strconv.FormatBool(b)}, nil
		}
		return nil, fmt.Errorf("must be true or false, not %v", v)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be a list, not %v", v)
	}
	if k == tomlASNs {
		return asnItems(list)
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a string", x)
		}
		out = append(out, s)
	}
	return out, nil
}

// asnItems turns TOML values (integers or strings) into ASN strings.
func asnItems(vs []any) ([]string, error) {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		switch v := v.(type) {
		case int64:
			out = append(out, strconv.FormatInt(v, 10))
		case string:
			out = append(out, v)
		default:
			return nil, fmt.Errorf("%v is neither an ASN number nor a string like \"AS64496-AS64511\"", v)
		}
	}
	return out, nil
}

// setShare parses a share between 0 and 1.
func setShare(dst func(*Config) *float64) func(*Config, []string) error {
	return func(c *Config, vs []string) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(vs[0]), 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return fmt.Errorf("%q is not a share between 0 and 1", vs[0])
		}
		*dst(c) = f
		return nil
	}
}

func setRPTALs(c *Config, vs []string) error {
	c.RP.TALs = nil
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			c.RP.TALs = append(c.RP.TALs, v)
		}
	}
	return nil
}

func setGateCommand(c *Config, vs []string) error {
	c.Publish.GateCommand = nil
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" || c.Publish.GateCommand != nil {
			c.Publish.GateCommand = append(c.Publish.GateCommand, v)
		}
	}
	return nil
}

// checkRPTALs: every TAL file is there when road starts.
func checkRPTALs(c *Config) error {
	for _, t := range c.RP.TALs {
		if st, err := os.Stat(t); err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("%q is not a readable TAL file", t)
		}
	}
	return nil
}

func atLeast(get func(*Config) time.Duration, lo time.Duration) func(*Config) error {
	return func(c *Config) error {
		if d := get(c); d < lo {
			return fmt.Errorf("must be at least %s, got %s", lo, d)
		}
		return nil
	}
}
