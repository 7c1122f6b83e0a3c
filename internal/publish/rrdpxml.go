package publish

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/roadrpki/road/internal/rrdp"
)

// The RRDP files are written and read back by internal/rrdp; this file
// adapts the publisher's bookkeeping (hashes as lowercase hex, deltas with
// their size and age) to it.

// Bounds on what recovery reads back from disk.
const (
	maxNotificationSize = 8 << 20
	maxSnapshotSize     = 1 << 30
	maxObjectSize       = 64 << 20
)

// fileRef is a snapshot or delta file as the notification lists it.
type fileRef struct {
	URI  string
	Hash string // lowercase hex SHA-256 of the file bytes (RFC 8182 §3.5.1.3)
}

func (r fileRef) rrdp() rrdp.FileRef { return rrdp.FileRef{URI: r.URI, Hash: hashBytes(r.Hash)} }

func refOf(r rrdp.FileRef) fileRef { return fileRef{URI: r.URI, Hash: hex.EncodeToString(r.Hash[:])} }

// hashBytes converts a hex SHA-256 this package computed itself.
func hashBytes(s string) [32]byte {
	var h [32]byte
	hex.Decode(h[:], []byte(s))
	return h
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

// notificationXML renders the notification file; deltas newest first
// (RFC 8182 §3.5.1.3 allows any order, newest first is the common one).
func notificationXML(session string, serial uint64, snap fileRef, deltas []deltaRef) []byte {
	n := &rrdp.Notification{Header: rrdp.Header{Session: session, Serial: serial}, Snapshot: snap.rrdp()}
	for _, d := range deltas {
		n.Deltas = append(n.Deltas, rrdp.DeltaRef{Serial: d.Serial, FileRef: d.fileRef.rrdp()})
	}
	var b bytes.Buffer
	rrdp.WriteNotification(&b, n)
	return b.Bytes()
}

// snapshotXML renders the snapshot of objs, in the order given (RFC 8182
// §3.5.2.3: publish elements without hash).
func snapshotXML(session string, serial uint64, uris []string, data func(string) []byte) []byte {
	var b bytes.Buffer
	e := rrdp.StartSnapshot(&b, rrdp.Header{Session: session, Serial: serial})
	for _, u := range uris {
		e.Publish(u, nil, data(u))
	}
	e.Close()
	return b.Bytes()
}

// snapshotFromFragments renders the same bytes as snapshotXML from each
// object's cached <publish> element (RFC 8182 §3.5.2.3), rendering only
// those not cached yet. It appends to dst[:0], reusing its memory.
func snapshotFromFragments(dst []byte, session string, serial uint64, uris []string, objs map[string]*objectState) []byte {
	size := 0
	for _, u := range uris {
		size += len(fragment(u, objs[u]))
	}
	b := bytes.NewBuffer(dst[:0])
	b.Grow(size + 512)
	e := rrdp.StartSnapshot(b, rrdp.Header{Session: session, Serial: serial})
	for _, u := range uris {
		b.Write(objs[u].frag)
	}
	e.Close()
	return b.Bytes()
}

// fragment returns o's snapshot <publish> element, rendering it by the
// rrdp encoder on first use.
func fragment(uri string, o *objectState) []byte {
	if o.frag == nil {
		var b bytes.Buffer
		e := rrdp.StartSnapshot(&b, rrdp.Header{})
		start := b.Len()
		e.Publish(uri, nil, o.data)
		o.frag = bytes.Clone(b.Bytes()[start:])
	}
	return o.frag
}

// deltaXML renders one delta (RFC 8182 §3.5.3.3): publish without hash for a
// new object, publish with the replaced object's hash, withdraw with hash.
func deltaXML(session string, serial uint64, changes []change) []byte {
	var b bytes.Buffer
	e := rrdp.StartDelta(&b, rrdp.Header{Session: session, Serial: serial})
	for _, c := range changes {
		switch {
		case c.Withdraw:
			e.Withdraw(c.URI, hashBytes(c.PrevHash))
		case c.PrevHash != "":
			h := hashBytes(c.PrevHash)
			e.Publish(c.URI, &h, c.Data)
		default:
			e.Publish(c.URI, nil, c.Data)
		}
	}
	e.Close()
	return b.Bytes()
}

// notificationFile is a parsed notification.
type notificationFile struct {
	Session  string
	Serial   uint64
	Snapshot fileRef
	Deltas   []deltaListing // in file order
}

type deltaListing struct {
	Serial uint64
	fileRef
}

func limits() rrdp.Limits { return rrdp.Limits{MaxObject: maxObjectSize} }

func badFile(err error) error { return fmt.Errorf("%w: %w", ErrBadFile, err) }

// parseNotification reads a notification file (RFC 8182 §3.5.1.3).
func parseNotification(data []byte) (*notificationFile, error) {
	if len(data) > maxNotificationSize {
		return nil, fmt.Errorf("%w: notification larger than %d bytes", ErrBadFile, maxNotificationSize)
	}
	n, err := rrdp.ParseNotification(bytes.NewReader(data), limits())
	if err != nil {
		return nil, badFile(err)
	}
	out := &notificationFile{Session: n.Session, Serial: n.Serial, Snapshot: refOf(n.Snapshot)}
	for _, d := range n.Deltas {
		out.Deltas = append(out.Deltas, deltaListing{Serial: d.Serial, fileRef: refOf(d.FileRef)})
	}
	return out, nil
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
	h, err := rrdp.ParseSnapshot(bytes.NewReader(data), limits(), func(el rrdp.Element) error {
		objs = append(objs, snapshotEntry{URI: el.URI, Data: el.Data})
		return nil
	})
	if err != nil {
		return "", 0, nil, badFile(err)
	}
	return h.Session, h.Serial, objs, nil
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
	h, err := rrdp.ParseDelta(bytes.NewReader(data), limits(), func(el rrdp.Element) error {
		e := deltaEntry{URI: el.URI, Withdraw: el.Withdraw, Data: el.Data}
		if el.Hash != nil {
			e.Hash = hex.EncodeToString(el.Hash[:])
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return "", 0, nil, badFile(err)
	}
	return h.Session, h.Serial, out, nil
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
