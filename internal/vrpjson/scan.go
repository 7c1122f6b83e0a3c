package vrpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// The ROA array is scanned by hand: encoding/json's reflection costs ~1 s
// for the 424k VRPs of a full RPKI, which would delay every change that
// much. Everything else in the document goes through encoding/json.
//
// The scanner streams: it holds a window of the input, not the document,
// so a 100 MB feed costs the VRPs it yields plus one window. Only a single
// value handed to encoding/json (metadata, aspas) must fit in the window,
// which then grows; the total read is bounded by the caller's reader.

var errScan = errors.New("malformed JSON")

// chunk is the read size and the smallest window.
const chunk = 256 << 10

// scanner walks a JSON document read from r. b[i:] is unread input;
// b[mark:i] is the token being scanned, kept when the window moves.
// Moving the window copies into a new array and never overwrites the
// old one, so slices returned earlier stay valid.
type scanner struct {
	r    io.Reader
	b    []byte
	i    int
	mark int
	rerr error // the reader's error; io.EOF at the end
}

// fill reads more input; false when there is none (s.rerr says why).
func (s *scanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if cap(s.b)-len(s.b) < chunk/4 {
		keep := s.b[s.mark:]
		nb := make([]byte, len(keep), max(chunk, 2*len(keep)))
		copy(nb, keep)
		s.i -= s.mark
		s.mark = 0
		s.b = nb
	}
	n, err := s.r.Read(s.b[len(s.b):cap(s.b)])
	s.b = s.b[:len(s.b)+n]
	if err != nil {
		s.rerr = err
	}
	return n > 0 || s.rerr == nil
}

// more reports whether input remains at s.i, reading when needed.
func (s *scanner) more() bool {
	for s.i >= len(s.b) {
		if !s.fill() {
			return false
		}
	}
	return true
}

// ensure makes n bytes available at s.i if the input has them.
func (s *scanner) ensure(n int) bool {
	for len(s.b)-s.i < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

func (s *scanner) ws() {
	s.mark = s.i // nothing before a token needs keeping
	for s.more() {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			s.mark = s.i
			return
		}
	}
	s.mark = s.i
}

func (s *scanner) peek() byte {
	s.ws()
	if !s.more() {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) want(c byte) error {
	if s.peek() != c {
		return fmt.Errorf("%w: want %q near byte %d of the window", errScan, c, s.i)
	}
	s.i++
	return nil
}

// str returns the raw contents of a string (escapes not decoded) and
// whether it contained any backslash.
func (s *scanner) str() ([]byte, bool, error) {
	if s.peek() != '"' {
		return nil, false, fmt.Errorf("%w: want a string", errScan)
	}
	esc, err := s.skipStr()
	if err != nil {
		return nil, false, err
	}
	return s.b[s.mark+1 : s.i-1], esc, nil
}

// skipStr passes the string starting at s.i, leaving s.mark alone.
func (s *scanner) skipStr() (esc bool, err error) {
	s.i++ // the opening quote
	for s.more() {
		switch c := s.b[s.i]; {
		case c == '\\':
			esc = true
			s.i += 2
		case c == '"':
			s.i++
			return esc, nil
		case c < 0x20:
			return false, fmt.Errorf("%w: control character in string", errScan)
		default:
			s.i++
		}
	}
	return false, fmt.Errorf("%w: unterminated string", errScan)
}

// value skips one JSON value and returns its raw bytes; json.Valid checks
// what is handed to encoding/json later.
func (s *scanner) value() ([]byte, error) {
	switch s.peek() {
	case '"':
		_, err := s.skipStr()
		return s.b[s.mark:s.i], err
	case '{', '[':
		return s.container()
	case 0:
		return nil, fmt.Errorf("%w: unexpected end", errScan)
	}
	for s.more() {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			// A literal or number: short, so checking it is cheap.
			if v := s.b[s.mark:s.i]; len(v) > 0 && (isDigits(v) || json.Valid(v)) {
				return v, nil
			}
			return nil, fmt.Errorf("%w: bad value", errScan)
		}
		s.i++
	}
	return nil, fmt.Errorf("%w: unexpected end", errScan)
}

// container skips an object or array and returns its raw bytes.
func (s *scanner) container() ([]byte, error) {
	depth := 0
	for s.more() {
		switch s.b[s.i] {
		case '"':
			if _, err := s.skipStr(); err != nil {
				return nil, err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return s.b[s.mark:s.i], nil
			}
		}
		s.i++
	}
	return nil, fmt.Errorf("%w: unterminated container", errScan)
}

// null consumes a JSON null and reports whether there was one.
func (s *scanner) null() bool {
	if s.peek() == 'n' && s.ensure(4) && bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += len("null")
		return true
	}
	return false
}

// object calls f for each member of an object; f must consume the value.
func (s *scanner) object(f func(key []byte) error) error {
	if err := s.want('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		k, esc, err := s.str()
		if err != nil {
			return err
		}
		if esc {
			k = nil // no key we use contains escapes
		}
		if err := s.want(':'); err != nil {
			return err
		}
		if err := f(k); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return fmt.Errorf("%w: want ',' or '}'", errScan)
		}
	}
}

// array calls f for each element; f must consume the element.
func (s *scanner) array(f func() error) error {
	if err := s.want('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := f(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return fmt.Errorf("%w: want ',' or ']'", errScan)
		}
	}
}

// decodeDocument parses a whole rpki-client JSON document from r. A read
// error of r wins over the syntax error it causes.
func decodeDocument(r io.Reader, now time.Time, meta *Meta, vrpHint int) ([]vrp.VRP, []vrp.ASPA, error) {
	s := &scanner{r: r}
	vrps, aspas, err := s.document(now, meta, vrpHint)
	if s.rerr != nil && !errors.Is(s.rerr, io.EOF) {
		return nil, nil, s.rerr
	}
	return vrps, aspas, err
}

func (s *scanner) document(now time.Time, meta *Meta, vrpHint int) ([]vrp.VRP, []vrp.ASPA, error) {
	vrps := make([]vrp.VRP, 0, vrpHint)
	var aspas []vrp.ASPA
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "roas":
			meta.HasROAs = true
			if s.null() {
				return nil // FORT writes "roas": null for an empty table
			}
			return s.array(func() error {
				v, ok, expired, err := s.roa(now)
				if err != nil {
					return err
				}
				meta.ROAs++
				switch {
				case expired:
					meta.Expired++
				case !ok:
					meta.Dropped++
				default:
					vrps = append(vrps, v)
				}
				return nil
			})
		case "metadata":
			raw, err := s.value()
			if err != nil {
				return err
			}
			var m struct {
				BuildTime string      `json:"buildtime"`
				Generated json.Number `json:"generated"`
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			meta.BuildTime = parseBuildTime(m.BuildTime, m.Generated)
		case "aspas", "provider_authorizations":
			raw, err := s.value()
			if err != nil {
				return err
			}
			as, err := parseASPAs(raw, now, meta)
			if err != nil {
				return err
			}
			aspas = append(aspas, as...)
		default:
			raw, err := s.value()
			if err == nil && !json.Valid(raw) {
				err = fmt.Errorf("%w: member %q", errScan, key)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if s.peek() != 0 {
		return nil, nil, fmt.Errorf("%w: trailing data", errScan)
	}
	return vrps, aspas, nil
}

// roa reads one ROA object. Bad field values drop the entry (ok=false);
// only broken JSON is an error.
func (s *scanner) roa(now time.Time) (v vrp.VRP, ok, expired bool, err error) {
	var prefix, ml, asn []byte
	var expires int64
	err = s.object(func(key []byte) error {
		raw, err := s.value()
		if err != nil {
			return err
		}
		switch string(key) {
		case "prefix":
			prefix = raw
		case "maxLength":
			ml = raw
		case "asn":
			asn = raw
		case "expires":
			expires, _ = strconv.ParseInt(string(raw), 10, 64)
		}
		return nil
	})
	if err != nil {
		return v, false, false, err
	}
	if !now.IsZero() && expires != 0 && expires < now.Unix() {
		return v, false, true, nil
	}
	if len(prefix) < 2 || prefix[0] != '"' || bytes.IndexByte(prefix, '\\') >= 0 {
		return v, false, false, nil
	}
	e := roaJSON{Prefix: string(prefix[1 : len(prefix)-1]), MaxLength: ml, ASN: asn}
	v, ok = roaToVRP(e)
	return v, ok, false, nil
}

// isDigits reports a plain unsigned integer without leading zeros (valid
// JSON, the common case of maxLength, asn and expires): no json.Valid call.
func isDigits(v []byte) bool {
	if len(v) > 1 && v[0] == '0' {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
