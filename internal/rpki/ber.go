package rpki

import "fmt"

// RFC 6488 §3 (l) asks relying parties to reject signed objects that are
// not DER. Every deployed relying party decodes CMS with a BER parser
// instead (rpki-client and FORT through OpenSSL), and real issuers publish
// BER: in LACNIC's tree of 2023, 9,718 of 21,548 manifests and ROAs use
// indefinite lengths and constructed OCTET STRINGs. Rejecting them would
// drop most of that registry's VRPs, so road re-encodes such a signed
// object as DER, validates that, and reports the leniency LenientBER.
//
// derFromBER rewrites a BER encoding as DER where the difference is only in
// lengths and string construction: indefinite lengths become definite,
// non-minimal length octets become minimal, and constructed string types
// (OCTET STRING, BIT STRING, the character strings) become primitive. It
// does not reorder SET OF elements; a signature over signed attributes that
// were not DER still fails, as RFC 5652 §5.4 requires. changed is false
// when in already was DER in these respects (out is then in itself).

const (
	maxBERDepth = 64
	berEOC      = 0x00
)

type berElement struct {
	tagBytes    []byte // the identifier octets as read
	constructed bool
	number      uint32
	content     []byte // primitive content, nil when constructed
	children    []berElement
	changed     bool
}

func derFromBER(in []byte) (out []byte, changed bool, err error) {
	if len(in) > maxSignedObjectSize {
		return nil, false, fmt.Errorf("%w: object of %d bytes", ErrTooLarge, len(in))
	}
	if isDER, err := scanBER(in, 0); err != nil {
		return nil, false, err
	} else if isDER {
		return in, false, nil
	}
	el, rest, err := readBER(in, 0)
	if err != nil {
		return nil, false, err
	}
	if len(rest) != 0 {
		return nil, false, malformed("trailing data after the BER element")
	}
	if !el.changed {
		return in, false, nil
	}
	return el.appendDER(make([]byte, 0, len(in))), true, nil
}

// readBER reads one element. An element is changed when its own encoding
// or any child's differs from DER.
func readBER(in []byte, depth int) (berElement, []byte, error) {
	var el berElement
	if depth > maxBERDepth {
		return el, nil, malformed("BER nesting too deep")
	}
	if len(in) < 2 {
		return el, nil, malformed("BER element truncated")
	}
	start := in
	el.constructed = in[0]&0x20 != 0
	el.number = uint32(in[0] & 0x1f)
	n := 1
	if el.number == 0x1f { // high tag number form (X.690 §8.1.2.4)
		el.number = 0
		for {
			if n >= len(in) || n > 5 {
				return el, nil, malformed("BER tag too long")
			}
			b := in[n]
			n++
			el.number = el.number<<7 | uint32(b&0x7f)
			if b&0x80 == 0 {
				break
			}
		}
		if el.number < 0x1f { // X.690 §8.1.2.4: low numbers use one octet
			return el, nil, malformed("BER tag number in the long form")
		}
	}
	el.tagBytes = start[:n]
	if n >= len(in) {
		return el, nil, malformed("BER length missing")
	}
	lb := in[n]
	n++
	if lb == 0x80 { // indefinite (X.690 §8.1.3.6)
		if !el.constructed {
			return el, nil, malformed("indefinite length on a primitive element")
		}
		el.changed = true
		rest := in[n:]
		for {
			if len(rest) >= 2 && rest[0] == berEOC && rest[1] == 0 {
				rest = rest[2:]
				break
			}
			child, r, err := readBER(rest, depth+1)
			if err != nil {
				return el, nil, err
			}
			el.children = append(el.children, child)
			rest = r
		}
		return el.normalize(), rest, nil
	}
	length, minimal, ln, err := readBERLength(lb, in[n:])
	if err != nil {
		return el, nil, err
	}
	n += ln
	if uint64(len(in)-n) < length {
		return el, nil, malformed("BER element longer than its input")
	}
	body := in[n : n+int(length)]
	rest := in[n+int(length):]
	el.changed = !minimal
	if !el.constructed {
		el.content = body
		return el, rest, nil
	}
	for len(body) > 0 {
		child, r, err := readBER(body, depth+1)
		if err != nil {
			return el, nil, err
		}
		el.children = append(el.children, child)
		body = r
	}
	return el.normalize(), rest, nil
}

// readBERLength decodes definite length octets after the first one, lb.
func readBERLength(lb byte, in []byte) (length uint64, minimal bool, n int, err error) {
	if lb < 0x80 {
		return uint64(lb), true, 0, nil
	}
	k := int(lb & 0x7f)
	if k == 0x7f || k > 4 || k > len(in) {
		return 0, false, 0, malformed("BER length octets")
	}
	for _, b := range in[:k] {
		length = length<<8 | uint64(b)
	}
	minimal = length >= 0x80 && in[0] != 0 && (k == 1 || length >= 1<<(8*(k-1)))
	return length, minimal, k, nil
}

// berStringTags are the universal types whose BER encoding may be
// constructed but whose DER encoding must be primitive (X.690 §10.2).
var berStringTags = map[uint32]bool{3: true, 4: true, 12: true, 19: true, 20: true, 22: true, 26: true, 30: true}

// normalize turns a constructed universal string into its primitive form.
func (el berElement) normalize() berElement {
	for _, c := range el.children {
		el.changed = el.changed || c.changed
	}
	universal := el.tagBytes[0]&0xc0 == 0
	if !universal || !berStringTags[el.number] {
		return el
	}
	var content []byte
	if el.number == 3 {
		content = el.bitStringContent()
	} else {
		content = el.flatten()
	}
	el.constructed, el.children, el.content, el.changed = false, nil, content, true
	el.tagBytes = append([]byte{el.tagBytes[0] &^ 0x20}, el.tagBytes[1:]...)
	return el
}

// bitStringContent joins BIT STRING segments: each segment starts with its
// count of unused bits, and only the last may have any (X.690 §8.6.4).
func (el berElement) bitStringContent() []byte {
	var data []byte
	unused := byte(0)
	var walk func(e berElement)
	walk = func(e berElement) {
		if e.constructed {
			for _, c := range e.children {
				walk(c)
			}
			return
		}
		if len(e.content) > 0 {
			unused = e.content[0]
			data = append(data, e.content[1:]...)
		}
	}
	walk(el)
	return append([]byte{unused}, data...)
}

func (el berElement) flatten() []byte {
	if !el.constructed {
		return el.content
	}
	var out []byte
	for _, c := range el.children {
		out = append(out, c.flatten()...)
	}
	return out
}

func (el berElement) contentDER() []byte {
	if !el.constructed {
		return el.content
	}
	var out []byte
	for _, c := range el.children {
		out = c.appendDER(out)
	}
	return out
}

func (el berElement) appendDER(out []byte) []byte {
	body := el.contentDER()
	tag := el.tagBytes
	if el.constructed {
		tag = append([]byte{tag[0] | 0x20}, tag[1:]...)
	}
	out = append(out, tag...)
	out = appendDERLength(out, len(body))
	return append(out, body...)
}

func appendDERLength(out []byte, n int) []byte {
	if n < 0x80 {
		return append(out, byte(n))
	}
	var b []byte
	for v := n; v > 0; v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	out = append(out, 0x80|byte(len(b)))
	return append(out, b...)
}

// scanBER walks in without allocating and reports whether it is already
// DER in the respects derFromBER rewrites (the common case, checked first).
// in must be exactly one element.
func scanBER(in []byte, depth int) (bool, error) {
	rest, der, err := scanElement(in, depth)
	if err != nil || !der {
		return der, err
	}
	if len(rest) != 0 {
		return false, malformed("trailing data after the BER element")
	}
	return true, nil
}

// scanElement checks one element; on the first non-DER encoding it stops
// with der false (readBER then does the full work and the full checks).
func scanElement(in []byte, depth int) (rest []byte, der bool, err error) {
	if depth > maxBERDepth {
		return nil, false, malformed("BER nesting too deep")
	}
	if len(in) < 2 {
		return nil, false, malformed("BER element truncated")
	}
	constructed, number, n := in[0]&0x20 != 0, in[0]&0x1f, 1
	if number == 0x1f {
		return nil, false, nil // rare: let readBER decode the long tag form
	}
	lb := in[n]
	n++
	if lb == 0x80 {
		return nil, false, nil
	}
	length, minimal, ln, err := readBERLength(lb, in[n:])
	if err != nil {
		return nil, false, err
	}
	n += ln
	if !minimal || uint64(len(in)-n) < length {
		return nil, false, nil
	}
	body, rest := in[n:n+int(length)], in[n+int(length):]
	if !constructed {
		return rest, true, nil
	}
	if in[0]&0xc0 == 0 && berStringTags[uint32(number)] {
		return nil, false, nil
	}
	for len(body) > 0 {
		var ok bool
		if body, ok, err = scanElement(body, depth+1); err != nil || !ok {
			return nil, ok, err
		}
	}
	return rest, true, nil
}

// DERFromBER is derFromBER for the other CMS profiles road reads (the
// up-down and publication wrapper of RFC 6492 §3.1, often BER in the wild):
// the DER re-encoding, whether it differed, and an error for what is not BER.
func DERFromBER(in []byte) (out []byte, changed bool, err error) { return derFromBER(in) }
