// Package vrp holds the Validated ROA Payload: the (prefix, maxLength, origin AS)
// triple that ROAs authorize (RFC 6811 §2), sorted sets of them and their diffs.
// The CA's configured ROAs, the relying party's output, the RTR server and the
// conflict checks all speak this one type.
package vrp

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// VRP is one authorization: Prefix may be originated by ASN with any length up
// to MaxLen. Prefix is always masked (no host bits). The zero MaxLen is never
// valid; use the prefix length for "exact prefix only".
type VRP struct {
	Prefix netip.Prefix
	MaxLen uint8
	ASN    uint32
}

// Reason codes of parse errors, stable for API and CLI.
var (
	ErrSyntax    = errors.New("bad-syntax")
	ErrMaxLength = errors.New("bad-maxlength")
)

// IsV4 reports whether the VRP is for an IPv4 prefix.
func (v VRP) IsV4() bool { return v.Prefix.Addr().Is4() }

// MaxBits is 32 for IPv4 and 128 for IPv6.
func (v VRP) MaxBits() int { return v.Prefix.Addr().BitLen() }

// Validate checks the RFC 9582 §4.3.2.2 bounds: prefix length <= maxLength <= 32/128.
func (v VRP) Validate() error {
	if !v.Prefix.IsValid() {
		return fmt.Errorf("%w: invalid prefix", ErrSyntax)
	}
	if int(v.MaxLen) < v.Prefix.Bits() || int(v.MaxLen) > v.MaxBits() {
		return fmt.Errorf("%w: maxLength %d outside %d..%d for %s", ErrMaxLength, v.MaxLen, v.Prefix.Bits(), v.MaxBits(), v.Prefix)
	}
	return nil
}

// String formats the VRP in the ROA syntax operators know from Krill:
// "192.0.2.0/24 => AS64496", "2001:db8::/32-48 => AS64497". The maxLength is
// shown only when it differs from the prefix length.
func (v VRP) String() string {
	if int(v.MaxLen) == v.Prefix.Bits() {
		return fmt.Sprintf("%s => AS%d", v.Prefix, v.ASN)
	}
	return fmt.Sprintf("%s-%d => AS%d", v.Prefix, v.MaxLen, v.ASN)
}

// Parse reads the Krill ROA syntax "PREFIX[-MAXLEN] => ASN" where ASN is
// "AS64496", "as64496" or "64496". A prefix with host bits set is refused
// rather than silently masked: it is most likely a typo.
func Parse(s string) (VRP, error) {
	left, right, ok := strings.Cut(s, "=>")
	if !ok {
		return VRP{}, fmt.Errorf("%w: %q: want \"PREFIX[-MAXLEN] => ASN\"", ErrSyntax, s)
	}
	left, right = strings.TrimSpace(left), strings.TrimSpace(right)
	asn, err := ParseASN(right)
	if err != nil {
		return VRP{}, fmt.Errorf("%q: %w", s, err)
	}
	pfxText, mlText, hasML := strings.Cut(left, "-")
	p, err := ParsePrefix(pfxText)
	if err != nil {
		return VRP{}, fmt.Errorf("%q: %w", s, err)
	}
	ml := p.Bits()
	if hasML {
		n, err := strconv.Atoi(strings.TrimSpace(mlText))
		if err != nil || n < 0 || n > 255 {
			return VRP{}, fmt.Errorf("%w: %q: maxLength %q is not a number 0..128", ErrSyntax, s, mlText)
		}
		ml = n
	}
	v := VRP{Prefix: p, MaxLen: uint8(ml), ASN: asn}
	if err := v.Validate(); err != nil {
		return v, fmt.Errorf("%q: %w", s, err)
	}
	return v, nil
}

// ParsePrefix parses a CIDR prefix and refuses host bits and IPv4-mapped IPv6
// addresses (RFC 9582 §4.3.1).
func ParsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%w: prefix %q: %v", ErrSyntax, s, err)
	}
	if p.Addr().Zone() != "" || p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%w: prefix %q: zones and IPv4-mapped addresses are not allowed", ErrSyntax, s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%w: prefix %q has host bits set (did you mean %s?)", ErrSyntax, s, p.Masked())
	}
	return p, nil
}

// ParseASN reads "AS64496", "as64496" or "64496" (0..4294967295).
func ParseASN(s string) (uint32, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && strings.EqualFold(t[:2], "AS") {
		t = t[2:]
	}
	n, err := strconv.ParseUint(t, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: ASN %q is not AS0..AS4294967295", ErrSyntax, s)
	}
	return uint32(n), nil
}

// Compare orders VRPs canonically: IPv4 before IPv6, then address, prefix
// length, maxLength and ASN (the RFC 9582 §4.3.3 order, extended by ASN).
func Compare(a, b VRP) int {
	if a.IsV4() != b.IsV4() {
		if a.IsV4() {
			return -1
		}
		return 1
	}
	if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.MaxLen, b.MaxLen); c != 0 {
		return c
	}
	return cmp.Compare(a.ASN, b.ASN)
}

// Set is a sorted slice of unique VRPs. Build it with NewSet.
type Set []VRP

// NewSet sorts and de-duplicates vs (it takes ownership of the slice).
func NewSet(vs []VRP) Set {
	slices.SortFunc(vs, Compare)
	return Set(slices.Compact(vs))
}

// Contains reports whether v is in the set (binary search).
func (s Set) Contains(v VRP) bool {
	_, ok := slices.BinarySearchFunc(s, v, Compare)
	return ok
}

// Diff returns what must be announced and withdrawn to go from old to s.
// Both sets must be sorted; the results are sorted.
func (s Set) Diff(old Set) (added, removed []VRP) {
	i, j := 0, 0
	for i < len(s) || j < len(old) {
		switch {
		case j == len(old):
			added = append(added, s[i])
			i++
		case i == len(s):
			removed = append(removed, old[j])
			j++
		default:
			switch c := Compare(s[i], old[j]); {
			case c < 0:
				added = append(added, s[i])
				i++
			case c > 0:
				removed = append(removed, old[j])
				j++
			default:
				i++
				j++
			}
		}
	}
	return added, removed
}

// ParseSet parses each ROA string (Parse syntax) into one sorted, unique Set;
// the first bad string is the error.
func ParseSet(ss ...string) (Set, error) {
	out := make([]VRP, 0, len(ss))
	for _, s := range ss {
		v, err := Parse(s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return NewSet(out), nil
}
