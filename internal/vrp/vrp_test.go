package vrp

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want VRP
		err  error
	}{
		{"192.0.2.0/24 => AS64496", VRP{netip.MustParsePrefix("192.0.2.0/24"), 24, 64496}, nil},
		{"2001:db8::/32-48 => 64497", VRP{netip.MustParsePrefix("2001:db8::/32"), 48, 64497}, nil},
		{" 198.51.100.0/24-25=>as4200000000 ", VRP{netip.MustParsePrefix("198.51.100.0/24"), 25, 4200000000}, nil},
		{"203.0.113.0/24 => AS0", VRP{netip.MustParsePrefix("203.0.113.0/24"), 24, 0}, nil},
		{"192.0.2.0/24-23 => AS1", VRP{}, ErrMaxLength},
		{"192.0.2.0/24-33 => AS1", VRP{}, ErrMaxLength},
		{"2001:db8::/32-129 => AS1", VRP{}, ErrMaxLength},
		{"192.0.2.1/24 => AS1", VRP{}, ErrSyntax},
		{"192.0.2.0/24 AS1", VRP{}, ErrSyntax},
		{"192.0.2.0/24 => AS4294967296", VRP{}, ErrSyntax},
		{"192.0.2.0/24 => ASX", VRP{}, ErrSyntax},
		{"::ffff:192.0.2.0/120 => AS1", VRP{}, ErrSyntax},
		{"192.0.2.0/24-x => AS1", VRP{}, ErrSyntax},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("Parse(%q) error = %v, want %v", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if back, err := Parse(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q via %q = %v, %v", c.in, got.String(), back, err)
		}
	}
}

func TestSetOrderAndDiff(t *testing.T) {
	p := func(s string) VRP {
		v, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	s := NewSet([]VRP{p("2001:db8::/32 => AS1"), p("192.0.2.0/24 => AS2"), p("10.0.0.0/8 => AS3"),
		p("192.0.2.0/24 => AS2"), p("192.0.2.0/24-25 => AS2"), p("192.0.2.0/23 => AS1")})
	want := []string{"10.0.0.0/8 => AS3", "192.0.2.0/23 => AS1", "192.0.2.0/24 => AS2", "192.0.2.0/24-25 => AS2", "2001:db8::/32 => AS1"}
	var got []string
	for _, v := range s {
		got = append(got, v.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("set order %v, want %v", got, want)
	}
	old := NewSet([]VRP{p("10.0.0.0/8 => AS3"), p("198.51.100.0/24 => AS9")})
	add, rem := s.Diff(old)
	if len(add) != 4 || len(rem) != 1 || rem[0] != p("198.51.100.0/24 => AS9") {
		t.Fatalf("diff add=%v rem=%v", add, rem)
	}
	if !s.Contains(p("192.0.2.0/24-25 => AS2")) || s.Contains(p("192.0.2.0/24-26 => AS2")) {
		t.Fatal("Contains wrong")
	}
}

func TestParseSet(t *testing.T) {
	s, err := ParseSet("2001:db8::/32-48 => AS64497", "192.0.2.0/24 => AS64496", "192.0.2.0/24 => 64496")
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].String() != "192.0.2.0/24 => AS64496" || s[1].String() != "2001:db8::/32-48 => AS64497" {
		t.Fatalf("ParseSet = %v", s)
	}
	if _, err := ParseSet("192.0.2.0/24 => AS64496", "192.0.2.0/24-20 => AS1"); !errors.Is(err, ErrMaxLength) {
		t.Fatalf("bad maxLength: %v", err)
	}
}
