package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RTRWaves configures staged RTR rollouts (internal/waves): a new VRP set
// goes to the first wave of routers, then after each wave's hold time, if
// health holds, to the next. No waves: every router gets every set at once.
type RTRWaves struct {
	Waves         []RTRWave
	HealthCommand string        // run with /bin/sh -c; must exit 0
	HealthURL     string        // must answer 2xx
	HealthTimeout time.Duration // one command or URL check
	MaxInvalid    int           // routes of the live BGP table that may turn Invalid (road serve only)
	CheckInterval time.Duration // how often health and holds are checked
	StateFile     string        // road rtr only; road serve keeps DATA_DIR/rtr-waves.json
}

// RTRWave is one group of routers, by source prefix or TLS client
// certificate name (subject CN or DNS subjectAltName); a router matching no
// group goes to the last.
type RTRWave struct {
	Name      string
	Hold      time.Duration
	Sources   []netip.Prefix
	CertNames []string
}

// String is the wave in flag syntax.
func (w RTRWave) String() string {
	parts := []string{"name=" + w.Name, "hold=" + w.Hold.String()}
	for _, p := range w.Sources {
		parts = append(parts, "source="+p.String())
	}
	for _, n := range w.CertNames {
		parts = append(parts, "cert="+n)
	}
	return strings.Join(parts, ",")
}

var waveName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// parseWave reads "name=N,hold=D,source=P,...,cert=C,..." (the flag
// syntax; the file's tables become the same text).
func parseWave(spec string) (RTRWave, error) {
	var w RTRWave
	for _, f := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			return w, fmt.Errorf("%q: want name=N,hold=D,source=PREFIX,cert=NAME", spec)
		}
		switch k {
		case "name":
			w.Name = v
		case "hold":
			d, err := parseDuration(v)
			if err != nil || d < 0 {
				return w, fmt.Errorf("hold %q: a duration such as 30m", v)
			}
			w.Hold = d
		case "source", "sources":
			p, err := parsePrefix(v)
			if err != nil {
				return w, err
			}
			w.Sources = append(w.Sources, p)
		case "cert", "certs":
			w.CertNames = append(w.CertNames, v)
		default:
			return w, fmt.Errorf("%q: unknown wave key %q (name, hold, source, cert)", spec, k)
		}
	}
	if !waveName.MatchString(w.Name) {
		return w, fmt.Errorf("%q: the wave needs a name of lower-case letters, digits, - and _", spec)
	}
	return w, nil
}

func setWaves[T any](dst func(*T) *[]RTRWave) func(*T, []string) error {
	return func(c *T, vs []string) error {
		var out []RTRWave
		for _, v := range vs {
			w, err := parseWave(v)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(out, func(o RTRWave) bool { return o.Name == w.Name }) {
				return fmt.Errorf("wave %s is named twice", w.Name)
			}
			out = append(out, w)
		}
		*dst(c) = out
		return nil
	}
}

// checkWaves: health settings without waves are a mistake worth an error.
func checkWaves(w RTRWaves) error {
	if len(w.Waves) == 0 && (w.HealthCommand != "" || w.HealthURL != "") {
		return fmt.Errorf("a wave health check is set but no wave is configured")
	}
	if w.HealthURL != "" {
		u, err := url.Parse(w.HealthURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an http(s) URL", w.HealthURL)
		}
	}
	return nil
}

// waveRows are the wave settings, for road serve (prefix "rtr-", keys in
// [rtr]) and road rtr (no prefix, flags only).
func waveRows[T any](flagPrefix, keyPrefix string, get func(*T) *RTRWaves) []setting[T] {
	help := "a wave of routers for staged rollouts, by source prefix or TLS client certificate name (repeats, in rollout order"
	if keyPrefix != "" {
		help += "; the file takes [[rtr.waves]] tables with name, hold, sources, certs"
	}
	help += "); a new VRP set reaches the next wave after the hold time if health holds; routers matching no wave are in the last"
	key := func(k string) string {
		if keyPrefix == "" {
			return ""
		}
		return keyPrefix + k
	}
	return []setting[T]{
		{flag: flagPrefix + "wave", key: key("waves"), arg: "name=N,hold=D,source=PREFIX,cert=NAME",
			example: "name=canary,hold=30m,source=192.0.2.0/24,cert=rtr1.example.net", toml: tomlTables, multi: repeat,
			help: help, set: setWaves(func(c *T) *[]RTRWave { return &get(c).Waves })},
		{flag: flagPrefix + "wave-health-command", key: key("wave_health_command"), arg: "command", example: "/usr/local/bin/routers-healthy",
			help: "while a set rolls out, this command (/bin/sh -c) must exit 0, else the waves roll back", toml: tomlString,
			set: str(func(c *T) *string { return &get(c).HealthCommand })},
		{flag: flagPrefix + "wave-health-url", key: key("wave_health_url"), arg: "URL", example: "http://127.0.0.1:9100/healthy",
			help: "while a set rolls out, this URL must answer 2xx to a GET, else the waves roll back", toml: tomlString,
			set:   str(func(c *T) *string { return &get(c).HealthURL }),
			check: func(c *T) error { return checkWaves(*get(c)) }},
		{flag: flagPrefix + "wave-health-timeout", key: key("wave_health_timeout"), def: "30s", arg: "duration",
			help: "a health command or URL that has not answered within this fails (a hung command is killed)", toml: tomlDuration,
			set:   duration(func(c *T) *time.Duration { return &get(c).HealthTimeout }),
			check: positive(func(c *T) time.Duration { return get(c).HealthTimeout })},
		{flag: flagPrefix + "wave-check-interval", key: key("wave_check_interval"), def: "10s", arg: "duration",
			help: "how often hold times and health are checked while a set rolls out", toml: tomlDuration,
			set:   duration(func(c *T) *time.Duration { return &get(c).CheckInterval }),
			check: positive(func(c *T) time.Duration { return get(c).CheckInterval })},
	}
}

// waveTables turns the file's wave tables into flag syntax.
func waveTables(v any) ([]string, error) {
	var tables []map[string]any
	switch x := v.(type) {
	case []map[string]any:
		tables = x
	case []any:
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("must be a list of tables ([[rtr.waves]]), not %v", v)
			}
			tables = append(tables, m)
		}
	default:
		return nil, fmt.Errorf("must be a list of tables ([[rtr.waves]]), not %v", v)
	}
	var out []string
	for _, m := range tables {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			switch x := m[k].(type) {
			case string:
				parts = append(parts, k+"="+x)
			case int64:
				parts = append(parts, k+"="+strconv.FormatInt(x, 10))
			case []any:
				for _, e := range x {
					s, ok := e.(string)
					if !ok {
						return nil, fmt.Errorf("%s: %v is not a string", k, e)
					}
					parts = append(parts, k+"="+s)
				}
			default:
				return nil, fmt.Errorf("%s: %v is neither a string nor a list of strings", k, x)
			}
		}
		out = append(out, strings.Join(parts, ","))
	}
	return out, nil
}

// waveInline is a wave in flag syntax as an inline TOML table (the example file).
func waveInline(text string) string {
	w, err := parseWave(text)
	if err != nil {
		return strconv.Quote(text)
	}
	quote := func(ss []string) string {
		var q []string
		for _, s := range ss {
			q = append(q, strconv.Quote(s))
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	var src []string
	for _, p := range w.Sources {
		src = append(src, p.String())
	}
	return fmt.Sprintf("[{ name = %q, hold = %q, sources = %s, certs = %s }]", w.Name, w.Hold.String(), quote(src), quote(w.CertNames))
}
