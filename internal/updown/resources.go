package updown

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/rpki"
)

// ResourceSet is the three resource_set_* (or req_resource_set_*)
// attributes of RFC 6492 §3.3.2: comma-separated AS numbers and ranges,
// IPv4 and IPv6 prefixes and ranges. Elements keep the order of the message;
// §3.3.2 says senders use the canonical order of RFC 3779, which Parse does
// not insist on (IPResources and ASResources canonicalize).
type ResourceSet struct {
	AS   []rpki.ASRange
	IPv4 []rpki.IPRange
	IPv6 []rpki.IPRange
}

// IsEmpty reports whether the set holds no resource.
func (s ResourceSet) IsEmpty() bool { return len(s.AS) == 0 && len(s.IPv4) == 0 && len(s.IPv6) == 0 }

// IPResources returns the IP part as canonical RFC 3779 resources; an empty
// family is absent.
func (s ResourceSet) IPResources() rpki.IPResources {
	var r rpki.IPResources
	if len(s.IPv4) > 0 {
		r.V4 = &rpki.IPFamily{Ranges: append([]rpki.IPRange(nil), s.IPv4...)}
		r.V4.Canonicalize()
	}
	if len(s.IPv6) > 0 {
		r.V6 = &rpki.IPFamily{Ranges: append([]rpki.IPRange(nil), s.IPv6...)}
		r.V6.Canonicalize()
	}
	return r
}

// ASResources returns the AS part as canonical RFC 3779 resources.
func (s ResourceSet) ASResources() rpki.ASResources {
	a := rpki.ASResources{Ranges: append([]rpki.ASRange(nil), s.AS...)}
	a.Canonicalize()
	return a
}

// maxResourceSet is the schema's maxLength of a resource set (§3.7).
const maxResourceSet = 512000

// parseASSet parses resource_set_as: "" or "64496,64500-64510" (§3.3.2,
// schema pattern [\-,0-9]*).
func parseASSet(s string) ([]rpki.ASRange, error) {
	if len(s) > maxResourceSet {
		return nil, fail(ReasonXMLSchema, "AS resource set over %d characters", maxResourceSet)
	}
	if s == "" {
		return nil, nil
	}
	var out []rpki.ASRange
	for el := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(el, "-")
		min, err1 := parseASN(lo)
		max, err2 := min, error(nil)
		if isRange {
			max, err2 = parseASN(hi)
		}
		if err1 != nil || err2 != nil || max < min {
			return nil, fail(ReasonXMLSchema, "AS resource set element %q", el)
		}
		out = append(out, rpki.ASRange{Min: min, Max: max})
	}
	return out, nil
}

func parseASN(s string) (uint32, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.ContainsAny(s, "+-") {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}

// parseIPSet parses resource_set_ipv4 or _ipv6: prefixes and lo-hi ranges
// (§3.3.2). v6 selects the family; a prefix must have no host bits set.
func parseIPSet(s string, v6 bool) ([]rpki.IPRange, error) {
	if len(s) > maxResourceSet {
		return nil, fail(ReasonXMLSchema, "IP resource set over %d characters", maxResourceSet)
	}
	if s == "" {
		return nil, nil
	}
	var out []rpki.IPRange
	for el := range strings.SplitSeq(s, ",") {
		r, ok := parseIPElement(el, v6)
		if !ok {
			return nil, fail(ReasonXMLSchema, "IP resource set element %q", el)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseIPElement(el string, v6 bool) (rpki.IPRange, bool) {
	family := func(a netip.Addr) bool { return a.IsValid() && a.Zone() == "" && a.Is6() == v6 && !a.Is4In6() }
	if lo, hi, ok := strings.Cut(el, "-"); ok {
		min, err1 := netip.ParseAddr(lo)
		max, err2 := netip.ParseAddr(hi)
		if err1 != nil || err2 != nil || !family(min) || !family(max) || max.Less(min) {
			return rpki.IPRange{}, false
		}
		return rpki.IPRange{Min: min, Max: max}, true
	}
	p, err := netip.ParsePrefix(el)
	if err != nil || !family(p.Addr()) || p.Masked() != p {
		return rpki.IPRange{}, false
	}
	return rpki.IPRange{Min: p.Addr(), Max: lastAddr(p)}, true
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// asPrefix returns r as a prefix when it is exactly one.
func asPrefix(r rpki.IPRange) (netip.Prefix, bool) {
	for bits := 0; bits <= r.Min.BitLen(); bits++ {
		p := netip.PrefixFrom(r.Min, bits)
		if p.Masked() == p && lastAddr(p) == r.Max {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func formatAS(rs []rpki.ASRange) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		s := strconv.FormatUint(uint64(r.Min), 10)
		if r.Max != r.Min {
			s += "-" + strconv.FormatUint(uint64(r.Max), 10)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// formatIP writes prefixes where a range is one, else lo-hi (§3.3.2; RFC
// 5952 text for IPv6 via netip).
func formatIP(rs []rpki.IPRange) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		if p, ok := asPrefix(r); ok {
			parts = append(parts, p.String())
		} else {
			parts = append(parts, r.Min.String()+"-"+r.Max.String())
		}
	}
	return strings.Join(parts, ",")
}
