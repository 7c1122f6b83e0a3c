package rpki

import (
	"bytes"
	encasn1 "encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers used by the RPKI profile.
var (
	oidSHA256WithRSA = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11} // RFC 7935 §2
	oidRSAEncryption = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}  // RFC 7935 §3
	oidSHA256        = encasn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidCommonName    = encasn1.ObjectIdentifier{2, 5, 4, 3}
	oidSerialNumber  = encasn1.ObjectIdentifier{2, 5, 4, 5}

	oidExtBasicConstraints = encasn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtSKI              = encasn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtAKI              = encasn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtKeyUsage         = encasn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtCRLDP            = encasn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtCertPolicies     = encasn1.ObjectIdentifier{2, 5, 29, 32}
	oidExtCRLNumber        = encasn1.ObjectIdentifier{2, 5, 29, 20}
	oidExtAIA              = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	oidExtSIA              = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}
	oidExtIPAddrBlocks     = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 7} // RFC 3779 §2.2.1
	oidExtASIdentifiers    = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 8} // RFC 3779 §3.2.1

	oidPolicyRPKI = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 14, 2} // RFC 6484 id-cp-ipAddr-asNumber
	oidQualCPS    = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}  // RFC 7318

	oidADCAIssuers    = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 2}
	oidADCARepository = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 5}
	oidADManifest     = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 10}
	oidADSignedObject = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 11}
	oidADNotify       = encasn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 13}
)

var (
	tagExplicit0 = asn1.Tag(0).ContextSpecific().Constructed()
	tagExplicit1 = asn1.Tag(1).ContextSpecific().Constructed()
	tagExplicit3 = asn1.Tag(3).ContextSpecific().Constructed()
	tagImplicit0 = asn1.Tag(0).ContextSpecific()
	tagURI       = asn1.Tag(6).ContextSpecific() // GeneralName uniformResourceIdentifier
)

// addAlgorithm writes an AlgorithmIdentifier with NULL parameters
// (RFC 4055 §5 for the RSA OIDs).
func addAlgorithm(b *cryptobyte.Builder, oid encasn1.ObjectIdentifier, withNull bool) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if withNull {
			b.AddASN1NULL()
		}
	})
}

// readAlgorithm reads an AlgorithmIdentifier whose parameters are absent or NULL.
func readAlgorithm(s *cryptobyte.String) (encasn1.ObjectIdentifier, error) {
	var alg cryptobyte.String
	var oid encasn1.ObjectIdentifier
	if !s.ReadASN1(&alg, asn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
		return nil, malformed("AlgorithmIdentifier")
	}
	if !alg.Empty() {
		var null cryptobyte.String
		if !alg.ReadASN1(&null, asn1.NULL) || len(null) != 0 || !alg.Empty() {
			return nil, profilef("algorithm %v: parameters must be NULL or absent", oid)
		}
	}
	return oid, nil
}

// encodableTime reports whether t can be written as an RFC 5280 Time that
// this package also parses back: UTCTime from 1950, GeneralizedTime to 9999.
func encodableTime(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1950 && y <= 9999
}

// addTime writes UTCTime through 2049 and GeneralizedTime from 2050 on
// (RFC 5280 §4.1.2.5), always in UTC with whole seconds.
func addTime(b *cryptobyte.Builder, t time.Time) {
	t = t.UTC()
	if t.Year() >= 1950 && t.Year() < 2050 {
		b.AddASN1(asn1.UTCTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(t.Format("060102150405Z"))) })
		return
	}
	addGeneralizedTime(b, t)
}

func addGeneralizedTime(b *cryptobyte.Builder, t time.Time) {
	b.AddASN1(asn1.GeneralizedTime, func(b *cryptobyte.Builder) {
		b.AddBytes([]byte(t.UTC().Format("20060102150405Z")))
	})
}

// readTime reads a UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5
// profile: Zulu, seconds present, no fractions, GeneralizedTime only from 2050.
func readTime(s *cryptobyte.String) (time.Time, error) {
	var v cryptobyte.String
	var tag asn1.Tag
	if !s.ReadAnyASN1(&v, &tag) {
		return time.Time{}, malformed("time")
	}
	switch tag {
	case asn1.UTCTime:
		return parseUTCTime(v)
	case asn1.GeneralizedTime:
		t, err := parseGeneralizedTime(v)
		if err == nil && t.Year() < 2050 {
			return time.Time{}, profilef("GeneralizedTime %s before 2050", v)
		}
		return t, err
	}
	return time.Time{}, malformed("time: not UTCTime or GeneralizedTime")
}

// readGeneralizedTime reads a GeneralizedTime in DER (RFC 9286 §4.2.1 fields).
func readGeneralizedTime(s *cryptobyte.String) (time.Time, error) {
	var v cryptobyte.String
	if !s.ReadASN1(&v, asn1.GeneralizedTime) {
		return time.Time{}, malformed("GeneralizedTime")
	}
	return parseGeneralizedTime(v)
}

func parseUTCTime(v []byte) (time.Time, error) {
	if len(v) != 13 || v[12] != 'Z' || !allDigits(v[:12]) {
		return time.Time{}, malformed(fmt.Sprintf("UTCTime %q", v))
	}
	year := atoi(v[0:2]) + 1900
	if year < 1950 {
		year += 100
	}
	return makeTime(year, v[2:12], v)
}

func parseGeneralizedTime(v []byte) (time.Time, error) {
	if len(v) != 15 || v[14] != 'Z' || !allDigits(v[:14]) {
		return time.Time{}, malformed(fmt.Sprintf("GeneralizedTime %q", v))
	}
	return makeTime(atoi(v[0:4]), v[4:14], v)
}

// makeTime builds the time from MMDDHHMMSS and rejects values that do not
// round-trip (month 13, February 30, second 60).
func makeTime(year int, r []byte, orig []byte) (time.Time, error) {
	mo, d, h, mi, se := atoi(r[0:2]), atoi(r[2:4]), atoi(r[4:6]), atoi(r[6:8]), atoi(r[8:10])
	t := time.Date(year, time.Month(mo), d, h, mi, se, 0, time.UTC)
	if t.Month() != time.Month(mo) || t.Day() != d || t.Hour() != h || t.Minute() != mi || t.Second() != se {
		return time.Time{}, malformed(fmt.Sprintf("time %q out of range", orig))
	}
	return t, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// addName writes a Name with the single CommonName RDN (RFC 6487 §4.4).
func addName(b *cryptobyte.Builder, cn string) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidCommonName)
				b.AddASN1(asn1.PrintableString, func(b *cryptobyte.Builder) { b.AddBytes([]byte(cn)) })
			})
		})
	})
}

// addNameOrRaw writes raw, a Name as some certificate encoded it, or else a
// Name of the one CommonName cn.
func addNameOrRaw(b *cryptobyte.Builder, cn string, raw []byte) {
	if raw != nil {
		b.AddBytes(raw)
		return
	}
	addName(b, cn)
}

// isPrintableString reports whether s fits the X.680 PrintableString alphabet.
func isPrintableString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case bytes.IndexByte([]byte(" '()+,-./:=?"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// readName reads a Name holding exactly one CommonName and at most one
// serialNumber (RFC 6487 §4.4, §4.5) and returns the CommonName, with
// "/serialNumber" appended when present so distinct names stay distinct.
func readName(s *cryptobyte.String) (string, []byte, error) {
	var raw, name cryptobyte.String
	if !s.ReadASN1Element(&raw, asn1.SEQUENCE) {
		return "", nil, malformed("Name")
	}
	outer := raw
	if !outer.ReadASN1(&name, asn1.SEQUENCE) {
		return "", nil, malformed("Name")
	}
	var cn, serial string
	var haveCN, haveSerial bool
	for !name.Empty() {
		var set cryptobyte.String
		if !name.ReadASN1(&set, asn1.SET) {
			return "", nil, malformed("RelativeDistinguishedName")
		}
		for !set.Empty() {
			var atv cryptobyte.String
			var oid encasn1.ObjectIdentifier
			var val cryptobyte.String
			var tag asn1.Tag
			if !set.ReadASN1(&atv, asn1.SEQUENCE) || !atv.ReadASN1ObjectIdentifier(&oid) ||
				!atv.ReadAnyASN1(&val, &tag) || !atv.Empty() {
				return "", nil, malformed("AttributeTypeAndValue")
			}
			if tag != asn1.PrintableString { // RFC 6487 §4.4
				return "", nil, profilef("name attribute %v is not a PrintableString", oid)
			}
			if !isPrintableString(string(val)) {
				return "", nil, malformed("PrintableString characters")
			}
			switch {
			case oid.Equal(oidCommonName) && !haveCN:
				cn, haveCN = string(val), true
			case oid.Equal(oidSerialNumber) && !haveSerial:
				serial, haveSerial = string(val), true
			default:
				return "", nil, profilef("name attribute %v not allowed or repeated", oid)
			}
		}
	}
	if !haveCN {
		return "", nil, profilef("name without CommonName")
	}
	if haveSerial {
		cn += "/" + serial
	}
	return cn, raw, nil
}

// addBitString writes a BIT STRING whose last byte has unused trailing bits.
func addBitString(b *cryptobyte.Builder, data []byte, unused int) {
	b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) {
		b.AddUint8(uint8(unused))
		b.AddBytes(data)
	})
}

// readOctetAlignedBitString reads a BIT STRING with no unused bits.
func readOctetAlignedBitString(s *cryptobyte.String) ([]byte, error) {
	var bs encasn1.BitString
	if !s.ReadASN1BitString(&bs) {
		return nil, malformed("BIT STRING")
	}
	if bs.BitLength%8 != 0 {
		return nil, malformed("BIT STRING not octet-aligned")
	}
	return bs.Bytes, nil
}

// readSerial reads a non-negative INTEGER of at most 20 content octets
// (RFC 5280 §4.1.2.2, RFC 6487 §4.2, RFC 9286 §4.2.1); zero only if allowZero.
func readSerial(s *cryptobyte.String, what string, allowZero bool) (*big.Int, error) {
	var full cryptobyte.String
	if !s.ReadASN1Element(&full, asn1.INTEGER) {
		return nil, malformed(what)
	}
	content, v := full, new(big.Int)
	var body cryptobyte.String
	if !content.ReadASN1(&body, asn1.INTEGER) {
		return nil, malformed(what)
	}
	if !full.ReadASN1Integer(v) {
		return nil, malformed(what + ": INTEGER not minimal")
	}
	if v.Sign() < 0 || (!allowZero && v.Sign() == 0) {
		return nil, profilef("%s must be positive", what)
	}
	if len(body) > 20 {
		return nil, profilef("%s longer than 20 octets", what)
	}
	return v, nil
}
