package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Strings the server sends (notes, comments, reasons, actors, messages,
// URIs) are shown on a terminal, where control characters would move the
// cursor, recolour, retitle or clear it, and bidirectional controls would
// reorder what the operator reads. roactl shows them as visible escapes:
// C0 controls and DEL as \n, \t, \r or \xNN, C1 controls, bidirectional
// controls and line/paragraph separators as \uNNNN, bytes that are not
// UTF-8 as \xNN. With -o json the answer stays exact JSON: such characters
// become \uNNNN escapes inside their strings, which decode to the same text.

// safe escapes one field of a table or message (tabs and newlines too, so
// a field cannot break the table's layout).
func safe(s string) string { return escapeText(s, false) }

// safeText escapes rendered text: the tabs and newlines are roactl's layout.
func safeText(s string) string { return escapeText(s, true) }

func escapeText(s string, layout bool) string {
	if plain(s, layout) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case layout && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// safeJSON escapes valid JSON text without changing its value: outside
// strings JSON is printable ASCII, so every character escaped here is
// inside a string, where \uNNNN means the same character. Bytes that are
// not UTF-8 become \ufffd, as any JSON decoder reads them.
func safeJSON(s string) string {
	if plain(s, true) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\ufffd`)
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hidden: C1 controls, bidirectional controls, line and paragraph separators.
func hidden(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// plain reports whether s needs no escaping (the common case, checked
// without allocating).
func plain(s string, layout bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f || layout && (c == '\n' || c == '\t') {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x80 || (r == utf8.RuneError && n == 1) || hidden(r) {
			return false
		}
		i += n
	}
	return true
}
