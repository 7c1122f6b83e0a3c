package rrdp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Errors wrapped by every decoding failure: ErrMalformed for a file
// outside the RFC 8182 §3.5.4 schema or these rules, ErrTooLarge for a
// bound that was hit.
var (
	ErrMalformed = errors.New("rrdp-malformed")
	ErrTooLarge  = errors.New("rrdp-too-large")
)

// Error is a decoding failure: Code is ErrMalformed or ErrTooLarge.
type Error struct {
	Code   error
	Detail string
}

func (e *Error) Error() string { return e.Code.Error() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Code }

func malformed(format string, a ...any) error {
	return &Error{Code: ErrMalformed, Detail: fmt.Sprintf(format, a...)}
}

func tooLarge(format string, a ...any) error {
	return &Error{Code: ErrTooLarge, Detail: fmt.Sprintf(format, a...)}
}

// Limits bound what one decode may hold; zero fields take the defaults
// in brackets.
type Limits struct {
	MaxURI      int // bytes of one uri attribute [4096]
	MaxObject   int // bytes of one decoded published object [64 MiB]
	MaxElements int // elements in one file [2000000]
	MaxDeltas   int // deltas listed in a notification [100000]
}

func (l Limits) withDefaults() Limits {
	if l.MaxURI <= 0 {
		l.MaxURI = 4096
	}
	if l.MaxObject <= 0 {
		l.MaxObject = 64 << 20
	}
	if l.MaxElements <= 0 {
		l.MaxElements = 2_000_000
	}
	if l.MaxDeltas <= 0 {
		l.MaxDeltas = 100_000
	}
	return l
}

type decoder struct {
	d        *xml.Decoder
	src      *errReader
	maxText  int
	elements int
	maxElems int
}

// errReader remembers the reader's own error, so that it is told apart
// from what the XML decoder finds wrong in the bytes.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

func newDecoder(r io.Reader, maxText, maxElems int) *decoder {
	src := &errReader{r: r}
	d := xml.NewDecoder(src)
	d.Strict = true
	// No Entity map: only the five predefined entities exist, and any
	// DOCTYPE (so any entity definition) is refused in next.
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// RFC 8182 §3.5: US-ASCII, a subset of UTF-8.
		if strings.EqualFold(label, "us-ascii") || strings.EqualFold(label, "utf-8") {
			return in, nil
		}
		return nil, malformed("encoding %q", label)
	}
	return &decoder{d: d, src: src, maxText: maxText, maxElems: maxElems}
}

// wrap returns the reader's own error (I/O, a size bound of the caller)
// as it is, and anything else the XML decoder says as malformed.
func (x *decoder) wrap(err error) error {
	switch {
	case x.src.err != nil:
		return x.src.err
	case errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge):
		return err
	case err == io.EOF:
		return malformed("unexpected end of file")
	}
	return &Error{Code: ErrMalformed, Detail: err.Error()}
}

// next returns the next start or end element; text, when non-nil,
// collects character data (bounded), otherwise only whitespace may occur.
func (x *decoder) next(text *[]byte) (xml.Token, error) {
	for {
		tok, err := x.d.Token()
		if err != nil {
			return nil, x.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			x.elements++
			if x.elements > x.maxElems {
				return nil, tooLarge("more than %d elements", x.maxElems)
			}
			return t, nil
		case xml.EndElement:
			return t, nil
		case xml.CharData:
			if text == nil {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, malformed("unexpected text")
				}
				continue
			}
			if len(*text)+len(t) > x.maxText {
				return nil, tooLarge("element text above %d bytes", x.maxText)
			}
			*text = append(*text, t...)
		case xml.Directive:
			return nil, malformed("DOCTYPE or other directive")
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, malformed("processing instruction %q", t.Target)
			}
		case xml.Comment:
		}
	}
}

// end checks that nothing but whitespace and comments follows the root.
func (x *decoder) end() error {
	for {
		tok, err := x.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return x.wrap(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		case xml.Comment:
			continue
		}
		return malformed("content after the root element")
	}
}

// closeEmpty reads the end of an element that must have no children.
func (x *decoder) closeEmpty(name string) error {
	tok, err := x.next(nil)
	if err != nil {
		return err
	}
	if _, ok := tok.(xml.EndElement); !ok {
		return malformed("<%s> has children", name)
	}
	return nil
}

func attrMap(se xml.StartElement, allowed ...string) (map[string]string, error) {
	m := make(map[string]string, len(se.Attr))
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if a.Name.Space != "" || !slices.Contains(allowed, a.Name.Local) {
			return nil, malformed("attribute %q on <%s>", a.Name.Local, se.Name.Local)
		}
		if _, dup := m[a.Name.Local]; dup {
			return nil, malformed("attribute %q repeated", a.Name.Local)
		}
		m[a.Name.Local] = a.Value
	}
	return m, nil
}

func parseHash(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, malformed("hash %q is not a hex SHA-256", s)
	}
	copy(h[:], b)
	return h, nil
}

func checkURI(uri, scheme string, max int) error {
	if len(uri) > max {
		return tooLarge("uri of %d bytes", len(uri))
	}
	if !strings.HasPrefix(uri, scheme) || len(uri) == len(scheme) {
		return malformed("uri %q is not %s", uri, scheme)
	}
	return nil
}

// header reads the root element (RFC 8182 §3.5.1.3, §3.5.2.3, §3.5.3.3).
func (x *decoder) header(root string) (Header, error) {
	tok, err := x.next(nil)
	if err != nil {
		return Header{}, err
	}
	se, ok := tok.(xml.StartElement)
	if !ok || se.Name.Space != Namespace || se.Name.Local != root {
		return Header{}, malformed("root is not <%s> in the RRDP namespace", root)
	}
	a, err := attrMap(se, "version", "session_id", "serial")
	if err != nil {
		return Header{}, err
	}
	if v, err := ParseSerial(a["version"]); err != nil || v != Version {
		return Header{}, malformed("version %q", a["version"])
	}
	if !IsUUID(a["session_id"]) {
		return Header{}, malformed("session_id %q is not a UUID", a["session_id"])
	}
	n, err := ParseSerial(a["serial"])
	if err != nil {
		return Header{}, err
	}
	return Header{Session: strings.ToLower(a["session_id"]), Serial: n}, nil
}

// ParseNotification reads an Update Notification File (RFC 8182 §3.5.1):
// exactly one snapshot, deltas with unique serials not above the
// notification's (in document order; SortDeltas orders them), https URIs
// only.
func ParseNotification(r io.Reader, lim Limits) (*Notification, error) {
	lim = lim.withDefaults()
	x := newDecoder(r, 0, lim.MaxDeltas+2)
	h, err := x.header("notification")
	if err != nil {
		return nil, err
	}
	n := &Notification{Header: h}
	snapshots := 0
	for {
		tok, err := x.next(nil)
		if err != nil {
			return nil, err
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		se := tok.(xml.StartElement)
		if err := n.addRef(se, lim, &snapshots); err != nil {
			return nil, err
		}
		if err := x.closeEmpty(se.Name.Local); err != nil {
			return nil, err
		}
	}
	if snapshots != 1 {
		return nil, malformed("%d snapshot elements, want exactly one (RFC 8182 §3.5.1.3)", snapshots)
	}
	serials := make([]uint64, len(n.Deltas))
	for i, d := range n.Deltas {
		serials[i] = d.Serial
	}
	slices.Sort(serials)
	for i := 1; i < len(serials); i++ {
		if serials[i] == serials[i-1] {
			return nil, malformed("delta serial %d listed twice", serials[i])
		}
	}
	return n, x.end()
}

// addRef adds one <snapshot> or <delta> of a notification.
func (n *Notification) addRef(se xml.StartElement, lim Limits, snapshots *int) error {
	if se.Name.Space != Namespace || (se.Name.Local != "snapshot" && se.Name.Local != "delta") {
		return malformed("element <%s> in a notification", se.Name.Local)
	}
	allowed := []string{"uri", "hash", "serial"}
	if se.Name.Local == "snapshot" {
		allowed = allowed[:2]
	}
	a, err := attrMap(se, allowed...)
	if err != nil {
		return err
	}
	if err := checkURI(a["uri"], "https://", lim.MaxURI); err != nil {
		return err
	}
	ref := FileRef{URI: a["uri"]}
	if ref.Hash, err = parseHash(a["hash"]); err != nil {
		return err
	}
	if se.Name.Local == "snapshot" {
		*snapshots++
		n.Snapshot = ref
		return nil
	}
	s, err := ParseSerial(a["serial"])
	if err != nil {
		return err
	}
	if s > n.Serial {
		return malformed("delta serial %d above the notification's %d", s, n.Serial)
	}
	n.Deltas = append(n.Deltas, DeltaRef{Serial: s, FileRef: ref})
	return nil
}

// ParseSnapshot streams a snapshot's <publish> elements (RFC 8182
// §3.5.2) to fn, in file order; a URI published twice is refused.
func ParseSnapshot(r io.Reader, lim Limits, fn func(Element) error) (Header, error) {
	seen := map[string]bool{}
	return parseChanges(r, "snapshot", lim, func(el Element) error {
		if seen[el.URI] {
			return malformed("snapshot publishes %s twice", el.URI)
		}
		seen[el.URI] = true
		return fn(el)
	})
}

// ParseDelta streams a delta's <publish> and <withdraw> elements (RFC
// 8182 §3.5.3) to fn, in file order; a delta holds at least one.
func ParseDelta(r io.Reader, lim Limits, fn func(Element) error) (Header, error) {
	n := 0
	h, err := parseChanges(r, "delta", lim, func(el Element) error {
		n++
		return fn(el)
	})
	if err == nil && n == 0 {
		err = malformed("empty delta (RFC 8182 §3.5.4: one or more elements)")
	}
	return h, err
}

func parseChanges(r io.Reader, root string, lim Limits, fn func(Element) error) (Header, error) {
	lim = lim.withDefaults()
	// base64 grows 4/3, plus line breaks and indentation.
	x := newDecoder(r, lim.MaxObject/3*4+lim.MaxObject/16+4096, lim.MaxElements)
	h, err := x.header(root)
	if err != nil {
		return h, err
	}
	var text []byte
	for {
		tok, err := x.next(nil)
		if err != nil {
			return h, err
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		el, err := x.element(tok.(xml.StartElement), root, lim, &text)
		if err != nil {
			return h, err
		}
		if err := fn(el); err != nil {
			return h, err
		}
	}
	return h, x.end()
}

// element reads one <publish> or <withdraw> (RFC 8182 §3.5.2.3, §3.5.3.3).
func (x *decoder) element(se xml.StartElement, root string, lim Limits, text *[]byte) (Element, error) {
	name := se.Name.Local
	if se.Name.Space != Namespace || (name != "publish" && (root == "snapshot" || name != "withdraw")) {
		return Element{}, malformed("element <%s> in a %s", name, root)
	}
	el := Element{Withdraw: name == "withdraw"}
	allowed := []string{"uri", "hash"}
	if root == "snapshot" {
		allowed = allowed[:1]
	}
	a, err := attrMap(se, allowed...)
	if err != nil {
		return el, err
	}
	el.URI = a["uri"]
	if err := checkURI(el.URI, "rsync://", lim.MaxURI); err != nil {
		return el, err
	}
	if hs, ok := a["hash"]; ok {
		hv, err := parseHash(hs)
		if err != nil {
			return el, err
		}
		el.Hash = &hv
	} else if el.Withdraw {
		return el, malformed("withdraw of %s without hash (RFC 8182 §3.5.3.3)", el.URI)
	}
	*text = (*text)[:0]
	tok, err := x.next(text)
	if err != nil {
		return el, err
	}
	if _, ok := tok.(xml.EndElement); !ok {
		return el, malformed("<%s> has children", name)
	}
	if el.Withdraw {
		if len(bytes.TrimSpace(*text)) != 0 {
			return el, malformed("withdraw with content")
		}
		return el, nil
	}
	el.Data, err = decodeBase64(*text, lim.MaxObject)
	return el, err
}

// decodeBase64 decodes xsd:base64Binary: standard alphabet with padding,
// any XML whitespace; non-zero trailing bits are tolerated, as deployed
// relying parties do.
func decodeBase64(text []byte, max int) ([]byte, error) {
	clean := make([]byte, 0, len(text))
	for _, c := range text {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	if base64.StdEncoding.DecodedLen(len(clean)) > max+2 {
		return nil, tooLarge("object above %d bytes", max)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, malformed("base64: %v", err)
	}
	if n > max {
		return nil, tooLarge("object above %d bytes", max)
	}
	// An empty publish is schema-valid (base64Binary); the object then
	// fails validation on its own.
	return out[:n], nil
}
