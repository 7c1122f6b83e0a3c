package rpki

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// TAL is an RFC 8630 Trust Anchor Locator.
type TAL struct {
	Comments []string // without the leading "#" and one following space
	URIs     []string // rsync:// or https://
	SPKI     []byte   // DER SubjectPublicKeyInfo
}

// Encode writes comments, URIs, an empty line and the base64 SPKI wrapped
// at 64 columns (RFC 8630 §2.2), with LF line breaks.
func (t *TAL) Encode() []byte {
	var b bytes.Buffer
	for _, c := range t.Comments {
		// A line break inside a comment would end the comment section early.
		c = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, c)
		b.WriteString("# " + c + "\n")
	}
	for _, u := range t.URIs {
		b.WriteString(u + "\n")
	}
	b.WriteString("\n")
	s := base64.StdEncoding.EncodeToString(t.SPKI)
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n")
	return b.Bytes()
}

// ParseTAL parses a TAL: optional comment lines, one or more rsync/https
// URIs, an empty line, then base64 SPKI with any wrapping, LF or CRLF.
// The SPKI must be an RSA key in the RFC 7935 profile.
func ParseTAL(data []byte) (*TAL, error) {
	if len(data) > maxTALSize {
		return nil, fmt.Errorf("%w: TAL of %d bytes", ErrTooLarge, len(data))
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	t := &TAL{}
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
		t.Comments = append(t.Comments, strings.TrimPrefix(strings.TrimPrefix(lines[i], "#"), " "))
	}
	for ; i < len(lines) && lines[i] != ""; i++ {
		u := lines[i]
		if !strings.HasPrefix(u, "rsync://") && !strings.HasPrefix(u, "https://") {
			return nil, profilef("TAL URI %q is not rsync or https (RFC 8630 §2.2)", u)
		}
		if err := checkIA5URI([]byte(u)); err != nil {
			return nil, err
		}
		t.URIs = append(t.URIs, u)
	}
	if len(t.URIs) == 0 {
		return nil, profilef("TAL without URIs")
	}
	if i >= len(lines) {
		return nil, malformed("TAL without empty line before the key")
	}
	var b64 strings.Builder
	for _, l := range lines[i+1:] {
		b64.WriteString(strings.TrimSpace(l))
	}
	spki, err := base64.StdEncoding.DecodeString(b64.String())
	if err != nil || len(spki) == 0 {
		return nil, malformed("TAL key base64")
	}
	if _, err := parseRSASPKI(spki); err != nil {
		return nil, fmt.Errorf("TAL key: %w", err)
	}
	t.SPKI = spki
	return t, nil
}
