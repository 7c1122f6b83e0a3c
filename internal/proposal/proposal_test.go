package proposal

import (
	"testing"

	"github.com/roadrpki/road/internal/ca"
	"github.com/roadrpki/road/internal/conflict"
	"github.com/roadrpki/road/internal/fault"
	"github.com/roadrpki/road/internal/vrp"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		req  Request
		code string
	}{
		{Request{}, fault.Invalid},
		{Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 1}}, Force: true}, fault.Invalid},
		{Request{Add: []ROA{{Prefix: "192.0.2.1/24", ASN: 1}}}, fault.Invalid},
		{Request{Add: []ROA{{Prefix: "192.0.2.0/24", ASN: 1, Exception: "two\nlines"}}}, fault.Invalid},
	} {
		if _, err := parse(&c.req); err == nil {
			t.Errorf("%+v accepted", c.req)
		} else if e, ok := fault.As(err); !ok || e.Code != c.code {
			t.Errorf("%+v: %v", c.req, err)
		}
	}
	p, err := parse(&Request{Add: []ROA{{Prefix: "192.0.2.0/24", MaxLength: 33, ASN: 1}, {Prefix: "198.51.100.0/24", ASN: 2}}})
	if err != nil || len(p.adds) != 1 || len(p.findings) != 1 || p.findings[0].Kind != conflict.KindBadMaxLength ||
		p.findings[0].Overridable || p.findings[0].ROA.MaxLength != 33 {
		t.Fatalf("%v %+v", err, p)
	}
}

func TestDecide(t *testing.T) {
	loose, err := vrp.Parse("192.0.2.0/24-25 => 64496")
	if err != nil {
		t.Fatal(err)
	}
	checked := []conflict.Finding{conflict.NewFinding(conflict.KindLooseMaxLength, "loose")}
	checked[0].ROA = &loose
	blocked := func(kinds ...string) *Result {
		r := &Result{}
		for _, k := range kinds {
			f := conflict.NewFinding(k, "")
			r.Findings = append(r.Findings, Finding{Kind: k, Severity: f.Severity, Overridable: f.Overridable})
		}
		return r
	}
	adds := []ca.NewROA{{VRP: loose}}
	if res := blocked(conflict.KindLooseMaxLength); decide(&Request{}, res, checked, adds) || !res.Blocked {
		t.Fatal("a block without force went ahead")
	}
	if res := blocked(conflict.KindLooseMaxLength, conflict.KindNotHeld); decide(&Request{Force: true, Reason: "r"}, res, checked, adds) {
		t.Fatal("force overrode not-held")
	}
	res := blocked(conflict.KindLooseMaxLength, conflict.KindRoutesIncomplete)
	if !decide(&Request{Force: true, Reason: " ddos "}, res, checked, adds) || !res.Overridden || res.Blocked {
		t.Fatalf("forced: %+v", res)
	}
	if adds[0].Exception != "ddos" {
		t.Fatalf("a forced loose maxLength is recorded as the exception: %q", adds[0].Exception)
	}
	if res := blocked(conflict.KindUnseen); !decide(&Request{}, res, nil, nil) || res.Overridden {
		t.Fatalf("info only: %+v", res)
	}
}
