// Package rtr is road's RPKI-to-Router cache server: protocol versions 0
// (RFC 6810), 1 (RFC 8210) and 2 (draft-ietf-sidrops-8210bis, with ASPA),
// immutable pre-encoded generations shared by all clients, and sources that
// feed it (rpki-client JSON files or URLs, SLURM).
package rtr

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PDU types (RFC 8210 §5, draft-ietf-sidrops-8210bis §5).
const (
	TypeSerialNotify  uint8 = 0
	TypeSerialQuery   uint8 = 1
	TypeResetQuery    uint8 = 2
	TypeCacheResponse uint8 = 3
	TypeIPv4Prefix    uint8 = 4
	TypeIPv6Prefix    uint8 = 6
	TypeEndOfData     uint8 = 7
	TypeCacheReset    uint8 = 8
	TypeRouterKey     uint8 = 9
	TypeErrorReport   uint8 = 10
	TypeASPA          uint8 = 11
)

// Error codes (RFC 8210 §12, 8210bis §13).
const (
	ErrCorruptData        uint16 = 0
	ErrInternal           uint16 = 1
	ErrNoData             uint16 = 2
	ErrInvalidRequest     uint16 = 3
	ErrUnsupportedVersion uint16 = 4
	ErrUnsupportedPDU     uint16 = 5
	ErrWithdrawUnknown    uint16 = 6
	ErrDuplicateAnnounce  uint16 = 7
	ErrUnexpectedVersion  uint16 = 8
	ErrASPAProviderList   uint16 = 9
	headerLen                    = 8
	maxVersion                   = 2
	flagAnnounce          uint8  = 1
	lenSerialNotify              = 12
	lenSerialQuery               = 12
	lenResetQuery                = 8
	lenCacheResponse             = 8
	lenIPv4Prefix                = 20
	lenIPv6Prefix                = 32
	lenEndOfDataV0               = 12
	lenEndOfDataV1               = 24
	lenCacheReset                = 8
	errorReportFixed             = 16 // header + two length fields
	maxErrorText                 = 4096
	maxASPAProviders             = 16380 // keeps an ASPA PDU under 64 KiB
	maxEncapsulated              = 64 * 1024
	MaxPDULen                    = errorReportFixed + maxEncapsulated + maxErrorText
)

// Reason codes of decode errors, stable for logs and tests.
var (
	ErrShortPDU    = errors.New("rtr-short-pdu")
	ErrPDULength   = errors.New("rtr-bad-length")
	ErrPDUType     = errors.New("rtr-unknown-pdu-type")
	ErrPDUVersion  = errors.New("rtr-bad-version")
	ErrPDUField    = errors.New("rtr-bad-field")
	ErrPDUTooLarge = errors.New("rtr-pdu-too-large")
)

// Header is the common 8-byte PDU header (RFC 8210 §5.1). Field is the
// session id, error code, or (ASPA) flags+zero, depending on Type.
type Header struct {
	Version uint8
	Type    uint8
	Field   uint16
	Length  uint32
}

func putHeader(b []byte, version, typ uint8, field uint16, length uint32) {
	b[0] = version
	b[1] = typ
	binary.BigEndian.PutUint16(b[2:], field)
	binary.BigEndian.PutUint32(b[4:], length)
}

func appendHeader(b []byte, version, typ uint8, field uint16, length uint32) []byte {
	var h [headerLen]byte
	putHeader(h[:], version, typ, field, length)
	return append(b, h[:]...)
}

// AppendSerialNotify encodes a Serial Notify (RFC 8210 §5.2).
func AppendSerialNotify(b []byte, version uint8, session uint16, serial uint32) []byte {
	b = appendHeader(b, version, TypeSerialNotify, session, lenSerialNotify)
	return binary.BigEndian.AppendUint32(b, serial)
}

// AppendSerialQuery encodes a Serial Query (RFC 8210 §5.3).
func AppendSerialQuery(b []byte, version uint8, session uint16, serial uint32) []byte {
	b = appendHeader(b, version, TypeSerialQuery, session, lenSerialQuery)
	return binary.BigEndian.AppendUint32(b, serial)
}

// AppendResetQuery encodes a Reset Query (RFC 8210 §5.4).
func AppendResetQuery(b []byte, version uint8) []byte {
	return appendHeader(b, version, TypeResetQuery, 0, lenResetQuery)
}

// AppendCacheResponse encodes a Cache Response (RFC 8210 §5.5).
func AppendCacheResponse(b []byte, version uint8, session uint16) []byte {
	return appendHeader(b, version, TypeCacheResponse, session, lenCacheResponse)
}

// AppendCacheReset encodes a Cache Reset (RFC 8210 §5.9).
func AppendCacheReset(b []byte, version uint8) []byte {
	return appendHeader(b, version, TypeCacheReset, 0, lenCacheReset)
}

// Timers are the End of Data intervals in seconds (RFC 8210 §6).
type Timers struct{ Refresh, Retry, Expire uint32 }

// AppendEndOfData encodes End of Data: 12 bytes in v0 (RFC 6810 §5.8), 24
// bytes with the three timers in v1 and v2 (RFC 8210 §5.8).
func AppendEndOfData(b []byte, version uint8, session uint16, serial uint32, t Timers) []byte {
	if version == 0 {
		b = appendHeader(b, version, TypeEndOfData, session, lenEndOfDataV0)
		return binary.BigEndian.AppendUint32(b, serial)
	}
	b = appendHeader(b, version, TypeEndOfData, session, lenEndOfDataV1)
	b = binary.BigEndian.AppendUint32(b, serial)
	b = binary.BigEndian.AppendUint32(b, t.Refresh)
	b = binary.BigEndian.AppendUint32(b, t.Retry)
	return binary.BigEndian.AppendUint32(b, t.Expire)
}

// AppendErrorReport encodes an Error Report (RFC 8210 §5.11) carrying the
// offending PDU (truncated to a sane bound) and a UTF-8 text.
func AppendErrorReport(b []byte, version uint8, code uint16, pdu []byte, text string) []byte {
	if len(pdu) > maxEncapsulated {
		pdu = pdu[:maxEncapsulated]
	}
	if len(text) > maxErrorText {
		text = text[:maxErrorText]
	}
	n := errorReportFixed + len(pdu) + len(text)
	b = appendHeader(b, version, TypeErrorReport, code, uint32(n))
	b = binary.BigEndian.AppendUint32(b, uint32(len(pdu)))
	b = append(b, pdu...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(text)))
	return append(b, text...)
}

// fixedLength returns the only valid length of a PDU type in a version, or
// 0 for variable-length or unknown types.
func fixedLength(version, typ uint8) uint32 {
	switch typ {
	case TypeSerialNotify, TypeSerialQuery:
		return 12
	case TypeResetQuery, TypeCacheResponse, TypeCacheReset:
		return 8
	case TypeIPv4Prefix:
		return lenIPv4Prefix
	case TypeIPv6Prefix:
		return lenIPv6Prefix
	case TypeEndOfData:
		if version == 0 {
			return lenEndOfDataV0
		}
		return lenEndOfDataV1
	}
	return 0
}

// knownType reports whether typ exists in the given protocol version.
func knownType(version, typ uint8) bool {
	switch typ {
	case TypeSerialNotify, TypeSerialQuery, TypeResetQuery, TypeCacheResponse,
		TypeIPv4Prefix, TypeIPv6Prefix, TypeEndOfData, TypeCacheReset, TypeErrorReport:
		return true
	case TypeRouterKey:
		return version >= 1
	case TypeASPA:
		return version >= 2
	}
	return false
}

// errorCodeName is for logs.
func errorCodeName(c uint16) string {
	names := [...]string{"corrupt-data", "internal-error", "no-data-available", "invalid-request",
		"unsupported-protocol-version", "unsupported-pdu-type", "withdrawal-of-unknown-record",
		"duplicate-announcement", "unexpected-protocol-version", "aspa-provider-list-error"}
	if int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("error-%d", c)
}
