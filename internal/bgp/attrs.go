package bgp

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Path attribute type codes (RFC 4271 §5.1, RFC 4760, RFC 6793).
const (
	attrASPath    = 2
	attrMPReach   = 14
	attrMPUnreach = 15
	attrAS4Path   = 17
)

// AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3).
const (
	segSet         = 1
	segSequence    = 2
	segConfedSeq   = 3
	segConfedSet   = 4
	afiIPv4        = 1
	afiIPv6        = 2
	safiUnicast    = 1
	flagExtendedLn = 0x10
)

// Stable reason codes for skipped records and routes.
const (
	ReasonTruncated     = "truncated"
	ReasonTooLong       = "record-too-long"
	ReasonBadAttribute  = "bad-attribute"
	ReasonBadASPath     = "bad-as-path"
	ReasonBadPrefix     = "bad-prefix"
	ReasonEmptyPath     = "empty-as-path"   // locally originated: no origin to check (RFC 6811 §2)
	ReasonConfedOrigin  = "confed-origin"   // origin is the collector's own AS, unknown to us
	ReasonNonUnicast    = "non-unicast"     // multicast and other SAFIs
	ReasonUnknownType   = "unknown-type"    // MRT type/subtype not decoded
	ReasonNoPeerIndex   = "no-peer-index"   // RIB record before PEER_INDEX_TABLE
	ReasonBadPeerIndex  = "bad-peer-index"  // RIB entry names a missing peer
	ReasonBadLine       = "bad-line"        // text line that does not parse
	ReasonUnsupportedAF = "unsupported-afi" // neither IPv4 nor IPv6
	ReasonNotUpdate     = "not-update"      // BGP message other than UPDATE (not an error)
)

var errMalformed = errors.New("malformed")

// originKind classifies the origin of an AS_PATH under RFC 6811 §2.
type originKind uint8

const (
	originEmpty  originKind = iota // no AS_PATH or no segments
	originAS                       // last ASN of a final AS_SEQUENCE
	originNone                     // final AS_SET: origin NONE
	originConfed                   // final confederation segment
)

// pathSummary is what the checks need from an AS_PATH: the final segment's
// type and last ASN, and the RFC 6793 §4.2.3 path length.
type pathSummary struct {
	kind   originKind
	origin uint32
	count  int // ASNs counted for AS4_PATH merging: a set counts 1, confed 0
	confed bool
}

// parseASPath walks the segments of an AS_PATH or AS4_PATH with asnLen-byte ASNs.
func parseASPath(b []byte, asnLen int) (pathSummary, error) {
	var s pathSummary
	for len(b) > 0 {
		if len(b) < 2 {
			return s, errMalformed
		}
		typ, n := b[0], int(b[1])
		b = b[2:]
		if n == 0 || len(b) < n*asnLen {
			return s, errMalformed
		}
		seg := b[:n*asnLen]
		b = b[n*asnLen:]
		last := seg[len(seg)-asnLen:]
		var asn uint32
		if asnLen == 4 {
			asn = binary.BigEndian.Uint32(last)
		} else {
			asn = uint32(binary.BigEndian.Uint16(last))
		}
		switch typ {
		case segSequence:
			s.kind, s.origin = originAS, asn
			s.count += n
		case segSet:
			s.kind, s.origin = originNone, 0
			s.count++
		case segConfedSeq, segConfedSet:
			s.kind, s.origin = originConfed, 0
			s.confed = true
		default:
			return s, errMalformed
		}
	}
	return s, nil
}

// updateAttrs is what the importer keeps from the path attributes.
type updateAttrs struct {
	path      pathSummary
	reachAFI  uint16
	reachSAFI uint8
	reach     []byte // MP_REACH_NLRI NLRI field (RFC 4760 §3)
	hasReach  bool
	unreachAF uint16
	unreachSF uint8
	unreach   []byte // MP_UNREACH_NLRI withdrawn routes (RFC 4760 §4)
	hasUnrch  bool
}

// parseAttrs decodes path attributes. asnLen is the AS_PATH ASN size of the
// session (2 or 4); ribDump marks TABLE_DUMP_V2 entries whose MP_REACH_NLRI
// is abbreviated to the next hop (RFC 6396 §4.3.4).
func parseAttrs(b []byte, asnLen int, ribDump bool) (updateAttrs, error) {
	var a updateAttrs
	var asPath, as4Path []byte
	var hasAS4 bool
	for len(b) > 0 {
		if len(b) < 3 {
			return a, errMalformed
		}
		flags, typ := b[0], b[1]
		var n int
		if flags&flagExtendedLn != 0 {
			if len(b) < 4 {
				return a, errMalformed
			}
			n = int(binary.BigEndian.Uint16(b[2:4]))
			b = b[4:]
		} else {
			n = int(b[2])
			b = b[3:]
		}
		if len(b) < n {
			return a, errMalformed
		}
		v := b[:n]
		b = b[n:]
		switch typ {
		case attrASPath:
			asPath = v
		case attrAS4Path:
			as4Path, hasAS4 = v, true
		case attrMPReach:
			if ribDump {
				continue
			}
			// AFI(2) SAFI(1) NH len(1) NH reserved(1) NLRI
			if len(v) < 5 || len(v) < 5+int(v[3]) {
				return a, errMalformed
			}
			a.reachAFI = binary.BigEndian.Uint16(v)
			a.reachSAFI = v[2]
			a.reach = v[5+int(v[3]):]
			a.hasReach = true
		case attrMPUnreach:
			if len(v) < 3 {
				return a, errMalformed
			}
			a.unreachAF = binary.BigEndian.Uint16(v)
			a.unreachSF = v[2]
			a.unreach = v[3:]
			a.hasUnrch = true
		}
	}
	p, err := parseASPath(asPath, asnLen)
	if err != nil {
		return a, errASPath
	}
	a.path = p
	// RFC 6793 §4.2.3: a 2-octet session may carry the true path tail in
	// AS4_PATH; it is used when it is valid, has no confederation segments,
	// and is not longer than AS_PATH. The merged path ends with it.
	if asnLen == 2 && hasAS4 {
		p4, err := parseASPath(as4Path, 4)
		if err == nil && !p4.confed && p4.kind != originEmpty && p.count >= p4.count {
			a.path.kind, a.path.origin = p4.kind, p4.origin
		}
	}
	return a, nil
}

var errASPath = errors.New("bad-as-path")

// walkNLRI calls fn for each prefix of an NLRI field (RFC 4271 §4.3), with a
// 4-byte path identifier before each when addPath (RFC 7911 §3). Host bits
// beyond the length are cleared.
func walkNLRI(b []byte, afi uint16, addPath bool, fn func(netip.Prefix, uint32)) error {
	maxBits := 32
	if afi == afiIPv6 {
		maxBits = 128
	}
	for len(b) > 0 {
		var pathID uint32
		if addPath {
			if len(b) < 4 {
				return errMalformed
			}
			pathID = binary.BigEndian.Uint32(b)
			b = b[4:]
		}
		if len(b) < 1 {
			return errMalformed
		}
		bits := int(b[0])
		n := (bits + 7) / 8
		if bits > maxBits || len(b) < 1+n {
			return errMalformed
		}
		p, err := prefixFromBytes(b[1:1+n], bits, afi)
		if err != nil {
			return err
		}
		fn(p, pathID)
		b = b[1+n:]
	}
	return nil
}

func prefixFromBytes(raw []byte, bits int, afi uint16) (netip.Prefix, error) {
	var addr netip.Addr
	switch afi {
	case afiIPv4:
		var a [4]byte
		if len(raw) > 4 || bits > 32 {
			return netip.Prefix{}, errMalformed
		}
		copy(a[:], raw)
		addr = netip.AddrFrom4(a)
	case afiIPv6:
		var a [16]byte
		if len(raw) > 16 || bits > 128 {
			return netip.Prefix{}, errMalformed
		}
		copy(a[:], raw)
		addr = netip.AddrFrom16(a)
	default:
		return netip.Prefix{}, errMalformed
	}
	return netip.PrefixFrom(addr, bits).Masked(), nil
}
