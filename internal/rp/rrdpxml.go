package rp

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// RRDP (RFC 8182) XML, parsed strictly and as a stream: the RFC 8182
// §3.5.4 schema only, no DTD (so no entities: XXE and "billion laughs"
// inputs fail on their DOCTYPE), no processing instructions but the XML
// declaration, no foreign elements or attributes, sizes bounded by the
// caller's reader and the per-object bound.

const rrdpNS = "http://www.ripe.net/rpki/rrdp"

// errRRDPSyntax marks a file outside the schema.
var errRRDPSyntax = errors.New("not RFC 8182 XML")

func rrdpErr(format string, a ...any) error {
	return &RejectError{Reason: ReasonRRDPMalformed, Err: fmt.Errorf("%w: %s", errRRDPSyntax, fmt.Sprintf(format, a...))}
}

// rrdpHeader is the root element's session and serial (RFC 8182 §3.5).
type rrdpHeader struct {
	Session string
	Serial  uint64
}

// fileRef is a snapshot or delta reference of a notification.
type fileRef struct {
	URI  string
	Hash [32]byte
}

type deltaRef struct {
	Serial uint64
	fileRef
}

// notification is a parsed Update Notification File (RFC 8182 §3.5.1).
type notification struct {
	rrdpHeader
	Snapshot fileRef
	Deltas   []deltaRef // sorted by serial, unique
}

// rrdpElement is one <publish> or <withdraw>.
type rrdpElement struct {
	Withdraw bool
	URI      string
	Hash     *[32]byte // the replaced or withdrawn object's hash; nil on a new publish
	Data     []byte    // publish only
}

type rrdpDecoder struct {
	d        *xml.Decoder
	maxText  int
	elements int
	maxElems int
}

func newRRDPDecoder(r io.Reader, maxText, maxElems int) *rrdpDecoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// RFC 8182 §3.5: US-ASCII, a subset of UTF-8.
		if strings.EqualFold(label, "us-ascii") || strings.EqualFold(label, "utf-8") {
			return in, nil
		}
		return nil, rrdpErr("encoding %q", label)
	}
	return &rrdpDecoder{d: d, maxText: maxText, maxElems: maxElems}
}

// next returns the next start or end element; text, when non-nil,
// collects character data (bounded), otherwise only whitespace may occur.
func (x *rrdpDecoder) next(text *[]byte) (xml.Token, error) {
	for {
		tok, err := x.d.Token()
		if err != nil {
			var re *RejectError
			if errors.As(err, &re) {
				return nil, err
			}
			if err == io.EOF {
				return nil, rrdpErr("unexpected end of file")
			}
			return nil, &RejectError{Reason: ReasonRRDPMalformed, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			x.elements++
			if x.elements > x.maxElems {
				return nil, reject(ReasonTooLarge, "more than %d RRDP elements", x.maxElems)
			}
			return t, nil
		case xml.EndElement:
			return t, nil
		case xml.CharData:
			if text == nil {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, rrdpErr("unexpected text")
				}
				continue
			}
			if len(*text)+len(t) > x.maxText {
				return nil, reject(ReasonTooLarge, "element text above %d bytes", x.maxText)
			}
			*text = append(*text, t...)
		case xml.Directive:
			return nil, rrdpErr("DOCTYPE or other directive")
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, rrdpErr("processing instruction %q", t.Target)
			}
		case xml.Comment:
		}
	}
}

// end checks that nothing but whitespace and comments follows the root.
func (x *rrdpDecoder) end() error {
	for {
		tok, err := x.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &RejectError{Reason: ReasonRRDPMalformed, Err: err}
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		case xml.Comment:
			continue
		}
		return rrdpErr("content after the root element")
	}
}

func attrMap(se xml.StartElement, allowed ...string) (map[string]string, error) {
	m := make(map[string]string, len(se.Attr))
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if a.Name.Space != "" || !slices.Contains(allowed, a.Name.Local) {
			return nil, rrdpErr("attribute %q on <%s>", a.Name.Local, se.Name.Local)
		}
		if _, dup := m[a.Name.Local]; dup {
			return nil, rrdpErr("attribute %q repeated", a.Name.Local)
		}
		m[a.Name.Local] = a.Value
	}
	return m, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func parseSerial(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || s[0] == '+' || (len(s) > 1 && s[0] == '0') {
		return 0, rrdpErr("serial %q (RFC 8182 §3.5: a positive integer)", s)
	}
	return n, nil
}

func parseHash(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, rrdpErr("hash %q is not a hex SHA-256", s)
	}
	copy(h[:], b)
	return h, nil
}

func checkRRDPURI(uri string, scheme string) error {
	if len(uri) > maxURILength || !strings.HasPrefix(uri, scheme) {
		return rrdpErr("uri %q is not %s", uri, scheme)
	}
	return nil
}

// header reads the root element.
func (x *rrdpDecoder) header(root string) (rrdpHeader, error) {
	tok, err := x.next(nil)
	if err != nil {
		return rrdpHeader{}, err
	}
	se, ok := tok.(xml.StartElement)
	if !ok || se.Name.Space != rrdpNS || se.Name.Local != root {
		return rrdpHeader{}, rrdpErr("root is not <%s> in the RRDP namespace", root)
	}
	a, err := attrMap(se, "version", "session_id", "serial")
	if err != nil {
		return rrdpHeader{}, err
	}
	if a["version"] != "1" {
		return rrdpHeader{}, rrdpErr("version %q", a["version"])
	}
	if !isUUID(a["session_id"]) {
		return rrdpHeader{}, rrdpErr("session_id %q is not a UUID", a["session_id"])
	}
	n, err := parseSerial(a["serial"])
	if err != nil {
		return rrdpHeader{}, err
	}
	return rrdpHeader{Session: strings.ToLower(a["session_id"]), Serial: n}, nil
}

// parseNotification reads an Update Notification File (RFC 8182 §3.5.1):
// exactly one snapshot, deltas with unique serials not above the
// notification's (returned sorted).
func parseNotification(r io.Reader, maxDeltas int) (*notification, error) {
	x := newRRDPDecoder(r, 0, maxDeltas+2)
	h, err := x.header("notification")
	if err != nil {
		return nil, err
	}
	n := &notification{rrdpHeader: h}
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
		if se.Name.Space != rrdpNS {
			return nil, rrdpErr("element <%s> outside the RRDP namespace", se.Name.Local)
		}
		var a map[string]string
		switch se.Name.Local {
		case "snapshot":
			if a, err = attrMap(se, "uri", "hash"); err != nil {
				return nil, err
			}
			snapshots++
		case "delta":
			if a, err = attrMap(se, "serial", "uri", "hash"); err != nil {
				return nil, err
			}
		default:
			return nil, rrdpErr("element <%s> in a notification", se.Name.Local)
		}
		if err := checkRRDPURI(a["uri"], "https://"); err != nil {
			return nil, err
		}
		ref := fileRef{URI: a["uri"]}
		if ref.Hash, err = parseHash(a["hash"]); err != nil {
			return nil, err
		}
		if se.Name.Local == "snapshot" {
			n.Snapshot = ref
		} else {
			s, err := parseSerial(a["serial"])
			if err != nil {
				return nil, err
			}
			if s > h.Serial {
				return nil, rrdpErr("delta serial %d above the notification's %d", s, h.Serial)
			}
			n.Deltas = append(n.Deltas, deltaRef{Serial: s, fileRef: ref})
		}
		if tok, err := x.next(nil); err != nil {
			return nil, err
		} else if _, ok := tok.(xml.EndElement); !ok {
			return nil, rrdpErr("<%s> has children", se.Name.Local)
		}
	}
	if snapshots != 1 {
		return nil, rrdpErr("%d snapshot elements, want exactly one (RFC 8182 §3.5.1.3)", snapshots)
	}
	slices.SortFunc(n.Deltas, func(a, b deltaRef) int { return cmp.Compare(a.Serial, b.Serial) })
	for i := 1; i < len(n.Deltas); i++ {
		if n.Deltas[i].Serial == n.Deltas[i-1].Serial {
			return nil, rrdpErr("delta serial %d listed twice", n.Deltas[i].Serial)
		}
	}
	return n, x.end()
}

// parseSnapshot and parseDelta stream the file's elements to fn.
func parseSnapshot(r io.Reader, maxObject, maxElems int, fn func(rrdpElement) error) (rrdpHeader, error) {
	return parseChanges(r, "snapshot", maxObject, maxElems, fn)
}

func parseDelta(r io.Reader, maxObject, maxElems int, fn func(rrdpElement) error) (rrdpHeader, error) {
	return parseChanges(r, "delta", maxObject, maxElems, fn)
}

func parseChanges(r io.Reader, root string, maxObject, maxElems int, fn func(rrdpElement) error) (rrdpHeader, error) {
	// base64 grows 4/3, plus line breaks and indentation.
	x := newRRDPDecoder(r, maxObject/3*4+maxObject/16+4096, maxElems)
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
		se := tok.(xml.StartElement)
		if se.Name.Space != rrdpNS || (se.Name.Local != "publish" && (root == "snapshot" || se.Name.Local != "withdraw")) {
			return h, rrdpErr("element <%s> in a %s", se.Name.Local, root)
		}
		el := rrdpElement{Withdraw: se.Name.Local == "withdraw"}
		allowed := []string{"uri", "hash"}
		if root == "snapshot" {
			allowed = allowed[:1]
		}
		a, err := attrMap(se, allowed...)
		if err != nil {
			return h, err
		}
		el.URI = a["uri"]
		if err := checkRRDPURI(el.URI, "rsync://"); err != nil {
			return h, err
		}
		if hs, ok := a["hash"]; ok {
			hv, err := parseHash(hs)
			if err != nil {
				return h, err
			}
			el.Hash = &hv
		} else if el.Withdraw {
			return h, rrdpErr("withdraw of %s without hash (RFC 8182 §3.5.3.3)", el.URI)
		}
		text = text[:0]
		tok, err = x.next(&text)
		if err != nil {
			return h, err
		}
		if _, ok := tok.(xml.EndElement); !ok {
			return h, rrdpErr("<%s> has children", se.Name.Local)
		}
		if el.Withdraw {
			if len(bytes.TrimSpace(text)) != 0 {
				return h, rrdpErr("withdraw with content")
			}
		} else {
			if el.Data, err = decodeBase64(text, maxObject); err != nil {
				return h, err
			}
		}
		if err := fn(el); err != nil {
			return h, err
		}
	}
	return h, x.end()
}

// decodeBase64 decodes strict standard base64 with any whitespace.
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
		return nil, reject(ReasonTooLarge, "object above %d bytes", max)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Strict().Decode(out, clean)
	if err != nil {
		return nil, rrdpErr("base64: %v", err)
	}
	if n > max {
		return nil, reject(ReasonTooLarge, "object above %d bytes", max)
	}
	// An empty publish is schema-valid (base64Binary); the object then
	// fails validation on its own.
	return out[:n], nil
}
