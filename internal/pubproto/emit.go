package pubproto

import (
	"encoding/base64"
	"encoding/xml"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/roadrpki/road/internal/xmltree"
)

// Emit writes m as a <msg/> (RFC 8181 §2.1), one PDU a line, the
// namespace as the default, publish content as one line of Base64. It
// checks m first, as Parse would, so that road never sends what it would
// refuse.
func Emit(m Message) ([]byte, error) {
	if err := check(m); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(`<msg xmlns="` + Namespace + `" version="` + Version + `" type="` + string(m.Type) + `">` + "\n")
	for _, p := range m.PDUs {
		writePDU(&b, "  ", p)
	}
	if m.Success {
		b.WriteString("  <success/>\n")
	}
	for _, l := range m.List {
		b.WriteString("  <list")
		attrs(&b, "uri", l.URI, "hash", l.Hash)
		b.WriteString("/>\n")
	}
	for _, e := range m.Errors {
		b.WriteString("  <report_error")
		attrs(&b, "tag", e.Tag, "error_code", e.Code)
		if e.Text == "" && e.Failed == nil {
			b.WriteString("/>\n")
			continue
		}
		b.WriteString(">\n")
		if e.Text != "" {
			b.WriteString("    <error_text>")
			_ = xml.EscapeText(&b, []byte(e.Text)) // a strings.Builder never fails
			b.WriteString("</error_text>\n")
		}
		if e.Failed != nil {
			b.WriteString("    <failed_pdu>\n")
			writePDU(&b, "      ", *e.Failed)
			b.WriteString("    </failed_pdu>\n")
		}
		b.WriteString("  </report_error>\n")
	}
	b.WriteString("</msg>\n")
	return []byte(b.String()), nil
}

// attrs writes name/value pairs, skipping empty values.
func attrs(b *strings.Builder, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		b.WriteString(" " + kv[i] + `="`)
		_ = xml.EscapeText(b, []byte(kv[i+1]))
		b.WriteString(`"`)
	}
}

func writePDU(b *strings.Builder, indent string, p PDU) {
	b.WriteString(indent + "<" + string(p.Kind))
	if p.Kind != List {
		b.WriteString(` tag="`) // mandatory, even when empty (§2.1)
		_ = xml.EscapeText(b, []byte(p.Tag))
		b.WriteString(`"`)
		attrs(b, "uri", p.URI, "hash", p.Hash)
	}
	if p.Kind != Publish {
		b.WriteString("/>\n")
		return
	}
	b.WriteString(">" + base64.StdEncoding.EncodeToString(p.Content) + "</publish>\n")
}

func invalid(format string, a ...any) error { return fail(ErrInvalid, format, a...) }

// check holds m to what Parse accepts.
func check(m Message) error {
	switch m.Type {
	case Query:
		if m.Success || len(m.List) != 0 || len(m.Errors) != 0 {
			return invalid("a query with reply PDUs")
		}
		for _, p := range m.PDUs {
			if p.Kind == List && len(m.PDUs) != 1 {
				return invalid("a <list/> query with other PDUs (RFC 8181 §2.3)")
			}
			if err := checkPDU(p); err != nil {
				return err
			}
		}
		return nil
	case Reply:
		return checkReply(m)
	}
	return invalid("message type %q", m.Type)
}

func checkReply(m Message) error {
	n := 0
	for _, has := range []bool{m.Success, len(m.List) != 0, len(m.Errors) != 0} {
		if has {
			n++
		}
	}
	if len(m.PDUs) != 0 || n > 1 {
		return invalid("a reply holds one kind of reply PDU only")
	}
	for _, l := range m.List {
		if err := firstErr(rsyncURI(l.URI), lowerHex(l.Hash)); err != nil {
			return err
		}
	}
	for _, e := range m.Errors {
		if !slices.Contains(errorCodes, e.Code) {
			return invalid("error_code %q is not one of RFC 8181 §2.5", e.Code)
		}
		if !xmlText(e.Text) || len(e.Text) > maxErrorText {
			return invalid("error_text: not XML character data, or above %d bytes", maxErrorText)
		}
		errs := []error{checkToken(e.Tag)}
		if e.Failed != nil {
			errs = append(errs, checkPDU(*e.Failed))
		}
		if err := firstErr(errs...); err != nil {
			return err
		}
	}
	return nil
}

func checkPDU(p PDU) error {
	switch p.Kind {
	case List:
		if p.Tag != "" || p.URI != "" || p.Hash != "" || p.Content != nil {
			return invalid("a <list/> PDU with fields")
		}
		return nil
	case Withdraw:
		if p.Hash == "" || p.Content != nil {
			return invalid("a <withdraw/> needs a hash and has no content")
		}
	case Publish:
	default:
		return invalid("PDU kind %q", p.Kind)
	}
	errs := []error{checkToken(p.Tag), rsyncURI(p.URI)}
	if p.Hash != "" {
		errs = append(errs, lowerHex(p.Hash))
	}
	return firstErr(errs...)
}

func checkToken(t string) error {
	if t != strings.Join(strings.Fields(t), " ") || len(t) > maxTag {
		return invalid("tag %q: not an xsd:token of at most %d bytes", t, maxTag)
	}
	return nil
}

func lowerHex(h string) error {
	got, err := hexHash(h)
	if err != nil || got != h {
		return invalid("hash %q: not lower-case hexadecimal", h)
	}
	return nil
}

// xmlText reports whether s is UTF-8 made of XML characters only.
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// firstErr returns the first error, coded ErrInvalid (the checks it runs
// are those of Parse, which code their failures ErrMalformed).
func firstErr(errs ...error) error { return xmltree.FirstErr(ErrMalformed, ErrInvalid, errs...) }
