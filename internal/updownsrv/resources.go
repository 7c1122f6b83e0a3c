package updownsrv

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/rpki"
	"github.com/roadrpki/road/internal/updown"
)

// Resources is an entitlement: prefixes and AS numbers or ranges.
type Resources struct {
	IP rpki.IPResources
	AS rpki.ASResources
}

// maxResourceItems bounds a --resources list.
const maxResourceItems = 10000

// ParseResources reads "192.0.2.0/25, 2001:db8:1::/48, AS64500,
// AS64496-AS64511" (commas or spaces between items).
func ParseResources(s string) (Resources, error) {
	var out Resources
	var ps []netip.Prefix
	items := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(items) > maxResourceItems {
		return out, fault.Invalidf("resources: %d items, at most %d", len(items), maxResourceItems)
	}
	for _, it := range items {
		if rest, ok := strings.CutPrefix(strings.ToUpper(it), "AS"); ok {
			r, err := parseASRange(rest)
			if err != nil {
				return out, fault.Invalidf("resources: %q: %v", it, err)
			}
			out.AS.Ranges = append(out.AS.Ranges, r)
			continue
		}
		p, err := netip.ParsePrefix(it)
		if err != nil || p.Masked() != p {
			return out, fault.Invalidf("resources: %q is neither a prefix (with no host bits) nor ASn or ASn-ASm", it)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 && len(out.AS.Ranges) == 0 {
		return out, fault.Invalidf("resources: none given")
	}
	out.IP = rpki.NewIPResources(ps...)
	out.AS.Canonicalize()
	return out, nil
}

func parseASRange(s string) (rpki.ASRange, error) {
	lo, hi, isRange := strings.Cut(s, "-AS")
	a, err := strconv.ParseUint(lo, 10, 32)
	if err != nil {
		return rpki.ASRange{}, fmt.Errorf("bad AS number")
	}
	b := a
	if isRange {
		if b, err = strconv.ParseUint(hi, 10, 32); err != nil || b < a {
			return rpki.ASRange{}, fmt.Errorf("bad AS range")
		}
	}
	return rpki.ASRange{Min: uint32(a), Max: uint32(b)}, nil
}

// String is the canonical text: prefixes (IPv4, then IPv6), then AS numbers
// and ranges, ", " between them.
func (r Resources) String() string { return strings.Join(r.Items(), ", ") }

// Items is the canonical list of String.
func (r Resources) Items() []string {
	out := []string{}
	for _, p := range r.IP.Prefixes() {
		out = append(out, p.String())
	}
	for _, a := range r.AS.Ranges {
		if a.Min == a.Max {
			out = append(out, fmt.Sprintf("AS%d", a.Min))
		} else {
			out = append(out, fmt.Sprintf("AS%d-AS%d", a.Min, a.Max))
		}
	}
	return out
}

// Empty reports whether r holds nothing.
func (r Resources) Empty() bool { return len(r.Items()) == 0 }

// set is r as an up-down resource set (RFC 6492 §3.3.2).
func (r Resources) set() updown.ResourceSet {
	var s updown.ResourceSet
	s.AS = r.AS.Ranges
	if r.IP.V4 != nil {
		s.IPv4 = r.IP.V4.Ranges
	}
	if r.IP.V6 != nil {
		s.IPv6 = r.IP.V6.Ranges
	}
	return s
}

// handleRE is what a child's name may be: a URL path element (RFC 8183's
// handle also allows "/" and ".", road does not).
var handleRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CheckName refuses a name that cannot be a child's.
func CheckName(name string) error {
	if !handleRE.MatchString(name) {
		return fault.Invalidf("name %q: want 1 to 64 of A-Z a-z 0-9 _ -", name)
	}
	return nil
}

// CheckHeld refuses an entitlement that road's CA does not hold in full:
// issuance takes the intersection, so a mistyped prefix or AS number would
// silently give the child nothing. The operator's add and change go through
// it; a CA that shrinks later still leaves stored entitlements as they are.
func (s *Server) CheckHeld(resources string) error {
	res, err := ParseResources(resources)
	if err != nil || s.cfg.CA == nil {
		return err
	}
	ip, as := s.cfg.CA.Resources()
	var out []string
	for _, p := range res.IP.Prefixes() {
		if !ip.ContainsPrefix(p) {
			out = append(out, p.String())
		}
	}
	for _, r := range res.AS.Ranges {
		if !as.Covers(rpki.ASResources{Ranges: []rpki.ASRange{r}}) {
			if r.Min == r.Max {
				out = append(out, fmt.Sprintf("AS%d", r.Min))
			} else {
				out = append(out, fmt.Sprintf("AS%d-AS%d", r.Min, r.Max))
			}
		}
	}
	if len(out) > 0 {
		return fault.Invalidf("resources: %s not held by road's CA (not-held)", strings.Join(out, ", "))
	}
	return nil
}
