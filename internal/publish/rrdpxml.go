package publish

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"time"
)

// rrdpNS is the RRDP namespace (RFC 8182 §3.5.1.3).
const rrdpNS = "http://www.ripe.net/rpki/rrdp"

// No XML declaration is written: every byte is ASCII, so the file is valid
// US-ASCII as RFC 8182 §3.5.1.3 requires, and parsers that only accept UTF-8
// declarations (Go's encoding/xml without a CharsetReader) still read it.

// fileRef is a snapshot or delta file as the notification lists it.
type fileRef struct {
	URI  string
	Hash string // lowercase hex SHA-256 of the file bytes (RFC 8182 §3.5.1.3)
}

// deltaRef is a delta listed in the notification, with what retention needs.
type deltaRef struct {
	Serial uint64
	fileRef
	Size    int64
	Created time.Time
	path    string // under Dir/rrdp, slash separated
}

// change is one element of a delta file.
type change struct {
	URI      string
	Withdraw bool
	Data     []byte // the new content unless Withdraw
	PrevHash string // "" for a new object
}

func writeHeader(b *bytes.Buffer, elem, session string, serial uint64) {
	b.WriteString("<" + elem + ` xmlns="` + rrdpNS + `" version="1" session_id="`)
	attr(b, session)
	b.WriteString(`" serial="` + strconv.FormatUint(serial, 10) + `">` + "\n")
}

func attr(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer never fails
}

func writeBase64(b *bytes.Buffer, data []byte) {
	n := base64.StdEncoding.EncodedLen(len(data))
	b.Grow(n)
	start := b.Len()
	b.Write(make([]byte, n))
	base64.StdEncoding.Encode(b.Bytes()[start:], data)
}

// notificationXML renders the notification file; deltas newest first
// (RFC 8182 §3.5.1.3 allows any order, newest first is the common one).
func notificationXML(session string, serial uint64, snap fileRef, deltas []deltaRef) []byte {
	var b bytes.Buffer
	writeHeader(&b, "notification", session, serial)
	b.WriteString(`  <snapshot uri="`)
	attr(&b, snap.URI)
	b.WriteString(`" hash="` + snap.Hash + `"/>` + "\n")
	for _, d := range deltas {
		b.WriteString(`  <delta serial="` + strconv.FormatUint(d.Serial, 10) + `" uri="`)
		attr(&b, d.URI)
		b.WriteString(`" hash="` + d.Hash + `"/>` + "\n")
	}
	b.WriteString("</notification>\n")
	return b.Bytes()
}

// snapshotXML renders the snapshot of objs, in the order given (RFC 8182
// §3.5.2.3: publish elements without hash).
func snapshotXML(session string, serial uint64, uris []string, data func(string) []byte) []byte {
	var b bytes.Buffer
	writeHeader(&b, "snapshot", session, serial)
	for _, u := range uris {
		b.WriteString(`  <publish uri="`)
		attr(&b, u)
		b.WriteString(`">`)
		writeBase64(&b, data(u))
		b.WriteString("</publish>\n")
	}
	b.WriteString("</snapshot>\n")
	return b.Bytes()
}

// deltaXML renders one delta (RFC 8182 §3.5.3.3): publish without hash for a
// new object, publish with the replaced object's hash, withdraw with hash.
func deltaXML(session string, serial uint64, changes []change) []byte {
	var b bytes.Buffer
	writeHeader(&b, "delta", session, serial)
	for _, c := range changes {
		if c.Withdraw {
			b.WriteString(`  <withdraw uri="`)
			attr(&b, c.URI)
			b.WriteString(`" hash="` + c.PrevHash + `"/>` + "\n")
			continue
		}
		b.WriteString(`  <publish uri="`)
		attr(&b, c.URI)
		if c.PrevHash != "" {
			b.WriteString(`" hash="` + c.PrevHash)
		}
		b.WriteString(`">`)
		writeBase64(&b, c.Data)
		b.WriteString("</publish>\n")
	}
	b.WriteString("</delta>\n")
	return b.Bytes()
}
