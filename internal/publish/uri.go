package publish

import (
	"fmt"
	"path"
	"strings"
)

// objectPath checks that uri names a publishable object under rsyncBase and
// returns its path relative to the rsync tree root ("ca/x.roa").
//
// Directory segments are [a-zA-Z0-9_-]+; the file name is [a-zA-Z0-9_-]+ and
// a known RPKI extension (RFC 9286 §4.2.2 restricts manifest file names to
// this alphabet). Refusing dots elsewhere rules out ".", ".." and hidden files
// and means a file name can never also be a directory name.
func objectPath(rsyncBase, uri string) (string, error) {
	rel, ok := strings.CutPrefix(uri, rsyncBase)
	if !ok {
		return "", fmt.Errorf("%w: %q is not under %q", ErrBadURI, uri, rsyncBase)
	}
	if rel == "" || len(rel) > maxURILen {
		return "", fmt.Errorf("%w: %q: empty or too long", ErrBadURI, uri)
	}
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		if !validSegment(s, last) {
			return "", fmt.Errorf("%w: %q: bad segment %q", ErrBadURI, uri, s)
		}
	}
	return path.Clean(rel), nil
}

const maxURILen = 1024

func validSegment(s string, last bool) bool {
	name := s
	if last {
		base, ext, ok := strings.Cut(s, ".")
		if !ok || !knownExtension(ext) {
			return false
		}
		name = base
	}
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// knownExtension lists the object types a repository may carry: certificates,
// CRLs, manifests, ROAs, ASPAs (RFC 6481 §2.1 and later profiles), plus
// Ghostbusters, TAK and signed prefix lists so a future CA can publish them.
func knownExtension(ext string) bool {
	switch ext {
	case "cer", "crl", "mft", "roa", "asa", "gbr", "tak", "spl":
		return true
	}
	return false
}

// CheckURI reports whether uri names an object this publisher can serve
// under rsyncBase (the rules of objectPath); the RFC 8181 server checks its
// publishers' URIs with it before it stores them.
func CheckURI(rsyncBase, uri string) error {
	_, err := objectPath(rsyncBase, uri)
	return err
}
