package updown

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roadrpki/road/internal/testshared"
)

// Identity certificates in the corpus, by the name the table uses: a DER
// file, or the *_bpki_ta element of an RFC 8183 XML file (read here with a
// regular expression; internal/oob is the real RFC 8183 codec).
var identities = map[string]string{
	"afrinic": "rpki-rs/test-data/ca/id_afrinic.cer",
	"apnic":   "rpki-rs/test-data/ca/rfc8183/apnic-parent-response.xml",
	"alice":   "rpki-commons/src/test/resources/isc-interop-updown/issuer-alice-child-bob-parent.xml",
	"bob":     "rpki-commons/src/test/resources/isc-interop-updown/bob-child-id.xml",
	"carol":   "rpki-commons/src/test/resources/isc-interop-updown/carol-child-id.xml",
	"krill":   "rpki-commons/src/test/resources/interop/up-down/krill-ca1-id-cert.der",
	"krill2":  "rpki-commons/src/test/resources/interop/up-down/krill-ca2-id-cert.der",
}

var bpkiTA = regexp.MustCompile(`<(?:\w+:)?\w*bpki_ta>([A-Za-z0-9+/=\s]+)</`)

func identity(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(testshared.Corpus(t, identities[name]))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(identities[name], ".xml") {
		m := bpkiTA.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no bpki_ta", name)
		}
		if b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m[1])), "")); err != nil {
			t.Fatal(err)
		}
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// realMessage is one real up-down message of the corpus: what it decodes
// to, and the identity that verifies its CMS ("" when the signer's identity
// certificate is not in the corpus; the message is then only decoded).
type realMessage struct {
	file     string
	base64   bool   // the file is base64 text of the CMS
	summary  string // see summarize
	signedAt string // the CMS signing-time; "" for bare XML
	identity string
	ber      bool
}

const (
	rs6492 = "rpki-rs/test-data/ca/rfc6492/"
	isc    = "rpki-commons/src/test/resources/isc-interop-updown/"
)

// The closing note of issue 11 lists these: every file decodes; the ones
// with an identity also verify (signature, EE chain to the identity, CRL,
// signing-time) under a clock set to their signing-time.
var realMessages = []realMessage{
	{rs6492 + "afrinic-response.der", false, `AFRINIC>F3615BDCAF list_response [IANA-2127 certs=1 as=1:37610 v4=1:196.10.119.0/24 v6=0: notafter=2023-03-31T00:00:00Z]`, "2022-09-26T12:30:11Z", "afrinic", false},
	{rs6492 + "apnic-response.der", false, `APNIC-AP>A912C8360000 list_response [IANA certs=1 as=5:139686 v4=1:103.144.176.0/23 v6=1:2001:df1:ee80::/48 notafter=2023-01-31T00:00:00Z]`, "2022-09-13T16:46:52Z", "apnic", false},
	{rs6492 + "apnic-testbed-response.der", false, `APNIC-AP>nlnetlabs-testbed-client list_response [IANA_9EE7 certs=0 as=2:64512-65534 v4=1:10.0.0.0/8 v6=1:fc00::/7 notafter=2030-01-01T00:00:00Z]`, "2022-09-13T07:14:20Z", "", false},
	{rs6492 + "list-response.ber", false, `LACNIC>BR-NICB-LACNIC-5a7qxQ list_response [lacnic-resources certs=1 as=322:1251 v4=1653:45.4.4.0-45.4.83.255 v6=6799:2001:1280::/32 notafter=2019-10-04T08:48:14Z]`, "2019-10-03T09:00:02Z", "", true},
	{rs6492 + "list.der", false, `Alice>Alice list`, "2011-07-01T04:09:01Z", "alice", false},
	{rs6492 + "issue.der", false, `Alice>Alice issue request=Alice req=none csr=840`, "2011-07-01T04:09:02Z", "alice", false},
	{rs6492 + "issue-response.der", false, `Alice>Alice issue_response [Alice certs=1 as=1:0-4294967295 v4=1:0.0.0.0/0 v6=1:::/0 notafter=2011-07-31T04:07:24Z]`, "2011-07-01T04:09:02Z", "", false},
	{rs6492 + "not-performed-response.xml", false, `child>parent error_response status=1101 en-US:already processing request`, "", "", false},
	{rs6492 + "revoke-req.xml", false, `sender>recipient revoke key=class_name/20400da5213521448326adafe9d5e9456fe2a616`, "", "", false},
	{rs6492 + "revoke-response.xml", false, `child>parent revoke_response key=0/e445382dc63e360a9fb575fc12470e66785bb27e`, "", "", false},
	{isc + "pdu.170.der", false, `Alice>Alice list`, "2011-07-01T04:09:01Z", "alice", false},
	{isc + "pdu.171.der", false, `Alice>Alice list_response [Alice certs=0 as=1:0-4294967295 v4=1:0.0.0.0/0 v6=1:::/0 notafter=2011-07-31T04:07:24Z]`, "2011-07-01T04:09:01Z", "", false},
	{isc + "pdu.172.der", false, `Alice>Alice issue request=Alice req=none csr=840`, "2011-07-01T04:09:02Z", "alice", false},
	{isc + "pdu.173.der", false, `Alice>Alice issue_response [Alice certs=1 as=1:0-4294967295 v4=1:0.0.0.0/0 v6=1:::/0 notafter=2011-07-31T04:07:24Z]`, "2011-07-01T04:09:02Z", "", false},
	{isc + "pdu.180.der", false, `Bob>Alice list`, "2011-07-01T04:09:02Z", "bob", false},
	{isc + "pdu.183.der", false, `Alice>Bob list_response [1 certs=0 as=0: v4=1:192.0.2.0/24 v6=1:2001:db8::/64 notafter=2011-07-31T04:09:02Z]`, "2011-07-01T04:09:02Z", "alice", false},
	{isc + "pdu.184.der", false, `Bob>Alice issue request=1 req=none csr=848`, "2011-07-01T04:09:04Z", "bob", false},
	{isc + "pdu.189.der", false, `Alice>Bob issue_response [1 certs=1 as=0: v4=1:192.0.2.0/24 v6=1:2001:db8::/64 notafter=2012-06-30T04:07:50Z]`, "2011-07-01T04:09:04Z", "alice", false},
	{isc + "pdu.196.der", false, `Carol>Bob list`, "2011-07-01T04:09:05Z", "carol", false},
	{isc + "pdu.199.der", false, `Bob>Carol list_response [2 certs=0 as=0: v4=1:192.0.2.0/24 v6=1:2001:db8::/64 notafter=2012-06-30T04:07:50Z]`, "2011-07-01T04:09:05Z", "bob", false},
	{isc + "pdu.200.der", false, `Carol>Bob issue request=2 req=none csr=860`, "2011-07-01T04:09:05Z", "carol", false},
	{isc + "pdu.205.der", false, `Bob>Carol issue_response [2 certs=1 as=0: v4=1:192.0.2.0/24 v6=1:2001:db8::/64 notafter=2012-06-30T04:07:58Z]`, "2011-07-01T04:09:06Z", "bob", false},
	{isc + "dtag-outbound-1.der", true, `6d35555e-78d2-44d1-b1d8-bf34ff762448>975d2258-3fb3-4b95-afbf-fc51ca605508 list`, "2012-05-09T18:45:54Z", "", true},
	{isc + "dtag-outbound-9.der", true, `6d35555e-78d2-44d1-b1d8-bf34ff762448>975d2258-3fb3-4b95-afbf-fc51ca605508 list`, "2012-05-09T18:47:54Z", "", true},
	{isc + "dtag-inbound-2.der", true, `975d2258-3fb3-4b95-afbf-fc51ca605508>6d35555e-78d2-44d1-b1d8-bf34ff762448 error_response status=2001`, "2012-05-09T18:45:56Z", "", true},
	{isc + "dtag-inbound-10.der", true, `975d2258-3fb3-4b95-afbf-fc51ca605508>6d35555e-78d2-44d1-b1d8-bf34ff762448 error_response status=2001`, "2012-05-09T18:47:56Z", "", true},
	{"rpki-commons/src/test/resources/interop/up-down/krill-ca1-list-pdu.der", false, `29b38a6b-2312-42c0-894b-7def8293735a>8ff54b89-ec17-449d-b249-22cad0e00289 list`, "2022-01-11T12:44:46Z", "krill", false},
}

// summarize is a compact, exact rendering of a message: per class the
// certificate count and, per resource family, the element count and the
// first element.
func summarize(m *Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s>%s %s", m.Sender, m.Recipient, m.Type)
	for _, c := range m.Classes {
		first := func(s string) string { f, _, _ := strings.Cut(s, ","); return f }
		fmt.Fprintf(&b, " [%s certs=%d as=%d:%s v4=%d:%s v6=%d:%s notafter=%s]", c.Name, len(c.Certificates),
			len(c.Resources.AS), first(formatAS(c.Resources.AS)), len(c.Resources.IPv4), first(formatIP(c.Resources.IPv4)),
			len(c.Resources.IPv6), first(formatIP(c.Resources.IPv6)), c.NotAfter.UTC().Format(time.RFC3339))
	}
	if r := m.Request; r != nil {
		req := "none"
		if r.Requested != nil {
			req = formatAS(r.Requested.AS) + "/" + formatIP(r.Requested.IPv4) + "/" + formatIP(r.Requested.IPv6)
		}
		fmt.Fprintf(&b, " request=%s req=%s csr=%d", r.ClassName, req, len(r.CSR))
	}
	if k := m.Key; k != nil {
		fmt.Fprintf(&b, " key=%s/%x", k.ClassName, k.SKI)
	}
	if e := m.Error; e != nil {
		fmt.Fprintf(&b, " status=%d", e.Status)
		for _, d := range e.Descriptions {
			fmt.Fprintf(&b, " %s:%s", d.Lang, d.Text)
		}
	}
	return b.String()
}

func readReal(t testing.TB, rm realMessage) []byte {
	t.Helper()
	b, err := os.ReadFile(testshared.Corpus(t, rm.file))
	if err != nil {
		t.Fatal(err)
	}
	if rm.base64 {
		if b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), "")); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestRealMessages(t *testing.T) {
	for _, rm := range realMessages {
		t.Run(filepath.Base(rm.file), func(t *testing.T) {
			data := readReal(t, rm)
			xmlData := data
			if rm.signedAt != "" {
				signedAt, _ := time.Parse(time.RFC3339, rm.signedAt)
				xmlData = checkRealCMS(t, rm, data, signedAt)
			}
			m, err := Parse(xmlData)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := summarize(m); got != rm.summary {
				t.Errorf("decoded\n got %s\nwant %s", got, rm.summary)
			}
			// Marshal then Parse gives the same message.
			out, err := Marshal(m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			again, err := Parse(out)
			if err != nil || summarize(again) != rm.summary {
				t.Errorf("round trip: %v\n%s", err, out)
			}
		})
	}
}

// checkRealCMS verifies the CMS of a real message when its identity is in
// the corpus, else unwraps it against a throwaway identity and expects
// exactly updown-cms-wrong-identity (everything before the chain check
// passed). It returns the XML.
func checkRealCMS(t *testing.T, rm realMessage, der []byte, signedAt time.Time) []byte {
	t.Helper()
	id := identity(t, "krill2") // signs none of the corpus messages
	if rm.identity != "" {
		id = identity(t, rm.identity)
	}
	u, err := Unwrap(der, id, signedAt.Add(time.Minute), time.Time{})
	if rm.identity == "" {
		if Reason(err) != ReasonCMSWrongIdentity {
			t.Fatalf("Unwrap with a foreign identity: %v, want %s", err, ReasonCMSWrongIdentity)
		}
		sd, err := parseSignedData(mustDER(t, der))
		if err != nil {
			t.Fatal(err)
		}
		return sd.content
	}
	if err != nil {
		t.Fatalf("Unwrap: %v", err)
	}
	if !u.SigningTime.Equal(signedAt) || u.BER != rm.ber {
		t.Errorf("signing-time %s BER %v, want %s %v", u.SigningTime, u.BER, signedAt, rm.ber)
	}
	// The same message again is accepted (equal signing-time, §3.1.2 (5));
	// after a later one it is a replay; another identity does not verify it.
	if _, err := Unwrap(der, id, signedAt.Add(time.Minute), signedAt); err != nil {
		t.Errorf("equal signing-time refused: %v", err)
	}
	if _, err := Unwrap(der, id, signedAt.Add(time.Minute), signedAt.Add(time.Second)); Reason(err) != ReasonCMSReplay {
		t.Errorf("replay: %v, want %s", err, ReasonCMSReplay)
	}
	if _, err := Unwrap(der, identity(t, "krill2"), signedAt.Add(time.Minute), time.Time{}); Reason(err) != ReasonCMSWrongIdentity {
		t.Errorf("foreign identity: %v, want %s", err, ReasonCMSWrongIdentity)
	}
	if _, err := Unwrap(der, id, signedAt.Add(MaxAge+time.Minute), time.Time{}); Reason(err) != ReasonCMSSigningTime {
		t.Errorf("a message %s old: %v, want %s", MaxAge+time.Minute, err, ReasonCMSSigningTime)
	}
	return u.XML
}
