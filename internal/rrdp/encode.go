package rrdp

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"strconv"
)

// No XML declaration is written: every byte is ASCII, so the file is
// valid US-ASCII as RFC 8182 §3.5.1.3 requires, and parsers that only
// accept UTF-8 declarations still read it.

func writeHeader(b *bytes.Buffer, root string, h Header) {
	b.WriteString("<" + root + ` xmlns="` + Namespace + `" version="1" session_id="`)
	attr(b, h.Session)
	b.WriteString(`" serial="` + strconv.FormatUint(h.Serial, 10) + `">` + "\n")
}

func attr(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer never fails
}

func writeHash(b *bytes.Buffer, h [32]byte) {
	var x [64]byte
	hex.Encode(x[:], h[:])
	b.Write(x[:])
}

func writeBase64(b *bytes.Buffer, data []byte) {
	n := base64.StdEncoding.EncodedLen(len(data))
	b.Grow(n)
	start := b.Len()
	b.Write(make([]byte, n))
	base64.StdEncoding.Encode(b.Bytes()[start:], data)
}

// WriteNotification renders n (RFC 8182 §3.5.1.3), deltas in the order
// of n.Deltas (the RFC allows any; newest first is the common one).
func WriteNotification(b *bytes.Buffer, n *Notification) {
	writeHeader(b, "notification", n.Header)
	b.WriteString(`  <snapshot uri="`)
	attr(b, n.Snapshot.URI)
	b.WriteString(`" hash="`)
	writeHash(b, n.Snapshot.Hash)
	b.WriteString(`"/>` + "\n")
	for _, d := range n.Deltas {
		b.WriteString(`  <delta serial="` + strconv.FormatUint(d.Serial, 10) + `" uri="`)
		attr(b, d.URI)
		b.WriteString(`" hash="`)
		writeHash(b, d.Hash)
		b.WriteString(`"/>` + "\n")
	}
	b.WriteString("</notification>\n")
}

// Encoder writes a snapshot or delta one element at a time.
type Encoder struct {
	b    *bytes.Buffer
	root string
}

// StartSnapshot begins a snapshot (RFC 8182 §3.5.2.3) in b.
func StartSnapshot(b *bytes.Buffer, h Header) *Encoder {
	writeHeader(b, "snapshot", h)
	return &Encoder{b: b, root: "snapshot"}
}

// StartDelta begins a delta (RFC 8182 §3.5.3.3) in b.
func StartDelta(b *bytes.Buffer, h Header) *Encoder {
	writeHeader(b, "delta", h)
	return &Encoder{b: b, root: "delta"}
}

// Publish writes a <publish>; prev is the hash of the object it replaces
// (deltas only; nil for a new object and always in a snapshot).
func (e *Encoder) Publish(uri string, prev *[32]byte, data []byte) {
	e.b.WriteString(`  <publish uri="`)
	attr(e.b, uri)
	if prev != nil && e.root == "delta" {
		e.b.WriteString(`" hash="`)
		writeHash(e.b, *prev)
	}
	e.b.WriteString(`">`)
	writeBase64(e.b, data)
	e.b.WriteString("</publish>\n")
}

// Withdraw writes a <withdraw> of the object with hash (deltas only).
func (e *Encoder) Withdraw(uri string, hash [32]byte) {
	e.b.WriteString(`  <withdraw uri="`)
	attr(e.b, uri)
	e.b.WriteString(`" hash="`)
	writeHash(e.b, hash)
	e.b.WriteString(`"/>` + "\n")
}

// Close ends the root element.
func (e *Encoder) Close() { e.b.WriteString("</" + e.root + ">\n") }
