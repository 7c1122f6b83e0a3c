// Package xmltree reads one small XML document into a tree, refusing what a
// protocol message never needs: a DOCTYPE (so any entity definition), any
// processing instruction but the XML declaration, an encoding other than
// UTF-8 or US-ASCII, and input over a size, depth or element bound that is
// checked before (size) or while (depth, count) parsing. The protocol codecs
// (RFC 8183 out-of-band setup, RFC 8181 publication) map the tree to their
// types and check the schema themselves.
package xmltree

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Stable reason codes; every error of Parse wraps one.
var (
	ErrTooLarge  = errors.New("xml-too-large") // over MaxBytes, MaxDepth or MaxElements
	ErrDoctype   = errors.New("xml-doctype")   // a DOCTYPE or other <!...> directive
	ErrMalformed = errors.New("xml-malformed") // not well-formed XML, or refused syntax
	ErrEncoding  = errors.New("xml-encoding")  // an encoding other than UTF-8 / US-ASCII
)

// Error is a failure of this reader or of a codec built on it (oob,
// pubproto alias it): Code is a reason code, Err an optional cause.
type Error struct {
	Code   error
	Detail string
	Err    error
}

func (e *Error) Error() string { return e.Code.Error() + ": " + e.Detail }

// Unwrap returns the code and the cause, so errors.Is finds both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Code}
	}
	return []error{e.Code, e.Err}
}

// FirstErr returns the first non-nil error of errs, recoded from
// malformed to invalid: an emitter runs its parser's checks, whose failures
// say malformed, but on output the fault is the caller's input.
func FirstErr(malformed, invalid error, errs ...error) error {
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *Error
		if errors.As(err, &e) && e.Code == malformed {
			return &Error{Code: invalid, Detail: e.Detail, Err: e.Err}
		}
		return err
	}
	return nil
}

// Fail returns an *Error with code and a formatted detail.
func Fail(code error, format string, a ...any) error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, a...)}
}

// Limits bound one parse; zero fields take the defaults in brackets.
type Limits struct {
	MaxBytes    int // input size, checked before parsing [1 MiB]
	MaxDepth    int // element nesting [16]
	MaxElements int // elements in the document [100000]
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 1 << 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 16
	}
	if l.MaxElements <= 0 {
		l.MaxElements = 100_000
	}
	return l
}

// Attr is an attribute other than a namespace declaration; Space is the
// namespace URI ("" for an unprefixed attribute).
type Attr struct {
	Space, Local, Value string
}

// Node is an element: its namespace URI and local name, its attributes in
// document order, its child elements and all its character data (text and
// CDATA, concatenated; comments dropped).
type Node struct {
	Space, Local string
	Attrs        []Attr
	Children     []*Node
	Text         string
}

// Parse reads data as one XML document and returns its root element.
func Parse(data []byte, lim Limits) (*Node, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, Fail(ErrTooLarge, "%d bytes, above the bound of %d", len(data), lim.MaxBytes)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true // no Entity map: only the predefined entities exist
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "us-ascii") || strings.EqualFold(label, "utf-8") {
			return in, nil
		}
		return nil, Fail(ErrEncoding, "encoding %q", label)
	}
	p := parser{d: d, lim: lim}
	return p.document()
}

type parser struct {
	d        *xml.Decoder
	lim      Limits
	elements int
}

func (p *parser) token() (xml.Token, error) {
	tok, err := p.d.Token()
	if err == nil {
		return tok, nil
	}
	if err == io.EOF {
		return nil, Fail(ErrMalformed, "unexpected end of input")
	}
	return nil, classify(err)
}

// classify keeps a coded error of the charset reader and calls anything
// else the XML decoder says malformed.
func classify(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Fail(ErrMalformed, "%v", err)
}

// document reads the prolog, the root element and the epilog.
func (p *parser) document() (*Node, error) {
	var root *Node
	for first := true; ; first = false {
		tok, err := p.d.Token()
		if err == io.EOF {
			if root == nil {
				return nil, Fail(ErrMalformed, "no root element")
			}
			return root, nil
		}
		if err != nil {
			return nil, classify(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil {
				return nil, Fail(ErrMalformed, "content after the root element")
			}
			if root, err = p.element(t, 1); err != nil {
				return nil, err
			}
		case xml.ProcInst:
			if t.Target != "xml" || !first {
				return nil, Fail(ErrMalformed, "processing instruction %q", t.Target)
			}
		case xml.Directive:
			return nil, Fail(ErrDoctype, "DOCTYPE or other directive refused")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, Fail(ErrMalformed, "text outside the root element")
			}
		case xml.Comment:
		}
	}
}

// element reads the content of start up to its end tag.
func (p *parser) element(start xml.StartElement, depth int) (*Node, error) {
	p.elements++
	if p.elements > p.lim.MaxElements {
		return nil, Fail(ErrTooLarge, "more than %d elements", p.lim.MaxElements)
	}
	if depth > p.lim.MaxDepth {
		return nil, Fail(ErrTooLarge, "elements nested deeper than %d", p.lim.MaxDepth)
	}
	n := &Node{Space: start.Name.Space, Local: start.Name.Local}
	for _, a := range start.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		for _, seen := range n.Attrs {
			if seen.Space == a.Name.Space && seen.Local == a.Name.Local {
				return nil, Fail(ErrMalformed, "attribute %q repeated", a.Name.Local)
			}
		}
		n.Attrs = append(n.Attrs, Attr{Space: a.Name.Space, Local: a.Name.Local, Value: a.Value})
	}
	var text strings.Builder
	for {
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			c, err := p.element(t, depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		case xml.EndElement:
			n.Text = text.String()
			return n, nil
		case xml.CharData:
			text.Write(t)
		case xml.Directive:
			return nil, Fail(ErrDoctype, "directive inside an element")
		case xml.ProcInst:
			return nil, Fail(ErrMalformed, "processing instruction %q", t.Target)
		case xml.Comment:
		}
	}
}

// Attr returns the value of the unprefixed attribute local and whether it
// is present.
func (n *Node) Attr(local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Space == "" && a.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// CheckAttrs returns the first attribute that is prefixed or not in
// allowed, and whether there is one.
func (n *Node) CheckAttrs(allowed ...string) (Attr, bool) {
	for _, a := range n.Attrs {
		ok := a.Space == ""
		if ok {
			ok = false
			for _, name := range allowed {
				if a.Local == name {
					ok = true
					break
				}
			}
		}
		if !ok {
			return a, true
		}
	}
	return Attr{}, false
}

// Blank reports whether s is only XML whitespace.
func Blank(s string) bool {
	return strings.Trim(s, " \t\r\n") == ""
}
