package vrp

import (
	"reflect"
	"testing"
)

func TestNormalizeASPAs(t *testing.T) {
	in := []ASPA{
		{Customer: 65002, Providers: []uint32{3, 1}},
		{Customer: 65001, Providers: []uint32{7, 0}},
		{Customer: 65002, Providers: []uint32{2, 1}},
		{Customer: 65003, Providers: []uint32{0}},
		{Customer: 65004, Providers: nil},
	}
	want := []ASPA{
		{Customer: 65001, Providers: []uint32{7}},
		{Customer: 65002, Providers: []uint32{1, 2, 3}},
		{Customer: 65003, Providers: []uint32{0}},
	}
	if got := NormalizeASPAs(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if in[0].Providers[0] != 3 {
		t.Fatal("input was modified")
	}
}

func TestASPAValidate(t *testing.T) {
	cases := []struct {
		a  ASPA
		ok bool
	}{
		{ASPA{1, []uint32{2, 3}}, true},
		{ASPA{1, []uint32{0}}, true},
		{ASPA{1, nil}, false},
		{ASPA{1, []uint32{3, 2}}, false},
		{ASPA{1, []uint32{2, 2}}, false},
		{ASPA{1, []uint32{0, 2}}, false},
	}
	for _, c := range cases {
		if err := c.a.Validate(); (err == nil) != c.ok {
			t.Errorf("%v: err=%v, want ok=%v", c.a, err, c.ok)
		}
	}
}

func TestDiffASPAs(t *testing.T) {
	old := []ASPA{{1, []uint32{10}}, {2, []uint32{20}}, {3, []uint32{30}}}
	cur := []ASPA{{2, []uint32{20}}, {3, []uint32{31}}, {4, []uint32{40}}}
	ann, wd := DiffASPAs(old, cur)
	wantAnn := []ASPA{{3, []uint32{31}}, {4, []uint32{40}}}
	wantWd := []ASPA{{Customer: 1}, {Customer: 3}}
	if !reflect.DeepEqual(ann, wantAnn) || !reflect.DeepEqual(wd, wantWd) {
		t.Fatalf("announce %v withdraw %v", ann, wd)
	}
}
