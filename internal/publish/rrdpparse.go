package publish

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bounds on what recovery reads back from disk.
const (
	maxNotificationSize = 8 << 20
	maxSnapshotSize     = 1 << 30
	maxObjectSize       = 64 << 20
)

// notificationFile is a parsed notification.
type notificationFile struct {
	Session  string
	Serial   uint64
	Snapshot fileRef
	Deltas   []deltaListing
}

type deltaListing struct {
	Serial uint64
	fileRef
}

// newStrictDecoder refuses anything outside plain XML 1.0: Strict mode and no
// Entity map means only the five predefined entities; DOCTYPE (and with it
// any entity definition) is refused by the token walkers.
func newStrictDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = nil
	return d
}

// nextToken returns the next element start or end, refusing DOCTYPE and
// non-whitespace text outside where text is expected.
func nextToken(d *xml.Decoder, text *[]byte) (xml.Token, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement, xml.EndElement:
			return t, nil
		case xml.CharData:
			if text != nil {
				*text = append(*text, t...)
			} else if len(bytes.TrimSpace(t)) != 0 {
				return nil, fmt.Errorf("%w: unexpected text", ErrBadFile)
			}
		case xml.Directive:
			return nil, fmt.Errorf("%w: DOCTYPE or directive not allowed", ErrBadFile)
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, fmt.Errorf("%w: processing instruction %q", ErrBadFile, t.Target)
			}
		case xml.Comment:
		}
	}
}

// attrs returns the element's attributes by local name, refusing foreign
// ones (the RFC 8182 §3.5.4 schema allows no others).
func attrs(se xml.StartElement, allowed ...string) (map[string]string, error) {
	m := make(map[string]string, len(se.Attr))
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		ok := a.Name.Space == ""
		if ok {
			ok = false
			for _, n := range allowed {
				ok = ok || a.Name.Local == n
			}
		}
		if !ok {
			return nil, fmt.Errorf("%w: attribute %q on <%s>", ErrBadFile, a.Name.Local, se.Name.Local)
		}
		if _, dup := m[a.Name.Local]; dup {
			return nil, fmt.Errorf("%w: duplicate attribute %q", ErrBadFile, a.Name.Local)
		}
		m[a.Name.Local] = a.Value
	}
	return m, nil
}

func isRRDP(n xml.Name, local string) bool { return n.Space == rrdpNS && n.Local == local }

// parseHeader checks the root element's version, session_id and serial.
func parseHeader(d *xml.Decoder, root string) (session string, serial uint64, err error) {
	tok, err := nextToken(d, nil)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %w", ErrBadFile, err)
	}
	se, ok := tok.(xml.StartElement)
	if !ok || !isRRDP(se.Name, root) {
		return "", 0, fmt.Errorf("%w: root is not <%s> in the RRDP namespace", ErrBadFile, root)
	}
	a, err := attrs(se, "version", "session_id", "serial")
	if err != nil {
		return "", 0, err
	}
	if a["version"] != "1" {
		return "", 0, fmt.Errorf("%w: version %q", ErrBadFile, a["version"])
	}
	session = a["session_id"]
	if !isUUID(session) {
		return "", 0, fmt.Errorf("%w: session_id %q", ErrBadFile, session)
	}
	serial, err = parseSerial(a["serial"])
	return session, serial, err
}

func parseSerial(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || s[0] == '+' {
		return 0, fmt.Errorf("%w: serial %q", ErrBadFile, s)
	}
	return n, nil
}

// isUUID accepts the canonical 8-4-4-4-12 lowercase or uppercase hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// parseNotification reads a notification file (RFC 8182 §3.5.1.3).
func parseNotification(data []byte) (*notificationFile, error) {
	if len(data) > maxNotificationSize {
		return nil, fmt.Errorf("%w: notification larger than %d bytes", ErrBadFile, maxNotificationSize)
	}
	d := newStrictDecoder(data)
	n := &notificationFile{}
	var err error
	if n.Session, n.Serial, err = parseHeader(d, "notification"); err != nil {
		return nil, err
	}
	snapshots := 0
	for {
		tok, err := nextToken(d, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
		}
		if _, end := tok.(xml.EndElement); end {
			break
		}
		se := tok.(xml.StartElement)
		switch {
		case isRRDP(se.Name, "snapshot"):
			a, err := attrs(se, "uri", "hash")
			if err != nil {
				return nil, err
			}
			snapshots++
			n.Snapshot = fileRef{URI: a["uri"], Hash: strings.ToLower(a["hash"])}
			if n.Snapshot.URI == "" || !validHash(n.Snapshot.Hash) {
				return nil, fmt.Errorf("%w: snapshot reference", ErrBadFile)
			}
		case isRRDP(se.Name, "delta"):
			a, err := attrs(se, "serial", "uri", "hash")
			if err != nil {
				return nil, err
			}
			s, err := parseSerial(a["serial"])
			if err != nil {
				return nil, err
			}
			dl := deltaListing{Serial: s, fileRef: fileRef{URI: a["uri"], Hash: strings.ToLower(a["hash"])}}
			if dl.URI == "" || !validHash(dl.Hash) {
				return nil, fmt.Errorf("%w: delta reference", ErrBadFile)
			}
			n.Deltas = append(n.Deltas, dl)
		default:
			return nil, fmt.Errorf("%w: unexpected <%s>", ErrBadFile, se.Name.Local)
		}
		if tok, err := nextToken(d, nil); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
		} else if _, end := tok.(xml.EndElement); !end {
			return nil, fmt.Errorf("%w: <%s> must be empty", ErrBadFile, se.Name.Local)
		}
	}
	if snapshots != 1 {
		return nil, fmt.Errorf("%w: %d snapshot elements", ErrBadFile, snapshots)
	}
	if err := expectEOF(d); err != nil {
		return nil, err
	}
	return n, nil
}

func expectEOF(d *xml.Decoder) error {
	if _, err := nextToken(d, nil); err != io.EOF {
		return fmt.Errorf("%w: content after the root element", ErrBadFile)
	}
	return nil
}

// snapshotEntry is one publish element of a snapshot, in file order.
type snapshotEntry struct {
	URI  string
	Data []byte
}

// parseSnapshot reads a snapshot file (RFC 8182 §3.5.2.3).
func parseSnapshot(data []byte) (session string, serial uint64, objs []snapshotEntry, err error) {
	if len(data) > maxSnapshotSize {
		return "", 0, nil, fmt.Errorf("%w: snapshot larger than %d bytes", ErrBadFile, maxSnapshotSize)
	}
	d := newStrictDecoder(data)
	if session, serial, err = parseHeader(d, "snapshot"); err != nil {
		return "", 0, nil, err
	}
	seen := make(map[string]bool)
	for {
		tok, err := nextToken(d, nil)
		if err != nil {
			return "", 0, nil, fmt.Errorf("%w: %w", ErrBadFile, err)
		}
		if _, end := tok.(xml.EndElement); end {
			break
		}
		se := tok.(xml.StartElement)
		if !isRRDP(se.Name, "publish") {
			return "", 0, nil, fmt.Errorf("%w: unexpected <%s>", ErrBadFile, se.Name.Local)
		}
		a, err := attrs(se, "uri")
		if err != nil {
			return "", 0, nil, err
		}
		uri := a["uri"]
		if uri == "" || seen[uri] {
			return "", 0, nil, fmt.Errorf("%w: empty or duplicate uri %q", ErrBadFile, uri)
		}
		seen[uri] = true
		var text []byte
		tok, err = nextToken(d, &text)
		if err != nil {
			return "", 0, nil, fmt.Errorf("%w: %w", ErrBadFile, err)
		}
		if _, end := tok.(xml.EndElement); !end {
			return "", 0, nil, fmt.Errorf("%w: element inside <publish>", ErrBadFile)
		}
		der, err := decodeBase64(text)
		if err != nil {
			return "", 0, nil, fmt.Errorf("%w: %s: %w", ErrBadFile, uri, err)
		}
		objs = append(objs, snapshotEntry{URI: uri, Data: der})
	}
	if err := expectEOF(d); err != nil {
		return "", 0, nil, err
	}
	return session, serial, objs, nil
}

// decodeBase64 decodes xsd:base64Binary text, which may contain whitespace.
func decodeBase64(text []byte) ([]byte, error) {
	clean := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, text)
	if base64.StdEncoding.DecodedLen(len(clean)) > maxObjectSize {
		return nil, fmt.Errorf("object larger than %d bytes", maxObjectSize)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// deltaEntry is one element of a delta file.
type deltaEntry struct {
	URI      string
	Withdraw bool
	Hash     string // lowercase; "" for a publish of a new object
	Data     []byte
}

// parseDelta reads a delta file (RFC 8182 §3.5.3.3). Recovery does not need
// it (delta files are checked by hash); tests and tools replay deltas with it.
func parseDelta(data []byte) (session string, serial uint64, out []deltaEntry, err error) {
	if len(data) > maxSnapshotSize {
		return "", 0, nil, fmt.Errorf("%w: delta larger than %d bytes", ErrBadFile, maxSnapshotSize)
	}
	d := newStrictDecoder(data)
	if session, serial, err = parseHeader(d, "delta"); err != nil {
		return "", 0, nil, err
	}
	for {
		tok, err := nextToken(d, nil)
		if err != nil {
			return "", 0, nil, fmt.Errorf("%w: %w", ErrBadFile, err)
		}
		if _, end := tok.(xml.EndElement); end {
			break
		}
		se := tok.(xml.StartElement)
		withdraw := isRRDP(se.Name, "withdraw")
		if !withdraw && !isRRDP(se.Name, "publish") {
			return "", 0, nil, fmt.Errorf("%w: unexpected <%s>", ErrBadFile, se.Name.Local)
		}
		a, err := attrs(se, "uri", "hash")
		if err != nil {
			return "", 0, nil, err
		}
		e := deltaEntry{URI: a["uri"], Withdraw: withdraw, Hash: strings.ToLower(a["hash"])}
		_, hasHash := a["hash"]
		if e.URI == "" || hasHash && !validHash(e.Hash) || withdraw && !hasHash {
			return "", 0, nil, fmt.Errorf("%w: bad <%s> attributes", ErrBadFile, se.Name.Local)
		}
		var text []byte
		tp := &text
		if withdraw {
			tp = nil // withdraw is empty
		}
		tok, err = nextToken(d, tp)
		if err != nil {
			return "", 0, nil, fmt.Errorf("%w: %w", ErrBadFile, err)
		}
		if _, end := tok.(xml.EndElement); !end {
			return "", 0, nil, fmt.Errorf("%w: element inside <%s>", ErrBadFile, se.Name.Local)
		}
		if !withdraw {
			if e.Data, err = decodeBase64(text); err != nil {
				return "", 0, nil, fmt.Errorf("%w: %s: %w", ErrBadFile, e.URI, err)
			}
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return "", 0, nil, fmt.Errorf("%w: empty delta", ErrBadFile) // delta_element+ (RFC 8182 §3.5.4)
	}
	if err := expectEOF(d); err != nil {
		return "", 0, nil, err
	}
	return session, serial, out, nil
}

// applyDelta applies a parsed delta to state (URI -> data), checking every
// hash as a relying party must (RFC 8182 §3.4.2).
func applyDelta(state map[string][]byte, entries []deltaEntry) error {
	for _, e := range entries {
		cur, ok := state[e.URI]
		switch {
		case e.Hash == "" && ok:
			return fmt.Errorf("%w: publish without hash of existing %s", ErrBadFile, e.URI)
		case e.Hash != "" && (!ok || sha256Hex(cur) != e.Hash):
			return fmt.Errorf("%w: hash mismatch for %s", ErrBadFile, e.URI)
		}
		if e.Withdraw {
			delete(state, e.URI)
		} else {
			state[e.URI] = e.Data
		}
	}
	return nil
}
