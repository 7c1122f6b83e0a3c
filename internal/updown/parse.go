package updown

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

const xmlLangSpace = "http://www.w3.org/XML/1998/namespace"

// The raw shapes encoding/xml fills; every attribute and unknown child is
// captured so that Parse can refuse what RFC 6492 §3.7 does not allow.
type xmlAny struct {
	XMLName xml.Name
}

type xmlMessage struct {
	XMLName  xml.Name
	Attrs    []xml.Attr   `xml:",any,attr"`
	Classes  []xmlClass   `xml:"http://www.apnic.net/specs/rescerts/up-down/ class"`
	Requests []xmlElement `xml:"http://www.apnic.net/specs/rescerts/up-down/ request"`
	Keys     []xmlElement `xml:"http://www.apnic.net/specs/rescerts/up-down/ key"`
	Status   []xmlElement `xml:"http://www.apnic.net/specs/rescerts/up-down/ status"`
	Descs    []xmlElement `xml:"http://www.apnic.net/specs/rescerts/up-down/ description"`
	Other    []xmlAny     `xml:",any"`
	Text     string       `xml:",chardata"`
}

type xmlClass struct {
	Attrs   []xml.Attr   `xml:",any,attr"`
	Certs   []xmlElement `xml:"http://www.apnic.net/specs/rescerts/up-down/ certificate"`
	Issuers []xmlElement `xml:"http://www.apnic.net/specs/rescerts/up-down/ issuer"`
	Other   []xmlAny     `xml:",any"`
	Text    string       `xml:",chardata"`
}

// xmlElement is a leaf: attributes and text, no children.
type xmlElement struct {
	Attrs []xml.Attr `xml:",any,attr"`
	Other []xmlAny   `xml:",any"`
	Text  string     `xml:",chardata"`
}

func schemaf(format string, args ...any) error { return fail(ReasonXMLSchema, format, args...) }

// Parse decodes and checks one RFC 6492 message (§3.2, schema §3.7). It
// refuses a DOCTYPE (no entity expansion), unknown elements or attributes,
// a foreign namespace, a version other than 1 and a payload that does not
// fit the type.
func Parse(data []byte) (*Message, error) {
	if len(data) > MaxMessageSize {
		return nil, fail(ReasonTooLarge, "message of %d bytes over %d", len(data), MaxMessageSize)
	}
	if err := scanTokens(data); err != nil {
		return nil, err
	}
	var raw xmlMessage
	if err := xml.Unmarshal(data, &raw); err != nil {
		return nil, fail(ReasonXMLMalformed, "%v", err)
	}
	if raw.XMLName.Space != Namespace || raw.XMLName.Local != "message" {
		return nil, schemaf("root element {%s}%s, want {%s}message", raw.XMLName.Space, raw.XMLName.Local, Namespace)
	}
	a, err := attrs(raw.Attrs, []string{"version", "sender", "recipient", "type"}, nil)
	if err != nil {
		return nil, err
	}
	if a["version"] != "1" { // §3.2: version 1
		return nil, schemaf("version %q, want 1", a["version"])
	}
	m := &Message{Sender: a["sender"], Recipient: a["recipient"], Type: Type(a["type"])}
	if !label(m.Sender) || !label(m.Recipient) {
		return nil, schemaf("sender and recipient must be 1..1024 characters")
	}
	if len(raw.Other) > 0 {
		return nil, schemaf("unexpected element <%s>", raw.Other[0].XMLName.Local)
	}
	if strings.TrimSpace(raw.Text) != "" {
		return nil, schemaf("text in <message>")
	}
	if err := payload(m, &raw); err != nil {
		return nil, err
	}
	return m, nil
}

// scanTokens refuses directives (DOCTYPE: XXE and entity expansion) and
// processing instructions other than the XML declaration, and checks
// well-formedness to the end (encoding/xml's Unmarshal stops at the root).
func scanTokens(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if roots == 0 {
				return fail(ReasonXMLMalformed, "no root element")
			}
			return nil
		}
		if err != nil {
			return fail(ReasonXMLMalformed, "%v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return fail(ReasonXMLDoctype, "XML directive <!%.40s> refused", t)
		case xml.ProcInst:
			if t.Target != "xml" || roots > 0 {
				return fail(ReasonXMLMalformed, "processing instruction <?%s?> refused", t.Target)
			}
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 {
					return fail(ReasonXMLMalformed, "more than one root element")
				}
			}
			if depth++; depth > 8 {
				return fail(ReasonXMLSchema, "elements nested deeper than the schema allows")
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return fail(ReasonXMLMalformed, "text outside the root element")
			}
		}
	}
}

// attrs checks the attributes of one element: every required one present
// once and non-empty unless allowEmpty, optional ones at most once, nothing
// else (namespace declarations aside). The xml:lang attribute is named
// "xml:lang".
func attrs(list []xml.Attr, required, optional []string, allowEmpty ...string) (map[string]string, error) {
	out := make(map[string]string, len(list))
	for _, at := range list {
		name := at.Name.Local
		switch {
		case at.Name.Space == "xmlns" || (at.Name.Space == "" && name == "xmlns"):
			continue
		case at.Name.Space == xmlLangSpace || at.Name.Space == "xml":
			name = "xml:" + name
		case at.Name.Space != "":
			return nil, schemaf("attribute {%s}%s not allowed", at.Name.Space, name)
		}
		if !contains(required, name) && !contains(optional, name) {
			return nil, schemaf("attribute %s not allowed", name)
		}
		if _, dup := out[name]; dup {
			return nil, schemaf("attribute %s repeated", name)
		}
		out[name] = at.Value
	}
	for _, r := range required {
		v, ok := out[r]
		if !ok || (v == "" && !contains(allowEmpty, r)) {
			return nil, schemaf("attribute %s missing or empty", r)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// label is the schema's label and class_name: 1..1024 characters.
func label(s string) bool { return s != "" && len(s) <= 1024 }

func payload(m *Message, raw *xmlMessage) error {
	counts := map[string]int{"class": len(raw.Classes), "request": len(raw.Requests), "key": len(raw.Keys),
		"status": len(raw.Status), "description": len(raw.Descs)}
	allow := map[Type][]string{TypeList: nil, TypeListResponse: {"class"}, TypeIssue: {"request"},
		TypeIssueResponse: {"class"}, TypeRevoke: {"key"}, TypeRevokeResponse: {"key"},
		TypeError: {"status", "description"}}
	allowed, known := allow[m.Type]
	if !known {
		return schemaf("unknown message type %q", m.Type)
	}
	for el, n := range counts {
		if n > 0 && !contains(allowed, el) {
			return schemaf("<%s> not allowed in a %s message", el, m.Type)
		}
	}
	switch m.Type {
	case TypeListResponse, TypeIssueResponse:
		if m.Type == TypeIssueResponse && len(raw.Classes) != 1 { // §3.4.2
			return schemaf("issue_response needs exactly one class")
		}
		names := map[string]bool{}
		for i := range raw.Classes {
			c, err := parseClass(&raw.Classes[i])
			if err != nil {
				return err
			}
			if names[c.Name] { // §3.3.2: a class name identifies one class
				return schemaf("class %s repeated", c.Name)
			}
			names[c.Name] = true
			if m.Type == TypeIssueResponse && len(c.Certificates) != 1 {
				return schemaf("issue_response class needs exactly one certificate")
			}
			m.Classes = append(m.Classes, c)
		}
	case TypeIssue:
		if len(raw.Requests) != 1 {
			return schemaf("issue needs exactly one request")
		}
		r, err := parseRequest(&raw.Requests[0])
		m.Request = r
		return err
	case TypeRevoke, TypeRevokeResponse:
		if len(raw.Keys) != 1 {
			return schemaf("%s needs exactly one key", m.Type)
		}
		k, err := parseKey(&raw.Keys[0])
		m.Key = k
		return err
	case TypeError:
		e, err := parseError(raw)
		m.Error = e
		return err
	}
	return nil
}

func leaf(e *xmlElement, name string) error {
	if len(e.Other) > 0 {
		return schemaf("unexpected element <%s> in <%s>", e.Other[0].XMLName.Local, name)
	}
	return nil
}

var resourceAttrs = []string{"resource_set_as", "resource_set_ipv4", "resource_set_ipv6"}
var reqResourceAttrs = []string{"req_resource_set_as", "req_resource_set_ipv4", "req_resource_set_ipv6"}

func resourceSet(a map[string]string, names []string) (ResourceSet, error) {
	var s ResourceSet
	var err error
	if s.AS, err = parseASSet(a[names[0]]); err != nil {
		return s, err
	}
	if s.IPv4, err = parseIPSet(a[names[1]], false); err != nil {
		return s, err
	}
	s.IPv6, err = parseIPSet(a[names[2]], true)
	return s, err
}

// requested returns the req_resource_set_* attributes, nil when absent.
func requested(a map[string]string) (*ResourceSet, error) {
	for _, n := range reqResourceAttrs {
		if _, ok := a[n]; ok {
			s, err := resourceSet(a, reqResourceAttrs)
			return &s, err
		}
	}
	return nil, nil
}

func parseClass(x *xmlClass) (Class, error) {
	a, err := attrs(x.Attrs, append([]string{"class_name", "cert_url", "resource_set_notafter"}, resourceAttrs...),
		[]string{"suggested_sia_head"}, resourceAttrs...)
	if err != nil {
		return Class{}, err
	}
	c := Class{Name: a["class_name"], SIAHead: a["suggested_sia_head"]}
	if !label(c.Name) {
		return c, schemaf("class_name must be 1..1024 characters")
	}
	if c.CertURLs, err = certURLs(a["cert_url"]); err != nil {
		return c, err
	}
	if c.Resources, err = resourceSet(a, resourceAttrs); err != nil {
		return c, err
	}
	if c.NotAfter, err = time.Parse(time.RFC3339, a["resource_set_notafter"]); err != nil {
		return c, schemaf("resource_set_notafter %q is not an xsd:dateTime", a["resource_set_notafter"])
	}
	if _, ok := a["suggested_sia_head"]; ok && !strings.HasPrefix(c.SIAHead, "rsync://") {
		return c, schemaf("suggested_sia_head %q is not an rsync URI", c.SIAHead)
	}
	if len(x.Other) > 0 || strings.TrimSpace(x.Text) != "" {
		return c, schemaf("unexpected content in <class>")
	}
	for i := range x.Certs {
		ic, err := parseIssued(&x.Certs[i])
		if err != nil {
			return c, err
		}
		c.Certificates = append(c.Certificates, ic)
	}
	if len(x.Issuers) != 1 {
		return c, schemaf("class %s needs exactly one <issuer>", c.Name)
	}
	if _, err := attrs(x.Issuers[0].Attrs, nil, nil); err != nil {
		return c, err
	}
	if err := leaf(&x.Issuers[0], "issuer"); err != nil {
		return c, err
	}
	c.Issuer, err = base64Content(x.Issuers[0].Text)
	return c, err
}

func parseIssued(x *xmlElement) (IssuedCert, error) {
	a, err := attrs(x.Attrs, []string{"cert_url"}, reqResourceAttrs)
	if err != nil {
		return IssuedCert{}, err
	}
	var ic IssuedCert
	if ic.CertURLs, err = certURLs(a["cert_url"]); err != nil {
		return ic, err
	}
	if ic.Requested, err = requested(a); err != nil {
		return ic, err
	}
	if err := leaf(x, "certificate"); err != nil {
		return ic, err
	}
	ic.DER, err = base64Content(x.Text)
	return ic, err
}

func parseRequest(x *xmlElement) (*IssueRequest, error) {
	a, err := attrs(x.Attrs, []string{"class_name"}, reqResourceAttrs)
	if err != nil {
		return nil, err
	}
	r := &IssueRequest{ClassName: a["class_name"]}
	if !label(r.ClassName) {
		return nil, schemaf("class_name must be 1..1024 characters")
	}
	if r.Requested, err = requested(a); err != nil {
		return nil, err
	}
	if err := leaf(x, "request"); err != nil {
		return nil, err
	}
	if r.CSR, err = base64Content(x.Text); err != nil {
		return nil, err
	}
	return r, nil
}

func parseKey(x *xmlElement) (*Key, error) {
	a, err := attrs(x.Attrs, []string{"class_name", "ski"}, nil)
	if err != nil {
		return nil, err
	}
	if err := leaf(x, "key"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(x.Text) != "" {
		return nil, schemaf("text in <key>")
	}
	k := &Key{ClassName: a["class_name"]}
	if !label(k.ClassName) {
		return nil, schemaf("class_name must be 1..1024 characters")
	}
	// §3.5.1: the SKI in base64url (RFC 4648 §5); padding is optional in
	// the wild (rpkid pads, Krill does not).
	ski, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight(a["ski"], "="))
	if err != nil || len(ski) == 0 {
		return nil, schemaf("ski %q is not base64url", a["ski"])
	}
	k.SKI = ski
	return k, nil
}

func parseError(raw *xmlMessage) (*ErrorResponse, error) {
	if len(raw.Status) != 1 {
		return nil, schemaf("error_response needs exactly one status")
	}
	st := raw.Status[0]
	if _, err := attrs(st.Attrs, nil, nil); err != nil {
		return nil, err
	}
	if err := leaf(&st, "status"); err != nil {
		return nil, err
	}
	code, err := strconv.Atoi(strings.TrimSpace(st.Text))
	if err != nil || code < 1 || code > 9999 { // §3.7: positiveInteger, max 9999
		return nil, schemaf("status %q is not 1..9999", st.Text)
	}
	e := &ErrorResponse{Status: code}
	for i := range raw.Descs {
		d := &raw.Descs[i]
		a, err := attrs(d.Attrs, []string{"xml:lang"}, nil)
		if err != nil {
			return nil, err
		}
		if err := leaf(d, "description"); err != nil {
			return nil, err
		}
		if len(d.Text) > 1024 {
			return nil, schemaf("description over 1024 characters")
		}
		e.Descriptions = append(e.Descriptions, Description{Lang: a["xml:lang"], Text: d.Text})
	}
	return e, nil
}

// certURLs splits a cert_url attribute: one or more comma-separated URIs
// (§3.3.2), 10..4096 characters (§3.7).
func certURLs(s string) ([]string, error) {
	if len(s) < 10 || len(s) > 4096 {
		return nil, schemaf("cert_url of %d characters, want 10..4096", len(s))
	}
	urls := strings.Split(s, ",")
	for _, u := range urls {
		if !strings.Contains(u, "://") {
			return nil, schemaf("cert_url element %q is not a URI", u)
		}
	}
	return urls, nil
}

// base64Content decodes an element's base64 text; whitespace (line breaks
// of real messages) is ignored. §3.7: at least 4 characters.
func base64Content(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if len(clean) < 4 {
		return nil, schemaf("base64 content of %d characters", len(clean))
	}
	b, err := base64.StdEncoding.Strict().DecodeString(clean)
	if err != nil {
		return nil, schemaf("base64 content: %v", err)
	}
	return b, nil
}
