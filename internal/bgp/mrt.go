package bgp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/roadrpki/road/internal/route"
)

// MRT types and subtypes (RFC 6396 §4, RFC 8050 §3).
const (
	mrtTableDump   = 12
	mrtTableDumpV2 = 13
	mrtBGP4MP      = 16
	mrtBGP4MPET    = 17

	tdv2PeerIndex = 1
	tdv2RIBGen    = 6
	tdv2RIBGenAP  = 12

	bgp4mpState    = 0
	bgp4mpStateAS4 = 5

	bgpUpdate         = 2
	bgpStateEstablish = 6
)

// maxRecord bounds one MRT record; TABLE_DUMP_V2 RIB records of a prefix
// seen by hundreds of peers can pass 64 KiB, BGP messages stay under 64 KiB
// (RFC 8654).
const maxRecord = 16 << 20

// EventKind says what an Event does.
type EventKind uint8

const (
	EventAnnounce EventKind = iota + 1 // Route is announced by Peer
	EventWithdraw                      // Route.Prefix is withdrawn by Peer
	EventPeerDown                      // Peer's session left Established: all its routes go
)

// MRTPeer is the BGP neighbour of the collector that a route came from.
type MRTPeer struct {
	Addr netip.Addr
	ASN  uint32
}

// Event is one decoded change, in file order.
type Event struct {
	Kind   EventKind
	Peer   MRTPeer
	PathID uint32 // ADD-PATH identifier (RFC 7911), 0 without
	Route  route.Route
}

type mrtDecoder struct {
	r       *bufio.Reader
	buf     []byte
	peers   []MRTPeer // TABLE_DUMP_V2 PEER_INDEX_TABLE
	havePIT bool
	stats   *ImportStats
	pending []Event
	emit    func(Event) error
	// anySAFI decodes multicast NLRI as if unicast: only for comparing with
	// bgpdump, which prints both alike.
	anySAFI bool
}

// errStop wraps an error returned by the caller's callback.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }

func (d *mrtDecoder) run(ctx context.Context) error {
	var hdr [12]byte
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := io.ReadFull(d.r, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				d.stats.skip(ReasonTruncated)
				return nil
			}
			return fmt.Errorf("bgp: read-error: %w", err)
		}
		d.stats.Records++
		typ := binary.BigEndian.Uint16(hdr[4:6])
		sub := binary.BigEndian.Uint16(hdr[6:8])
		length := binary.BigEndian.Uint32(hdr[8:12])
		if length > maxRecord {
			d.stats.skip(ReasonTooLong)
			if _, err := io.CopyN(io.Discard, d.r, int64(length)); err != nil {
				d.stats.skip(ReasonTruncated)
				return nil
			}
			continue
		}
		body, err := readN(d.r, d.buf[:0], int(length))
		d.buf = body[:0]
		if err != nil {
			d.stats.skip(ReasonTruncated)
			return nil
		}
		d.pending = d.pending[:0]
		if reason := d.record(typ, sub, body); reason != "" {
			d.stats.skip(reason)
		}
		for _, ev := range d.pending {
			if err := d.emit(ev); err != nil {
				return errStop{err}
			}
		}
	}
}

func (d *mrtDecoder) add(ev Event) {
	d.pending = append(d.pending, ev)
}

// record decodes one MRT record into d.pending; a non-empty reason means
// the record (or part of it) was skipped.
func (d *mrtDecoder) record(typ, sub uint16, b []byte) string {
	switch typ {
	case mrtTableDump:
		return d.tableDump(sub, b)
	case mrtTableDumpV2:
		return d.tableDumpV2(sub, b)
	case mrtBGP4MPET:
		if len(b) < 4 {
			return ReasonTruncated
		}
		return d.bgp4mp(sub, b[4:]) // RFC 6396 §3: microsecond timestamp first
	case mrtBGP4MP:
		return d.bgp4mp(sub, b)
	}
	return ReasonUnknownType
}

// tableDump decodes a TABLE_DUMP (v1) record, RFC 6396 §4.2.
func (d *mrtDecoder) tableDump(sub uint16, b []byte) string {
	alen := 4
	switch sub {
	case afiIPv4:
	case afiIPv6:
		alen = 16
	default:
		return ReasonUnknownType
	}
	// view(2) seq(2) prefix plen(1) status(1) originated(4) peerIP peerAS(2) attrlen(2)
	if len(b) < 4+alen+1+1+4+alen+2+2 {
		return ReasonTruncated
	}
	raw := b[4 : 4+alen]
	bits := int(b[4+alen])
	b = b[4+alen+6:]
	peerAddr, _ := netip.AddrFromSlice(b[:alen])
	peer := MRTPeer{Addr: peerAddr, ASN: uint32(binary.BigEndian.Uint16(b[alen:]))}
	b = b[alen+2:]
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return ReasonTruncated
	}
	p, err := prefixFromBytes(raw, bits, sub)
	if err != nil {
		return ReasonBadPrefix
	}
	a, err := parseAttrs(b[2:2+n], 2, false)
	if err != nil {
		return attrReason(err)
	}
	return d.announce(peer, 0, p, a.path)
}

func attrReason(err error) string {
	if errors.Is(err, errASPath) {
		return ReasonBadASPath
	}
	return ReasonBadAttribute
}

// announce queues an announcement, or returns why it has no checkable origin.
func (d *mrtDecoder) announce(peer MRTPeer, pathID uint32, p netip.Prefix, path pathSummary) string {
	r := route.Route{Prefix: p}
	switch path.kind {
	case originEmpty:
		return ReasonEmptyPath
	case originConfed:
		return ReasonConfedOrigin
	case originNone:
		r.NoOrigin = true
	default:
		r.Origin = path.origin
	}
	d.add(Event{Kind: EventAnnounce, Peer: peer, PathID: pathID, Route: r})
	return ""
}

// tableDumpV2 decodes PEER_INDEX_TABLE and RIB records, RFC 6396 §4.3 and
// RFC 8050 §4 (ADD-PATH variants carry a path identifier per entry).
func (d *mrtDecoder) tableDumpV2(sub uint16, b []byte) string {
	var afi uint16
	addPath := false
	switch sub {
	case tdv2PeerIndex:
		return d.peerIndex(b)
	case 2:
		afi = afiIPv4
	case 4:
		afi = afiIPv6
	case 8:
		afi, addPath = afiIPv4, true
	case 10:
		afi, addPath = afiIPv6, true
	case 3, 5, 9, 11:
		return ReasonNonUnicast
	case tdv2RIBGen, tdv2RIBGenAP:
		return ReasonUnknownType // RIB_GENERIC: not produced for IP unicast by collectors
	default:
		return ReasonUnknownType
	}
	if !d.havePIT {
		return ReasonNoPeerIndex
	}
	// seq(4) plen(1) prefix count(2)
	if len(b) < 5 {
		return ReasonTruncated
	}
	bits := int(b[4])
	n := (bits + 7) / 8
	if len(b) < 5+n+2 {
		return ReasonTruncated
	}
	p, err := prefixFromBytes(b[5:5+n], bits, afi)
	if err != nil {
		return ReasonBadPrefix
	}
	count := int(binary.BigEndian.Uint16(b[5+n:]))
	b = b[5+n+2:]
	for range count {
		hdr := 8
		if addPath {
			hdr = 12
		}
		if len(b) < hdr {
			return ReasonTruncated
		}
		idx := int(binary.BigEndian.Uint16(b))
		var pathID uint32
		if addPath {
			pathID = binary.BigEndian.Uint32(b[6:])
		}
		alen := int(binary.BigEndian.Uint16(b[hdr-2:]))
		if len(b) < hdr+alen {
			return ReasonTruncated
		}
		attrs := b[hdr : hdr+alen]
		b = b[hdr+alen:]
		if idx >= len(d.peers) {
			d.stats.skip(ReasonBadPeerIndex)
			continue
		}
		a, err := parseAttrs(attrs, 4, true) // RFC 6396 §4.3.4: 4-byte ASNs
		if err != nil {
			d.stats.skip(attrReason(err))
			continue
		}
		if r := d.announce(d.peers[idx], pathID, p, a.path); r != "" {
			d.stats.skip(r)
		}
	}
	return ""
}

// peerIndex decodes PEER_INDEX_TABLE, RFC 6396 §4.3.1.
func (d *mrtDecoder) peerIndex(b []byte) string {
	if len(b) < 6 {
		return ReasonTruncated
	}
	nameLen := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 6+nameLen+2 {
		return ReasonTruncated
	}
	b = b[6+nameLen:]
	count := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if count*11 > len(b) { // smallest peer entry is 11 bytes
		return ReasonTruncated
	}
	peers := make([]MRTPeer, 0, count)
	for range count {
		if len(b) < 1 {
			return ReasonTruncated
		}
		typ := b[0]
		alen, aslen := 4, 2
		if typ&1 != 0 {
			alen = 16
		}
		if typ&2 != 0 {
			aslen = 4
		}
		if len(b) < 5+alen+aslen {
			return ReasonTruncated
		}
		addr, _ := netip.AddrFromSlice(b[5 : 5+alen])
		var asn uint32
		if aslen == 4 {
			asn = binary.BigEndian.Uint32(b[5+alen:])
		} else {
			asn = uint32(binary.BigEndian.Uint16(b[5+alen:]))
		}
		peers = append(peers, MRTPeer{Addr: addr, ASN: asn})
		b = b[5+alen+aslen:]
	}
	d.peers, d.havePIT = peers, true
	return ""
}

// bgp4mp decodes BGP4MP STATE_CHANGE and MESSAGE records, RFC 6396 §4.4,
// RFC 8050 §3 (ADD-PATH message subtypes 8..11).
func (d *mrtDecoder) bgp4mp(sub uint16, b []byte) string {
	asnLen := 2
	addPath := false
	switch sub {
	case bgp4mpState, 1, 6:
	case bgp4mpStateAS4, 4, 7:
		asnLen = 4
	case 8, 10:
		addPath = true
	case 9, 11:
		asnLen, addPath = 4, true
	default:
		return ReasonUnknownType
	}
	// peerAS localAS ifindex(2) afi(2) peerIP localIP
	if len(b) < 2*asnLen+4 {
		return ReasonTruncated
	}
	var peerAS uint32
	if asnLen == 4 {
		peerAS = binary.BigEndian.Uint32(b)
	} else {
		peerAS = uint32(binary.BigEndian.Uint16(b))
	}
	afi := binary.BigEndian.Uint16(b[2*asnLen+2:])
	b = b[2*asnLen+4:]
	alen := 4
	switch afi {
	case afiIPv4:
	case afiIPv6:
		alen = 16
	default:
		return ReasonUnsupportedAF
	}
	if len(b) < 2*alen {
		return ReasonTruncated
	}
	addr, _ := netip.AddrFromSlice(b[:alen])
	peer := MRTPeer{Addr: addr, ASN: peerAS}
	b = b[2*alen:]
	if sub == bgp4mpState || sub == bgp4mpStateAS4 {
		if len(b) < 4 {
			return ReasonTruncated
		}
		old, cur := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		if old == bgpStateEstablish && cur != bgpStateEstablish {
			d.add(Event{Kind: EventPeerDown, Peer: peer})
		}
		return ""
	}
	return d.update(peer, b, asnLen, addPath)
}

// update decodes a BGP message; UPDATEs (RFC 4271 §4.3) yield withdrawals
// then announcements, the classic fields before the MP_* attributes.
func (d *mrtDecoder) update(peer MRTPeer, b []byte, asnLen int, addPath bool) string {
	if len(b) < 19 {
		return ReasonTruncated
	}
	mlen := int(binary.BigEndian.Uint16(b[16:]))
	if mlen < 19 || mlen > len(b) {
		return ReasonTruncated
	}
	if b[18] != bgpUpdate {
		return ""
	}
	b = b[19:mlen]
	if len(b) < 2 {
		return ReasonTruncated
	}
	wlen := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+wlen+2 {
		return ReasonTruncated
	}
	withdrawn := b[2 : 2+wlen]
	b = b[2+wlen:]
	alen := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+alen {
		return ReasonTruncated
	}
	attrs, nlri := b[2:2+alen], b[2+alen:]
	a, err := parseAttrs(attrs, asnLen, false)
	if err != nil && !errors.Is(err, errASPath) {
		return ReasonBadAttribute
	}
	return d.updateRoutes(peer, withdrawn, nlri, a, addPath, err != nil)
}

// updateRoutes queues an UPDATE's withdrawals and announcements. With a
// malformed AS_PATH the announced prefixes are withdrawn instead
// (RFC 7606 §2 treat-as-withdraw). A truncated NLRI keeps the prefixes
// before the damage and is counted.
func (d *mrtDecoder) updateRoutes(peer MRTPeer, withdrawn, nlri []byte, a updateAttrs, addPath, badPath bool) string {
	reason := ""
	walk := func(b []byte, afi uint16, safi uint8, fn func(netip.Prefix, uint32)) {
		if safi != safiUnicast && !d.anySAFI {
			fn = func(netip.Prefix, uint32) { d.stats.skip(ReasonNonUnicast) }
		}
		if afi != afiIPv4 && afi != afiIPv6 {
			reason = ReasonUnsupportedAF
			return
		}
		if walkNLRI(b, afi, addPath, fn) != nil {
			reason = ReasonBadPrefix
		}
	}
	withdraw := func(p netip.Prefix, id uint32) {
		d.add(Event{Kind: EventWithdraw, Peer: peer, PathID: id, Route: route.Route{Prefix: p}})
	}
	ann := func(p netip.Prefix, id uint32) {
		if r := d.announce(peer, id, p, a.path); r != "" {
			d.stats.skip(r)
		}
	}
	if badPath {
		ann = withdraw
		reason = ReasonBadASPath
	}
	walk(withdrawn, afiIPv4, safiUnicast, withdraw)
	if a.hasUnrch {
		walk(a.unreach, a.unreachAF, a.unreachSF, withdraw)
	}
	walk(nlri, afiIPv4, safiUnicast, ann)
	if a.hasReach {
		walk(a.reach, a.reachAFI, a.reachSAFI, ann)
	}
	return reason
}

// readN appends n bytes from r to b, growing b as data actually arrives so
// that a record header claiming a large length costs nothing by itself.
func readN(r io.Reader, b []byte, n int) ([]byte, error) {
	for len(b) < n {
		step := min(n-len(b), 64<<10)
		if cap(b)-len(b) < step {
			nb := make([]byte, len(b), len(b)+max(step, cap(b)))
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(r, b[len(b):len(b)+step])
		b = b[:len(b)+m]
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
