package rtr

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"unicode/utf8"

	"github.com/roadrpki/road/internal/vrp"
)

// PDU is one decoded RTR PDU. Only the fields of its Type are set.
type PDU struct {
	Header
	Serial    uint32 // Serial Notify, Serial Query, End of Data
	Announce  bool   // prefix and ASPA PDUs: flag bit 0
	VRP       vrp.VRP
	ASPA      vrp.ASPA
	Timers    Timers // End of Data v1+
	ErrorPDU  []byte // Error Report: the encapsulated PDU
	ErrorText string
	// Raw is the whole PDU as read (header included), for encapsulation in an
	// Error Report. It aliases the reader's buffer.
	Raw []byte
}

// ReadRaw reads exactly one PDU from r: first the 8-byte header, then the
// body whose length is bounded by maxLen before anything is allocated. buf is
// reused when large enough. On a bad length it returns the header bytes read
// so far (for the Error Report) with ErrPDULength or ErrPDUTooLarge.
func ReadRaw(r io.Reader, buf []byte, maxLen uint32) ([]byte, error) {
	if cap(buf) < headerLen {
		buf = make([]byte, headerLen, 64)
	}
	buf = buf[:headerLen]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(buf[4:])
	if n < headerLen {
		return buf, fmt.Errorf("%w: length %d < 8", ErrPDULength, n)
	}
	if n > maxLen {
		return buf, fmt.Errorf("%w: length %d > %d", ErrPDUTooLarge, n, maxLen)
	}
	// The buffer grows with what arrives, not with what the header claims:
	// a peer that announces a large PDU and sends it slowly holds only the
	// bytes it sent.
	for uint32(len(buf)) < n {
		chunk := int(min(n-uint32(len(buf)), readChunk))
		buf = slices.Grow(buf, chunk)
		got, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+got]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf[:headerLen], err
		}
	}
	return buf, nil
}

// readChunk is how much ReadRaw reads (and allocates) at a time.
const readChunk = 4096

// Parse decodes one complete PDU (as returned by ReadRaw) strictly: known
// version and type, exact lengths, valid prefixes, and sorted unique ASPA
// providers. Reserved fields are ignored on receipt (RFC 8210 §5).
func Parse(b []byte) (PDU, error) {
	if len(b) < headerLen {
		return PDU{}, fmt.Errorf("%w: %d bytes", ErrShortPDU, len(b))
	}
	p := PDU{Raw: b, Header: Header{Version: b[0], Type: b[1],
		Field: binary.BigEndian.Uint16(b[2:]), Length: binary.BigEndian.Uint32(b[4:])}}
	if p.Length != uint32(len(b)) {
		return p, fmt.Errorf("%w: header says %d, have %d", ErrPDULength, p.Length, len(b))
	}
	if p.Version > maxVersion {
		return p, fmt.Errorf("%w: %d", ErrPDUVersion, p.Version)
	}
	if !knownType(p.Version, p.Type) {
		return p, fmt.Errorf("%w: %d in version %d", ErrPDUType, p.Type, p.Version)
	}
	if want := fixedLength(p.Version, p.Type); want != 0 && p.Length != want {
		return p, fmt.Errorf("%w: type %d needs %d, has %d", ErrPDULength, p.Type, want, p.Length)
	}
	body := b[headerLen:]
	switch p.Type {
	case TypeSerialNotify, TypeSerialQuery:
		p.Serial = binary.BigEndian.Uint32(body)
	case TypeEndOfData:
		p.Serial = binary.BigEndian.Uint32(body)
		if p.Version > 0 {
			p.Timers = Timers{binary.BigEndian.Uint32(body[4:]), binary.BigEndian.Uint32(body[8:]), binary.BigEndian.Uint32(body[12:])}
		}
	case TypeIPv4Prefix, TypeIPv6Prefix:
		return parsePrefix(p, body)
	case TypeASPA:
		return parseASPA(p, body)
	case TypeErrorReport:
		return parseErrorReport(p, body)
	case TypeRouterKey:
		if p.Length < 8+20+4 {
			return p, fmt.Errorf("%w: router key %d bytes", ErrPDULength, p.Length)
		}
		p.Announce = b[2]&flagAnnounce != 0
	}
	return p, nil
}

func parsePrefix(p PDU, body []byte) (PDU, error) {
	p.Announce = body[0]&flagAnnounce != 0
	plen, mlen := int(body[1]), body[2]
	var addr netip.Addr
	if p.Type == TypeIPv4Prefix {
		addr = netip.AddrFrom4([4]byte(body[4:8]))
		body = body[8:]
	} else {
		addr = netip.AddrFrom16([16]byte(body[4:20]))
		body = body[20:]
	}
	pfx, err := addr.Prefix(plen)
	if err != nil || pfx.Addr() != addr {
		return p, fmt.Errorf("%w: prefix %s/%d", ErrPDUField, addr, plen)
	}
	p.VRP = vrp.VRP{Prefix: pfx, MaxLen: mlen, ASN: binary.BigEndian.Uint32(body)}
	if err := p.VRP.Validate(); err != nil {
		return p, fmt.Errorf("%w: %v", ErrPDUField, err)
	}
	return p, nil
}

func parseASPA(p PDU, body []byte) (PDU, error) {
	if p.Length < 12 || (p.Length-12)%4 != 0 {
		return p, fmt.Errorf("%w: ASPA length %d", ErrPDULength, p.Length)
	}
	p.Announce = uint8(p.Field>>8)&flagAnnounce != 0
	p.ASPA.Customer = binary.BigEndian.Uint32(body)
	n := (len(body) - 4) / 4
	if !p.Announce {
		if n != 0 {
			return p, fmt.Errorf("%w: ASPA withdrawal with %d providers", ErrPDULength, n)
		}
		return p, nil
	}
	provs := make([]uint32, n)
	for i := range provs {
		provs[i] = binary.BigEndian.Uint32(body[4+4*i:])
	}
	p.ASPA.Providers = provs
	if err := p.ASPA.Validate(); err != nil {
		return p, fmt.Errorf("%w: %v", ErrPDUField, err)
	}
	return p, nil
}

func parseErrorReport(p PDU, body []byte) (PDU, error) {
	if len(body) < 8 {
		return p, fmt.Errorf("%w: error report %d bytes", ErrPDULength, p.Length)
	}
	pl := binary.BigEndian.Uint32(body)
	if uint64(pl) > uint64(len(body)-8) {
		return p, fmt.Errorf("%w: encapsulated PDU length %d", ErrPDULength, pl)
	}
	p.ErrorPDU = body[4 : 4+pl]
	rest := body[4+pl:]
	tl := binary.BigEndian.Uint32(rest)
	if uint64(tl) != uint64(len(rest)-4) {
		return p, fmt.Errorf("%w: error text length %d, have %d", ErrPDULength, tl, len(rest)-4)
	}
	if !utf8.Valid(rest[4:]) {
		return p, fmt.Errorf("%w: error text is not UTF-8", ErrPDUField)
	}
	p.ErrorText = string(rest[4:])
	return p, nil
}
