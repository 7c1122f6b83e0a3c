package rtr

import (
	"encoding/binary"

	"github.com/roadrpki/road/internal/vrp"
)

// AppendPrefix encodes an IPv4 Prefix (20 bytes) or IPv6 Prefix (32 bytes)
// PDU (RFC 8210 §5.6, §5.7); announce sets flag bit 0.
func AppendPrefix(b []byte, version uint8, v vrp.VRP, announce bool) []byte {
	var flags uint8
	if announce {
		flags = flagAnnounce
	}
	a := v.Prefix.Addr()
	if a.Is4() {
		b = appendHeader(b, version, TypeIPv4Prefix, 0, lenIPv4Prefix)
		b = append(b, flags, uint8(v.Prefix.Bits()), v.MaxLen, 0)
		a4 := a.As4()
		b = append(b, a4[:]...)
	} else {
		b = appendHeader(b, version, TypeIPv6Prefix, 0, lenIPv6Prefix)
		b = append(b, flags, uint8(v.Prefix.Bits()), v.MaxLen, 0)
		a16 := a.As16()
		b = append(b, a16[:]...)
	}
	return binary.BigEndian.AppendUint32(b, v.ASN)
}

// prefixPDULen is the encoded size of v's prefix PDU.
func prefixPDULen(v vrp.VRP) int {
	if v.Prefix.Addr().Is4() {
		return lenIPv4Prefix
	}
	return lenIPv6Prefix
}

// AppendASPA encodes an ASPA PDU, version 2 only. Layout of the newest
// draft-ietf-sidrops-8210bis revisions (§5.12; checklist item 113): the
// header's session-id field carries Flags (bit 0 = announce) in its first
// octet and zero in the second; then the Customer ASN and, for an
// announcement only, the ascending unique Provider ASNs; Length = 12 + 4*N.
// A withdrawal has no providers and is exactly 12 bytes.
//
// Older revisions differ: -11 (the copy in ../shared/rfc, 2023) puts
// "Flags | AFI Flags | Provider AS Count" in a third 32-bit word after the
// Length, with zero in the header, and Debian's rtrdump 0.5.1 speaks that
// "8210bis-10" form. Later revisions removed the AFI flags and the count
// (the count follows from Length), the form independent router-side
// implementations of 2025-2026 decode; road follows the newest text.
func AppendASPA(b []byte, a vrp.ASPA, announce bool) []byte {
	var flags uint8
	provs := a.Providers
	if announce {
		flags = flagAnnounce
	} else {
		provs = nil
	}
	b = appendHeader(b, 2, TypeASPA, uint16(flags)<<8, uint32(12+4*len(provs)))
	b = binary.BigEndian.AppendUint32(b, a.Customer)
	for _, p := range provs {
		b = binary.BigEndian.AppendUint32(b, p)
	}
	return b
}
