package vrpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// The ROA array is scanned by hand: encoding/json's reflection costs ~1 s
// for the 424k VRPs of a full RPKI, which would delay every change that
// much. Everything else in the document goes through encoding/json.

var errScan = errors.New("malformed JSON")

// scanner walks a JSON document held in memory.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) want(c byte) error {
	if s.peek() != c {
		return fmt.Errorf("%w: want %q at offset %d", errScan, c, s.i)
	}
	s.i++
	return nil
}

// str returns the raw contents of a string (escapes not decoded) and
// whether it contained any backslash.
func (s *scanner) str() ([]byte, bool, error) {
	if err := s.want('"'); err != nil {
		return nil, false, err
	}
	start, esc := s.i, false
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '\\':
			esc = true
			s.i += 2
		case c == '"':
			s.i++
			return s.b[start : s.i-1], esc, nil
		case c < 0x20:
			return nil, false, fmt.Errorf("%w: control character in string at %d", errScan, s.i)
		default:
			s.i++
		}
	}
	return nil, false, fmt.Errorf("%w: unterminated string", errScan)
}

// value skips one JSON value and returns its raw bytes; json.Valid checks
// what is handed to encoding/json later.
func (s *scanner) value() ([]byte, error) {
	c := s.peek()
	start := s.i
	switch c {
	case '"':
		_, _, err := s.str()
		return s.b[start:s.i], err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, err := s.str(); err != nil {
					return nil, err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return s.b[start:s.i], nil
				}
			}
			s.i++
		}
		return nil, fmt.Errorf("%w: unterminated container", errScan)
	case 0:
		return nil, fmt.Errorf("%w: unexpected end", errScan)
	default:
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				// A literal or number: short, so checking it is cheap.
				if v := s.b[start:s.i]; len(v) > 0 && (isDigits(v) || json.Valid(v)) {
					return v, nil
				}
				return nil, fmt.Errorf("%w: bad value at %d", errScan, start)
			}
			s.i++
		}
		return nil, fmt.Errorf("%w: unexpected end", errScan)
	}
}

// null consumes a JSON null and reports whether there was one.
func (s *scanner) null() bool {
	if s.peek() == 'n' && bytes.HasPrefix(s.b[s.i:], []byte("null")) {
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
			return fmt.Errorf("%w: want ',' or '}' at %d", errScan, s.i)
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
			return fmt.Errorf("%w: want ',' or ']' at %d", errScan, s.i)
		}
	}
}

// decodeDocument parses a whole rpki-client JSON document.
func decodeDocument(b []byte, now time.Time, meta *Meta) ([]vrp.VRP, []vrp.ASPA, error) {
	s := &scanner{b: b}
	var vrps []vrp.VRP
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
		return nil, nil, fmt.Errorf("%w: trailing data at %d", errScan, s.i)
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
