package updown

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/rpki"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func ipr(lo, hi string) rpki.IPRange {
	return rpki.IPRange{Min: netip.MustParseAddr(lo), Max: netip.MustParseAddr(hi)}
}

// goldenMessages is one message of each type, with every optional part.
func goldenMessages() map[string]*Message {
	res := ResourceSet{
		AS:   []rpki.ASRange{{Min: 64496, Max: 64496}, {Min: 64500, Max: 64510}},
		IPv4: []rpki.IPRange{ipr("192.0.2.0", "192.0.2.127"), ipr("198.51.100.0", "198.51.100.9")},
		IPv6: []rpki.IPRange{ipr("2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff")},
	}
	req := ResourceSet{IPv4: []rpki.IPRange{ipr("192.0.2.0", "192.0.2.127")}}
	class := Class{
		Name: "arin", CertURLs: []string{"rsync://rpki.example.net/repo/parent.cer", "https://rpki.example.net/parent.cer"},
		Resources: res, NotAfter: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
		SIAHead:      "rsync://rpki.example.net/repo/child/",
		Certificates: []IssuedCert{{CertURLs: []string{"rsync://rpki.example.net/repo/child.cer"}, Requested: &req, DER: []byte("child-cert")}},
		Issuer:       []byte("issuer-cert"),
	}
	bare := class
	bare.Name, bare.SIAHead, bare.Certificates = "ripe", "", nil
	bare.Resources = ResourceSet{}
	return map[string]*Message{
		"list":            {Sender: "child", Recipient: "parent", Type: TypeList},
		"list_response":   {Sender: "parent", Recipient: "child", Type: TypeListResponse, Classes: []Class{class, bare}},
		"issue":           {Sender: "child", Recipient: "parent", Type: TypeIssue, Request: &IssueRequest{ClassName: "arin", Requested: &req, CSR: []byte("pkcs10")}},
		"issue_response":  {Sender: "parent", Recipient: "child", Type: TypeIssueResponse, Classes: []Class{class}},
		"revoke":          {Sender: "child", Recipient: "parent", Type: TypeRevoke, Key: &Key{ClassName: "arin", SKI: bytes.Repeat([]byte{0xfb}, 20)}},
		"revoke_response": {Sender: "parent", Recipient: "child", Type: TypeRevokeResponse, Key: &Key{ClassName: "arin", SKI: bytes.Repeat([]byte{0xfb}, 20)}},
		"error_response": {Sender: "parent", Recipient: "child", Type: TypeError, Error: &ErrorResponse{Status: 1201,
			Descriptions: []Description{{Lang: "en-US", Text: StatusText(1201) + " <&>"}}}},
	}
}

func TestGolden(t *testing.T) {
	for name, m := range goldenMessages() {
		t.Run(name, func(t *testing.T) {
			out, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".xml")
			if *update {
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, want) {
				t.Fatalf("Marshal differs from %s (go test -update to accept):\n%s", path, out)
			}
			back, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := Marshal(back); !bytes.Equal(again, out) {
				t.Fatalf("Parse then Marshal differs:\n%s", again)
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	const ns = `xmlns="http://www.apnic.net/specs/rescerts/up-down/"`
	msg := func(attrs, body string) string {
		return `<message ` + ns + ` version="1" sender="c" recipient="p" ` + attrs + `>` + body + `</message>`
	}
	class := func(attrs, body string) string {
		return msg(`type="list_response"`, `<class class_name="a" cert_url="rsync://x/y.cer" resource_set_as="" `+
			`resource_set_ipv4="" resource_set_ipv6="" resource_set_notafter="2027-01-01T00:00:00Z" `+attrs+`>`+body+`</class>`)
	}
	cert := `<certificate cert_url="rsync://x/c.cer">AAAA</certificate><issuer>AAAA</issuer>`
	cases := []struct{ name, xml, want string }{
		{"doctype", `<!DOCTYPE message [<!ENTITY x "y">]>` + msg(`type="list"`, ""), ReasonXMLDoctype},
		{"entity bomb", `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><m>&b;</m>`, ReasonXMLDoctype},
		{"not XML", `<message`, ReasonXMLMalformed},
		{"empty", ``, ReasonXMLMalformed},
		{"two roots", msg(`type="list"`, "") + msg(`type="list"`, ""), ReasonXMLMalformed},
		{"text after root", msg(`type="list"`, "") + "x", ReasonXMLMalformed},
		{"processing instruction", `<?evil x?>` + msg(`type="list"`, ""), ReasonXMLMalformed},
		{"foreign namespace", `<message xmlns="urn:x" version="1" sender="c" recipient="p" type="list"/>`, ReasonXMLSchema},
		{"root not message", `<msg ` + ns + ` version="1" sender="c" recipient="p" type="list"/>`, ReasonXMLSchema},
		{"encoding not UTF-8", `<?xml version="1.0" encoding="ISO-8859-1"?>` + msg(`type="list"`, ""), ReasonXMLMalformed},
		{"version 2", strings.Replace(msg(`type="list"`, ""), `version="1"`, `version="2"`, 1), ReasonXMLSchema},
		{"unknown type", msg(`type="reboot"`, ""), ReasonXMLSchema},
		{"unknown attribute", msg(`type="list" colour="red"`, ""), ReasonXMLSchema},
		{"repeated attribute", `<message ` + ns + ` version="1" sender="c" sender="d" recipient="p" type="list"/>`, ReasonXMLSchema},
		{"missing sender", `<message ` + ns + ` version="1" recipient="p" type="list"/>`, ReasonXMLSchema},
		{"unknown element", msg(`type="list"`, "<reboot/>"), ReasonXMLSchema},
		{"payload of another type", msg(`type="list"`, `<key class_name="a" ski="IEANpSE1IUSDJq2v6dXpRW_iphY"/>`), ReasonXMLSchema},
		{"text in message", msg(`type="list"`, "hello"), ReasonXMLSchema},
		{"class without issuer", class("", ""), ReasonXMLSchema},
		{"class bad notafter", strings.Replace(class("", "<issuer>AAAA</issuer>"), "2027-01-01T00:00:00Z", "soon", 1), ReasonXMLSchema},
		{"class bad base64", class("", "<issuer>!!!!</issuer>"), ReasonXMLSchema},
		{"class sia not rsync", class(`suggested_sia_head="https://x/"`, "<issuer>AAAA</issuer>"), ReasonXMLSchema},
		{"prefix with host bits", strings.Replace(class("", "<issuer>AAAA</issuer>"), `resource_set_ipv4=""`, `resource_set_ipv4="192.0.2.1/24"`, 1), ReasonXMLSchema},
		{"IPv6 in the IPv4 set", strings.Replace(class("", "<issuer>AAAA</issuer>"), `resource_set_ipv4=""`, `resource_set_ipv4="2001:db8::/32"`, 1), ReasonXMLSchema},
		{"AS range reversed", strings.Replace(class("", "<issuer>AAAA</issuer>"), `resource_set_as=""`, `resource_set_as="10-5"`, 1), ReasonXMLSchema},
		{"AS with prefix", strings.Replace(class("", "<issuer>AAAA</issuer>"), `resource_set_as=""`, `resource_set_as="AS5"`, 1), ReasonXMLSchema},
		{"issue_response of two classes", strings.Replace(strings.Replace(class("", cert), "list_response", "issue_response", 1),
			"</message>", strings.Replace(class("", cert)[strings.Index(class("", cert), "<class"):], `class_name="a"`, `class_name="b"`, 1), 1), ReasonXMLSchema},
		{"issue_response of one class", strings.Replace(class("", cert), "list_response", "issue_response", 1), ""},
		{"class name repeated", strings.Replace(class("", cert), "</message>", class("", cert)[strings.Index(class("", cert), "<class"):], 1), ReasonXMLSchema},
		{"issue_response without certificate", strings.Replace(class("", "<issuer>AAAA</issuer>"), "list_response", "issue_response", 1), ReasonXMLSchema},
		{"issue without request", msg(`type="issue"`, ""), ReasonXMLSchema},
		{"revoke bad ski", msg(`type="revoke"`, `<key class_name="a" ski="not base64!"/>`), ReasonXMLSchema},
		{"error status 0", msg(`type="error_response"`, `<status>0</status>`), ReasonXMLSchema},
		{"error status 10000", msg(`type="error_response"`, `<status>10000</status>`), ReasonXMLSchema},
		{"error description without lang", msg(`type="error_response"`, `<status>1101</status><description>x</description>`), ReasonXMLSchema},
		{"too deep", msg(`type="list"`, strings.Repeat("<a>", 10)+strings.Repeat("</a>", 10)), ReasonXMLSchema},
		{"oversize", strings.Repeat(" ", MaxMessageSize+1), ReasonTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.xml))
			if got := Reason(err); got != c.want {
				t.Fatalf("got %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

func TestResourceSets(t *testing.T) {
	cases := []struct {
		as, v4, v6 string
		wantAS     string // formatted back; "" for the same as the input
		wantV4     string
		wantV6     string
	}{
		{"", "", "", "", "", ""},
		{"64496,64500-64510,4200000000-4294967294", "10.0.0.0/8,192.0.2.0-192.0.2.9", "2001:db8::/48,2001:db8:2::-2001:db8:5::", "", "", ""},
		{"1-1", "192.0.2.0-192.0.2.255", "2001:DB8::/32", "1", "192.0.2.0/24", "2001:db8::/32"},
		{"0-4294967295", "0.0.0.0/0", "::/0", "", "", ""},
	}
	for _, c := range cases {
		as, err1 := parseASSet(c.as)
		v4, err2 := parseIPSet(c.v4, false)
		v6, err3 := parseIPSet(c.v6, true)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%q %q %q: %v %v %v", c.as, c.v4, c.v6, err1, err2, err3)
		}
		or := func(a, b string) string {
			if a == "" {
				return b
			}
			return a
		}
		if got := formatAS(as) + "|" + formatIP(v4) + "|" + formatIP(v6); got != or(c.wantAS, c.as)+"|"+or(c.wantV4, c.v4)+"|"+or(c.wantV6, c.v6) {
			t.Errorf("%q %q %q formatted as %s", c.as, c.v4, c.v6, got)
		}
	}
	s := ResourceSet{IPv4: []rpki.IPRange{ipr("192.0.2.128", "192.0.2.255"), ipr("192.0.2.0", "192.0.2.127")}}
	ip := s.IPResources()
	if ip.V6 != nil || len(ip.V4.Ranges) != 1 || ip.V4.Ranges[0] != ipr("192.0.2.0", "192.0.2.255") {
		t.Errorf("IPResources: %+v", ip.V4)
	}
	if !s.ASResources().Covers(rpki.ASResources{}) || s.IsEmpty() || !(ResourceSet{}).IsEmpty() {
		t.Errorf("ASResources/IsEmpty")
	}
	for _, bad := range []string{"01", "-1", "+1", "1-", "4294967296", "1,,2"} {
		if _, err := parseASSet(bad); Reason(err) != ReasonXMLSchema {
			t.Errorf("AS %q: %v", bad, err)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.1/8", "10.0.0.2-10.0.0.1", "::ffff:10.0.0.0/104", "fe80::1%eth0-fe80::2", "10.0.0.0"} {
		if _, err := parseIPSet(bad, bad[0] != '1'); Reason(err) != ReasonXMLSchema {
			t.Errorf("IP %q: %v", bad, err)
		}
	}
}
