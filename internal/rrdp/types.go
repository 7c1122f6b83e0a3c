package rrdp

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Namespace is the RRDP XML namespace (RFC 8182 §3.5.4).
const Namespace = "http://www.ripe.net/rpki/rrdp"

// Version is the only protocol version (RFC 8182 §3.5.1.3).
const Version = 1

// Header is the root element's session and serial (RFC 8182 §3.5).
type Header struct {
	Session string // lower case UUID
	Serial  uint64
}

// FileRef is a snapshot or delta file as a notification lists it.
type FileRef struct {
	URI  string
	Hash [32]byte // SHA-256 of the file's bytes (RFC 8182 §3.5.1.3)
}

// DeltaRef is a delta listed by a notification.
type DeltaRef struct {
	Serial uint64
	FileRef
}

// Notification is an Update Notification File (RFC 8182 §3.5.1).
type Notification struct {
	Header
	Snapshot FileRef
	Deltas   []DeltaRef // decoded: unique serials, in document order
}

// SortDeltas orders n.Deltas by serial, oldest first.
func (n *Notification) SortDeltas() {
	slices.SortFunc(n.Deltas, func(a, b DeltaRef) int { return cmp.Compare(a.Serial, b.Serial) })
}

// Element is one <publish> or <withdraw> of a snapshot or delta.
type Element struct {
	Withdraw bool
	URI      string
	Hash     *[32]byte // the replaced or withdrawn object's hash; nil on a new publish
	Data     []byte    // publish only
}

// ParseSerial reads an xsd:positiveInteger that fits in 64 bits (see the
// package comment for the lexical rule).
func ParseSerial(s string) (uint64, error) {
	t := strings.Trim(s, " \t\r\n")
	t = strings.TrimPrefix(t, "+")
	if t == "" || t[0] < '0' || t[0] > '9' {
		return 0, malformed("serial %q (RFC 8182 §3.5.4: a positive integer)", s)
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, malformed("serial %q (RFC 8182 §3.5.4: a positive integer below 2^64)", s)
	}
	return n, nil
}

// IsUUID accepts the 8-4-4-4-12 hex form, either case.
func IsUUID(s string) bool {
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
