package pubproto

import (
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/roadrpki/road/internal/xmltree"
)

// Field bounds of the schema (RFC 8181 §2.6).
const (
	maxURI       = 4096
	maxTag       = 1024
	maxErrorText = 512000
)

// Parse decodes one <msg/> (RFC 8181 §2.1).
func Parse(data []byte, opt Options) (Message, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 64 << 20
	}
	if opt.MaxElements <= 0 {
		opt.MaxElements = 1_000_000
	}
	// Depth 4: msg, report_error, failed_pdu, publish.
	n, err := xmltree.Parse(data, xmltree.Limits{MaxBytes: opt.MaxBytes, MaxDepth: 4, MaxElements: opt.MaxElements})
	if err != nil {
		code := ErrMalformed
		if errors.Is(err, xmltree.ErrTooLarge) {
			code = ErrTooLarge
		}
		return Message{}, &Error{Code: code, Detail: "XML", Err: err}
	}
	if err := container(n, "version", "type"); err != nil {
		return Message{}, err
	}
	if n.Local != "msg" {
		return Message{}, fail(ErrMalformed, "root element <%s>, want <msg>", n.Local)
	}
	v, _ := n.Attr("version")
	if v != Version {
		return Message{}, fail(ErrVersion, "version %q, only %q is defined (RFC 8181 §2.1)", v, Version)
	}
	t, _ := n.Attr("type")
	switch Type(t) {
	case Query:
		pdus, err := queryPDUs(n.Children)
		if err != nil {
			return Message{}, err
		}
		return Message{Type: Query, PDUs: pdus}, nil
	case Reply:
		return reply(n.Children)
	}
	return Message{}, fail(ErrMalformed, "msg type %q, want query or reply", t)
}

// container checks n's namespace, attributes and that it holds no text
// (only child elements, each in the namespace).
func container(n *xmltree.Node, allowed ...string) error {
	if err := element(n, allowed...); err != nil {
		return err
	}
	if !xmltree.Blank(n.Text) {
		return fail(ErrMalformed, "text in <%s>", n.Local)
	}
	return nil
}

// element checks n's namespace and attributes, and its children's
// namespace.
func element(n *xmltree.Node, allowed ...string) error {
	if n.Space != Namespace {
		return fail(ErrNamespace, "<%s> in namespace %q, want %q", n.Local, n.Space, Namespace)
	}
	if a, bad := n.CheckAttrs(allowed...); bad {
		return fail(ErrMalformed, "attribute %q on <%s>", a.Local, n.Local)
	}
	for _, c := range n.Children {
		if c.Space != Namespace {
			return fail(ErrNamespace, "<%s> in namespace %q, want %q", c.Local, c.Space, Namespace)
		}
	}
	return nil
}

// queryPDUs reads publish and withdraw PDUs, or one list PDU (§2.3: a
// <list/> query is the only PDU of its message).
func queryPDUs(kids []*xmltree.Node) ([]PDU, error) {
	var out []PDU
	for _, k := range kids {
		p, err := queryPDU(k)
		if err != nil {
			return nil, err
		}
		if p.Kind == List && len(kids) != 1 {
			return nil, fail(ErrMalformed, "a <list/> query with other PDUs (RFC 8181 §2.3)")
		}
		out = append(out, p)
	}
	return out, nil
}

func queryPDU(n *xmltree.Node) (PDU, error) {
	var err error
	switch Kind(n.Local) {
	case Publish: // its text is the object
		err = element(n, "tag", "uri", "hash")
	case Withdraw:
		err = container(n, "tag", "uri", "hash")
	case List:
		err = container(n)
	default:
		return PDU{}, fail(ErrMalformed, "<%s> is not a query PDU", n.Local)
	}
	if err != nil {
		return PDU{}, err
	}
	if len(n.Children) != 0 {
		return PDU{}, fail(ErrMalformed, "<%s> has child elements", n.Local)
	}
	p := PDU{Kind: Kind(n.Local)}
	if p.Kind == List {
		return p, nil
	}
	tag, ok := n.Attr("tag")
	if !ok {
		return PDU{}, fail(ErrMalformed, "<%s> without tag (RFC 8181 §2.1: mandatory)", n.Local)
	}
	if p.Tag, err = token(tag); err != nil {
		return PDU{}, err
	}
	p.URI, _ = n.Attr("uri")
	if err := rsyncURI(p.URI); err != nil {
		return PDU{}, err
	}
	h, hasHash := n.Attr("hash")
	if p.Kind == Withdraw && !hasHash {
		return PDU{}, fail(ErrMalformed, "<withdraw> without hash (RFC 8181 §2.2)")
	}
	if hasHash {
		if p.Hash, err = hexHash(h); err != nil {
			return PDU{}, err
		}
	}
	if p.Kind == Publish {
		p.Content, err = decodeBase64(n.Text)
		return p, err
	}
	return p, nil
}

// reply reads the PDUs of a reply: one <success/>, or <list/>s, or
// <report_error/>s (RFC 8181 §2.6).
func reply(kids []*xmltree.Node) (Message, error) {
	m := Message{Type: Reply}
	for _, k := range kids {
		switch k.Local {
		case "success":
			if len(kids) != 1 || len(k.Children) != 0 || len(k.Attrs) != 0 || !xmltree.Blank(k.Text) {
				return Message{}, fail(ErrMalformed, "<success/> must be empty and alone")
			}
			m.Success = true
		case "list":
			l, err := listed(k)
			if err != nil {
				return Message{}, err
			}
			m.List = append(m.List, l)
		case "report_error":
			e, err := reportError(k)
			if err != nil {
				return Message{}, err
			}
			m.Errors = append(m.Errors, e)
		default:
			return Message{}, fail(ErrMalformed, "<%s> is not a reply PDU", k.Local)
		}
	}
	if len(m.List) != 0 && len(m.Errors) != 0 {
		return Message{}, fail(ErrMalformed, "a reply mixes <list/> and <report_error/>")
	}
	return m, nil
}

func listed(n *xmltree.Node) (Listed, error) {
	if err := container(n, "uri", "hash"); err != nil {
		return Listed{}, err
	}
	if len(n.Children) != 0 {
		return Listed{}, fail(ErrMalformed, "<list> has child elements")
	}
	u, _ := n.Attr("uri")
	h, ok := n.Attr("hash")
	if !ok {
		return Listed{}, fail(ErrMalformed, "<list> reply without hash")
	}
	if err := rsyncURI(u); err != nil {
		return Listed{}, err
	}
	hash, err := hexHash(h)
	return Listed{URI: u, Hash: hash}, err
}

// reportError reads a <report_error/>: tag?, error_code, then
// <error_text/>? and <failed_pdu/>? in that order (RFC 8181 §2.4, §2.6).
func reportError(n *xmltree.Node) (ReportError, error) {
	if err := container(n, "tag", "error_code"); err != nil {
		return ReportError{}, err
	}
	var e ReportError
	var err error
	tag, _ := n.Attr("tag")
	if e.Tag, err = token(tag); err != nil {
		return ReportError{}, err
	}
	e.Code, _ = n.Attr("error_code")
	if !slices.Contains(errorCodes, e.Code) {
		return ReportError{}, fail(ErrMalformed, "error_code %q is not one of RFC 8181 §2.5", e.Code)
	}
	kids := n.Children
	if len(kids) > 0 && kids[0].Local == "error_text" {
		t := kids[0]
		if len(t.Attrs) != 0 || len(t.Children) != 0 {
			return ReportError{}, fail(ErrMalformed, "<error_text> with attributes or children")
		}
		if len(t.Text) > maxErrorText {
			return ReportError{}, fail(ErrTooLarge, "<error_text> above %d bytes", maxErrorText)
		}
		e.Text, kids = t.Text, kids[1:]
	}
	if len(kids) > 0 && kids[0].Local == "failed_pdu" {
		f := kids[0]
		if err := container(f); err != nil {
			return ReportError{}, err
		}
		// §2.4: "a verbatim copy of the query PDU": exactly one.
		if len(f.Children) != 1 {
			return ReportError{}, fail(ErrMalformed, "<failed_pdu> with %d PDUs, want 1", len(f.Children))
		}
		p, err := queryPDU(f.Children[0])
		if err != nil {
			return ReportError{}, err
		}
		e.Failed, kids = &p, kids[1:]
	}
	if len(kids) != 0 {
		return ReportError{}, fail(ErrMalformed, "unexpected <%s> in <report_error>", kids[0].Local)
	}
	return e, nil
}

// token checks an xsd:token of at most 1024 bytes and returns it with its
// whitespace collapsed, as xsd:token's value is.
func token(s string) (string, error) {
	t := strings.Join(strings.Fields(s), " ")
	if len(t) > maxTag {
		return "", fail(ErrMalformed, "tag longer than %d", maxTag)
	}
	return t, nil
}

// rsyncURI checks a publication URI (§2.2: an rsync URI; §2.6: at most
// 4096).
func rsyncURI(s string) error {
	if len(s) > maxURI {
		return fail(ErrMalformed, "uri longer than %d", maxURI)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "rsync" || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		return fail(ErrMalformed, "uri %q is not an rsync URI", s)
	}
	return nil
}

// hexHash checks a hash attribute ([0-9a-fA-F]+, §2.6) and returns it in
// lower case. The schema bounds no length (the RFC's examples are short).
func hexHash(s string) (string, error) {
	if s == "" || len(s) > 128 {
		return "", fail(ErrMalformed, "hash %q: empty or longer than 128", s)
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "", fail(ErrMalformed, "hash %q is not hexadecimal", s)
		}
	}
	return strings.ToLower(s), nil
}

// decodeBase64 reads RFC 4648 §4 Base64 with line breaks and other XML
// whitespace anywhere (§2.2), padding required.
func decodeBase64(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.Strict().DecodeString(clean)
	if err != nil {
		return nil, &Error{Code: ErrMalformed, Detail: "<publish> content is not Base64", Err: err}
	}
	return b, nil
}
