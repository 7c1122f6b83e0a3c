package bgp

import (
	"bufio"
	"bytes"
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/route"
)

// maxLine bounds one text line; longer lines are skipped.
const maxLine = 64 << 10

// decodeText reads `PREFIX ORIGIN` lines ('#' comments) and `bgpdump -m`
// lines (TYPE|TIME|A/B/W/STATE|PEER_IP|PEER_AS|PREFIX|AS_PATH|...).
func decodeText(ctx context.Context, br *bufio.Reader, st *ImportStats, emit func(Event) error) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if !sc.Scan() {
			if sc.Err() == bufio.ErrTooLong {
				st.skip(ReasonTooLong)
				// the scanner cannot resume after an overlong line
				return nil
			}
			if sc.Err() != nil {
				return sc.Err()
			}
			return nil
		}
		line := sc.Bytes()
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		st.Records++
		var ev Event
		var reason string
		if bytes.IndexByte(line, '|') >= 0 {
			ev, reason = parseBgpdumpLine(string(line))
		} else {
			ev, reason = parsePlainLine(string(line))
		}
		if reason != "" {
			st.skip(reason)
			continue
		}
		if ev.Kind == 0 {
			continue
		}
		if err := emit(ev); err != nil {
			return errStop{err}
		}
	}
}

// parsePlainLine parses "192.0.2.0/24 64496" or "192.0.2.0/24 AS64496".
func parsePlainLine(line string) (Event, string) {
	f := strings.Fields(line)
	if len(f) != 2 {
		return Event{}, ReasonBadLine
	}
	p, err := netip.ParsePrefix(f[0])
	if err != nil {
		return Event{}, ReasonBadPrefix
	}
	asn, ok := parseASN(f[1])
	if !ok {
		return Event{}, ReasonBadLine
	}
	return Event{Kind: EventAnnounce, Route: route.Route{Prefix: p.Masked(), Origin: asn}}, ""
}

// parseASN accepts asplain ("64496", "AS64496") and asdot ("1.10") forms.
func parseASN(s string) (uint32, bool) {
	if len(s) > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's') {
		s = s[2:]
	}
	if hi, lo, ok := strings.Cut(s, "."); ok {
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return uint32(h<<16 | l), true
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil
}

// parseBgpdumpLine parses one `bgpdump -m` line. With ADD-PATH
// (TABLE_DUMP2_AP, BGP4MP_AP) a path id field precedes the AS path.
func parseBgpdumpLine(line string) (Event, string) {
	var buf [16]string
	f := splitFields(line, buf[:0])
	if len(f) < 6 {
		return Event{}, ReasonBadLine
	}
	addr, err := netip.ParseAddr(f[3])
	if err != nil {
		return Event{}, ReasonBadLine
	}
	asn, ok := parseASN(f[4])
	if !ok {
		return Event{}, ReasonBadLine
	}
	peer := MRTPeer{Addr: addr, ASN: asn}
	if f[2] == "STATE" {
		if len(f) < 7 {
			return Event{}, ReasonBadLine
		}
		if f[5] == "6" && f[6] != "6" {
			return Event{Kind: EventPeerDown, Peer: peer}, ""
		}
		return Event{}, ""
	}
	p, err := netip.ParsePrefix(f[5])
	if err != nil {
		return Event{}, ReasonBadPrefix
	}
	addPath := strings.HasSuffix(f[0], "_AP")
	pathField := 6
	var pathID uint32
	if addPath {
		if len(f) < 7 {
			return Event{}, ReasonBadLine
		}
		v, err := strconv.ParseUint(f[6], 10, 32)
		if err != nil {
			return Event{}, ReasonBadLine
		}
		pathID = uint32(v)
		pathField = 7
	}
	ev := Event{Peer: peer, PathID: pathID, Route: route.Route{Prefix: p.Masked()}}
	switch f[2] {
	case "W":
		ev.Kind = EventWithdraw
		return ev, ""
	case "A", "B":
	default:
		return Event{}, ReasonBadLine
	}
	if len(f) <= pathField {
		return Event{}, ReasonBadLine
	}
	kind, origin, ok := textOrigin(f[pathField])
	switch {
	case !ok:
		return Event{}, ReasonBadASPath
	case kind == originEmpty:
		return Event{}, ReasonEmptyPath
	case kind == originConfed:
		return Event{}, ReasonConfedOrigin
	case kind == originNone:
		ev.Route.NoOrigin = true
	default:
		ev.Route.Origin = origin
	}
	ev.Kind = EventAnnounce
	return ev, ""
}

// textOrigin applies RFC 6811 §2 to a bgpdump AS path: "1 2 3" (sequence),
// "{4,5}" (AS_SET), "(6 7)" or "[8,9]" (confederation segments).
func textOrigin(path string) (originKind, uint32, bool) {
	path = strings.TrimSpace(path)
	if path == "" {
		return originEmpty, 0, true
	}
	switch path[len(path)-1] {
	case '}':
		return originNone, 0, strings.LastIndexByte(path, '{') >= 0
	case ')', ']':
		return originConfed, 0, true
	}
	last := path
	if i := strings.LastIndexAny(path, " })]"); i >= 0 {
		last = path[i+1:]
	}
	asn, ok := parseASN(last)
	return originAS, asn, ok
}

// splitFields splits on '|' into dst without allocating for the usual
// bgpdump line (up to 16 fields; further text stays in the last field).
func splitFields(line string, dst []string) []string {
	for len(dst) < cap(dst)-1 {
		i := strings.IndexByte(line, '|')
		if i < 0 {
			break
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
	return append(dst, line)
}
