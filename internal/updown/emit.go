package updown

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// Marshal writes m as RFC 6492 XML (§3.2, schema §3.7): UTF-8, the
// namespace as default, attributes in a fixed order, base64 without line
// breaks, resource sets as prefixes where a range is one. The result is
// parsed back with Parse, so Marshal never emits what Parse refuses.
func Marshal(m *Message) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<message xmlns="` + Namespace + `" version="1"`)
	attr(&b, "sender", m.Sender)
	attr(&b, "recipient", m.Recipient)
	attr(&b, "type", string(m.Type))
	b.WriteString(">\n")
	for _, c := range m.Classes {
		writeClass(&b, c)
	}
	if r := m.Request; r != nil {
		b.WriteString("  <request")
		attr(&b, "class_name", r.ClassName)
		writeRequested(&b, r.Requested)
		b.WriteString(">" + base64.StdEncoding.EncodeToString(r.CSR) + "</request>\n")
	}
	if k := m.Key; k != nil {
		b.WriteString("  <key")
		attr(&b, "class_name", k.ClassName)
		attr(&b, "ski", base64.RawURLEncoding.EncodeToString(k.SKI))
		b.WriteString("/>\n")
	}
	if e := m.Error; e != nil {
		b.WriteString("  <status>" + strconv.Itoa(e.Status) + "</status>\n")
		for _, d := range e.Descriptions {
			b.WriteString("  <description")
			attr(&b, "xml:lang", d.Lang)
			b.WriteString(">")
			_ = xml.EscapeText(&b, []byte(d.Text))
			b.WriteString("</description>\n")
		}
	}
	b.WriteString("</message>\n")
	if _, err := Parse(b.Bytes()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func attr(b *bytes.Buffer, name, value string) {
	b.WriteString(" " + name + `="`)
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString(`"`)
}

func writeResources(b *bytes.Buffer, names []string, s ResourceSet) {
	attr(b, names[0], formatAS(s.AS))
	attr(b, names[1], formatIP(s.IPv4))
	attr(b, names[2], formatIP(s.IPv6))
}

func writeRequested(b *bytes.Buffer, s *ResourceSet) {
	if s != nil {
		writeResources(b, reqResourceAttrs, *s)
	}
}

func writeClass(b *bytes.Buffer, c Class) {
	b.WriteString("  <class")
	attr(b, "class_name", c.Name)
	attr(b, "cert_url", strings.Join(c.CertURLs, ","))
	writeResources(b, resourceAttrs, c.Resources)
	attr(b, "resource_set_notafter", c.NotAfter.UTC().Format(time.RFC3339))
	if c.SIAHead != "" {
		attr(b, "suggested_sia_head", c.SIAHead)
	}
	b.WriteString(">\n")
	for _, ic := range c.Certificates {
		b.WriteString("    <certificate")
		attr(b, "cert_url", strings.Join(ic.CertURLs, ","))
		writeRequested(b, ic.Requested)
		b.WriteString(">" + base64.StdEncoding.EncodeToString(ic.DER) + "</certificate>\n")
	}
	b.WriteString("    <issuer>" + base64.StdEncoding.EncodeToString(c.Issuer) + "</issuer>\n")
	b.WriteString("  </class>\n")
}
