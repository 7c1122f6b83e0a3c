package config

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// maxFileSize bounds the config file read into memory.
const maxFileSize = 1 << 20

// fileConfig mirrors the TOML file; nil means "not set".
type fileConfig struct {
	DataDir   *string     `toml:"data_dir"`
	HTTP      *string     `toml:"http"`
	HTTPS     *string     `toml:"https"`
	TLSCert   *string     `toml:"tls_cert"`
	TLSKey    *string     `toml:"tls_key"`
	RTR       *rtrFile    `toml:"rtr"`
	RsyncBase *string     `toml:"rsync_base"`
	RRDPBase  *string     `toml:"rrdp_base"`
	LogLevel  *string     `toml:"log_level"`
	SLURM     *string     `toml:"slurm"`
	Resources *[]string   `toml:"resources"`
	ASNs      *[]any      `toml:"asns"`
	BGP       *bgpFile    `toml:"bgp"`
	Timing    *timingFile `toml:"timing"`
	Schedule  *struct {
		ExpiryAudit      *string `toml:"expiry_audit"`
		ConsistencyAudit *string `toml:"consistency_audit"`
		BGPAudit         *string `toml:"bgp_audit"`
	} `toml:"schedule"`
	Alerts *struct {
		ExpiryWarning *string `toml:"expiry_warning"`
		Webhook       *string `toml:"webhook"`
	} `toml:"alerts"`
}

type bgpFile struct {
	Listen   *string   `toml:"listen"`
	ASN      any       `toml:"asn"` // 64500 or "AS64500"
	RouterID *string   `toml:"router_id"`
	Peers    *[]string `toml:"peers"`
	Hold     *string   `toml:"hold_after_down"`
	Sync     *string   `toml:"sync_timeout"`
}

type timingFile struct {
	ROAValidity           *string `toml:"roa_validity"`
	ROAReissueBefore      *string `toml:"roa_reissue_before"`
	ManifestValidity      *string `toml:"manifest_validity"`
	ManifestReissueBefore *string `toml:"manifest_reissue_before"`
}

// rtrFile accepts both `rtr = "ADDR:PORT"` and an [rtr] table with listen,
// refresh, retry, expire (seconds) and notify_interval (a duration).
type rtrFile struct {
	listen  *string
	tls     map[string]string // tls_cert, tls_key, tls_client_ca
	timers  map[string]int64
	notify  *string
	badKeys []string
	typeErr string
}

func (r *rtrFile) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		r.listen = &v
	case map[string]any:
		r.timers = map[string]int64{}
		r.tls = map[string]string{}
		for k, x := range v {
			switch k {
			case "tls_cert", "tls_key", "tls_client_ca":
				s, ok := x.(string)
				if !ok {
					r.typeErr = "rtr." + k + " must be a string"
					continue
				}
				r.tls[k] = s
			case "listen", "notify_interval":
				s, ok := x.(string)
				if !ok {
					r.typeErr = "rtr." + k + " must be a string"
					continue
				}
				if k == "listen" {
					r.listen = &s
				} else {
					r.notify = &s
				}
			case "refresh", "retry", "expire":
				n, ok := x.(int64)
				if !ok {
					r.typeErr = "rtr." + k + " must be an integer number of seconds"
					continue
				}
				r.timers[k] = n
			default:
				r.badKeys = append(r.badKeys, "rtr."+k)
			}
		}
	default:
		r.typeErr = "rtr must be an address string or a table"
	}
	return nil
}

// loadFile applies the TOML file at path onto c.
func loadFile(c *Config, path string) error {
	data, err := readBounded(path)
	if err != nil {
		return usageErr("--config: %v", err)
	}
	var f fileConfig
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return usageErr("%s: %v", path, err)
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		unknown = append(unknown, k.String())
	}
	if f.RTR != nil {
		unknown = append(unknown, f.RTR.badKeys...)
		if f.RTR.typeErr != "" {
			return usageErr("%s: %s", path, f.RTR.typeErr)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return usageErr("%s: unknown key %s", path, strings.Join(unknown, ", "))
	}
	return f.apply(c, path)
}

func readBounded(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	buf := make([]byte, st.Size())
	if _, err := fh.ReadAt(buf, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return buf, nil
}

func (f *fileConfig) apply(c *Config, path string) error {
	bad := func(key string, err error) error { return usageErr("%s: %s: %v", path, key, err) }
	for _, s := range []struct {
		src *string
		dst *string
	}{
		{f.DataDir, &c.DataDir}, {f.HTTP, &c.HTTP}, {f.HTTPS, &c.HTTPS}, {f.TLSCert, &c.TLSCert},
		{f.TLSKey, &c.TLSKey}, {f.RsyncBase, &c.RsyncBase}, {f.RRDPBase, &c.RRDPBase}, {f.LogLevel, &c.LogLevel},
		{f.SLURM, &c.SLURMFile},
	} {
		if s.src != nil {
			*s.dst = strings.TrimSpace(*s.src)
		}
	}
	if f.Resources != nil {
		if err := setResources(c, *f.Resources, path+": resources"); err != nil {
			return err
		}
	}
	if f.ASNs != nil {
		items, err := asnItems(*f.ASNs)
		if err != nil {
			return bad("asns", err)
		}
		if c.ASNs, err = parseASRanges(items, path+": asns"); err != nil {
			return err
		}
	}
	if b := f.BGP; b != nil {
		if b.Listen != nil {
			c.BGP.Listen = strings.TrimSpace(*b.Listen)
		}
		if b.ASN != nil {
			items, err := asnItems([]any{b.ASN})
			if err != nil {
				return bad("bgp.asn", err)
			}
			if c.BGP.ASN, err = parseASN(items[0]); err != nil {
				return bad("bgp.asn", err)
			}
		}
		if b.RouterID != nil {
			id, err := parseRouterID(*b.RouterID)
			if err != nil {
				return bad("bgp.router_id", err)
			}
			c.BGP.RouterID = id
		}
		for _, d := range []struct {
			key string
			src *string
			dst *time.Duration
		}{{"bgp.hold_after_down", b.Hold, &c.BGP.HoldAfterDown}, {"bgp.sync_timeout", b.Sync, &c.BGP.SyncTimeout}} {
			if d.src == nil {
				continue
			}
			v, err := parseDuration(*d.src)
			if err != nil {
				return bad(d.key, err)
			}
			*d.dst = v
		}
		if b.Peers != nil {
			c.BGP.Peers = nil
			for _, s := range *b.Peers {
				p, err := parsePeer(s)
				if err != nil {
					return bad("bgp.peers", fmt.Errorf("%q: %w", s, err))
				}
				c.BGP.Peers = append(c.BGP.Peers, p)
			}
		}
	}
	if t := f.Timing; t != nil {
		for _, d := range []struct {
			key string
			src *string
			dst *time.Duration
		}{
			{"timing.roa_validity", t.ROAValidity, &c.Timing.ROAValidity},
			{"timing.roa_reissue_before", t.ROAReissueBefore, &c.Timing.ROAReissueBefore},
			{"timing.manifest_validity", t.ManifestValidity, &c.Timing.ManifestValidity},
			{"timing.manifest_reissue_before", t.ManifestReissueBefore, &c.Timing.ManifestReissueBefore},
		} {
			if d.src == nil {
				continue
			}
			v, err := parseDuration(*d.src)
			if err != nil {
				return bad(d.key, err)
			}
			*d.dst = v
		}
	}
	if s := f.Schedule; s != nil {
		for _, x := range []struct{ src, dst *string }{
			{s.ExpiryAudit, &c.Schedule.ExpiryAudit}, {s.ConsistencyAudit, &c.Schedule.ConsistencyAudit},
			{s.BGPAudit, &c.Schedule.BGPAudit},
		} {
			if x.src != nil {
				*x.dst = strings.TrimSpace(*x.src)
			}
		}
	}
	if a := f.Alerts; a != nil {
		if a.ExpiryWarning != nil {
			v, err := parseDuration(*a.ExpiryWarning)
			if err != nil {
				return bad("alerts.expiry_warning", err)
			}
			c.Alerts.ExpiryWarning = v
		}
		if a.Webhook != nil {
			c.Alerts.Webhook = strings.TrimSpace(*a.Webhook)
		}
	}
	if r := f.RTR; r != nil {
		if r.listen != nil {
			c.RTR = strings.TrimSpace(*r.listen)
		}
		for k, dst := range map[string]*uint32{"refresh": &c.RTRTimers.Refresh, "retry": &c.RTRTimers.Retry, "expire": &c.RTRTimers.Expire} {
			if n, ok := r.timers[k]; ok {
				if n < 0 || n > 1<<32-1 {
					return bad("rtr."+k, fmt.Errorf("%d out of range", n))
				}
				*dst = uint32(n)
			}
		}
		for k, dst := range map[string]*string{"tls_cert": &c.RTRTLSCert, "tls_key": &c.RTRTLSKey, "tls_client_ca": &c.RTRTLSClientCA} {
			if s, ok := r.tls[k]; ok {
				*dst = strings.TrimSpace(s)
			}
		}
		if r.notify != nil {
			v, err := parseDuration(*r.notify)
			if err != nil {
				return bad("rtr.notify_interval", err)
			}
			c.RTRTimers.NotifyInterval = v
		}
	}
	return nil
}

// asnItems turns TOML values (integers or strings) into ASN strings.
func asnItems(vs []any) ([]string, error) {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		switch v := v.(type) {
		case int64:
			out = append(out, fmt.Sprint(v))
		case string:
			out = append(out, v)
		default:
			return nil, fmt.Errorf("%v is neither an ASN number nor a string like \"AS64496-AS64511\"", v)
		}
	}
	return out, nil
}
