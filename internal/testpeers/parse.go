package testpeers

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/vrp"
	"github.com/roadrpki/road/internal/vrpjson"
)

// Output formats of the peers, parsed strictly: a line that does not have the
// documented shape is an error, never silently skipped, so a changed tool
// version cannot make a test pass with an empty table.

// maxOutput bounds what the parsers accept (a full Internet table is ~30 MB of JSON).
const maxOutput = 256 << 20

// newVRP builds a VRP from the text fields of a tool's output. The prefix
// must be canonical (tools mask host bits themselves); asn may be "AS64496"
// or a decimal number, and a negative decimal is a signed int32 rendering of
// an ASN >= 2^31 (rtrlib 0.8.0 export templates).
func newVRP(prefix, maxLen, asn string) (vrp.VRP, error) {
	p, err := vrp.ParsePrefix(prefix)
	if err != nil {
		return vrp.VRP{}, fmt.Errorf("%w: %v", ErrParse, err)
	}
	ml, err := strconv.ParseUint(strings.TrimSpace(maxLen), 10, 8)
	if err != nil {
		return vrp.VRP{}, fmt.Errorf("%w: maxLength %q", ErrParse, maxLen)
	}
	a, err := parseToolASN(asn)
	if err != nil {
		return vrp.VRP{}, err
	}
	v := vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: a}
	if err := v.Validate(); err != nil {
		return vrp.VRP{}, fmt.Errorf("%w: %v", ErrParse, err)
	}
	return v, nil
}

// parseToolASN reads "AS64496", "64496" or a negative int32 (rtrlib bug:
// -94967296 is AS4200000000).
func parseToolASN(s string) (uint32, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		n, err := strconv.ParseInt(t, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%w: ASN %q", ErrParse, s)
		}
		return uint32(n + 1<<32), nil
	}
	a, err := vrp.ParseASN(t)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrParse, err)
	}
	return a, nil
}

// parseCSV reads a CSV with exactly the given header and calls row for each
// following line's fields (the peers write plain CSV without quoting).
func parseCSV(b []byte, header string, nfields int, row func(f []string) error) error {
	if len(b) > maxOutput {
		return fmt.Errorf("%w: %d bytes of CSV", ErrParse, len(b))
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			if text != header {
				return fmt.Errorf("%w: CSV header %q, want %q", ErrParse, text, header)
			}
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != nfields {
			return fmt.Errorf("%w: CSV line %d: %q: %d fields, want %d", ErrParse, line, text, len(f), nfields)
		}
		if err := row(f); err != nil {
			return fmt.Errorf("CSV line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrParse, err)
	}
	if line == 0 {
		return fmt.Errorf("%w: empty CSV (no header)", ErrParse)
	}
	return nil
}

// ParseRPKIClientCSV parses rpki-client's OUT/csv:
// "ASN,IP Prefix,Max Length,Trust Anchor,Expires" / "AS64496,192.0.2.0/24,24,test,1795427468".
func ParseRPKIClientCSV(b []byte) (vrp.Set, error) {
	out := []vrp.VRP{}
	err := parseCSV(b, "ASN,IP Prefix,Max Length,Trust Anchor,Expires", 5, func(f []string) error {
		if f[3] == "" {
			return fmt.Errorf("%w: empty trust anchor", ErrParse)
		}
		if _, err := strconv.ParseUint(f[4], 10, 63); err != nil {
			return fmt.Errorf("%w: expires %q", ErrParse, f[4])
		}
		v, err := newVRP(f[1], f[2], f[0])
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rpki-client csv: %w", err)
	}
	return vrp.NewSet(out), nil
}

// ParseFortCSV parses FORT's --output.format=csv: "ASN,Prefix,Max prefix length" / "AS64496,192.0.2.0/24,24".
func ParseFortCSV(b []byte) (vrp.Set, error) {
	out := []vrp.VRP{}
	err := parseCSV(b, "ASN,Prefix,Max prefix length", 3, func(f []string) error {
		v, err := newVRP(f[1], f[2], f[0])
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("fort csv: %w", err)
	}
	return vrp.NewSet(out), nil
}

// ParseVRPJSON parses the {"roas":[{"prefix","maxLength","asn"}...]} files of
// rpki-client, FORT and rtrdump. The "roas" key must be present (null or []
// mean an empty table); every entry must be a valid VRP.
func ParseVRPJSON(b []byte) (vrp.Set, error) {
	if len(b) > maxOutput {
		return nil, fmt.Errorf("%w: %d bytes of JSON", ErrParse, len(b))
	}
	vrps, _, err := vrpjson.Strict(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: VRP JSON: %w", ErrParse, err)
	}
	return vrps, nil
}

// RTRClientChange is one line of `rtrclient tcp -p` output: "+ 192.0.2.0  24 -  24  64496".
type RTRClientChange struct {
	Add bool
	VRP vrp.VRP
}

// ParseRTRClientLine parses one line of rtrclient's streaming (-p) output.
// ok is false for lines that are not prefix changes (the column header and
// rtrlib's debug log lines "(2026/11/23 01:28:28:127036): ...").
func ParseRTRClientLine(line string) (c RTRClientChange, ok bool, err error) {
	if !strings.HasPrefix(line, "+ ") && !strings.HasPrefix(line, "- ") {
		return c, false, nil
	}
	f := strings.Fields(line)
	// + ADDR LEN - MAXLEN ASN
	if len(f) != 6 || f[3] != "-" {
		return c, true, fmt.Errorf("%w: rtrclient line %q", ErrParse, line)
	}
	v, err := newVRP(f[1]+"/"+f[2], f[4], f[5])
	if err != nil {
		return c, true, fmt.Errorf("rtrclient line %q: %w", line, err)
	}
	return RTRClientChange{Add: f[0] == "+", VRP: v}, true, nil
}

// ParseBirdROATable parses `birdc show route table rN` output of ROA tables:
// "BIRD 2.0.12 ready.", "Table r4:", then "192.0.2.0/24-24 AS64496  [rtr1 09:36:23.189] * (100)".
func ParseBirdROATable(out string) ([]vrp.VRP, error) {
	var vs []vrp.VRP
	sawBanner := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "BIRD ") && strings.HasSuffix(line, " ready."):
			sawBanner = true
			continue
		case strings.HasPrefix(line, "Table ") && strings.HasSuffix(line, ":"):
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[2], "[") {
			return nil, fmt.Errorf("%w: birdc line %q", ErrParse, line)
		}
		i := strings.LastIndexByte(f[0], '-')
		if i < 0 || !strings.HasPrefix(f[1], "AS") {
			return nil, fmt.Errorf("%w: birdc line %q", ErrParse, line)
		}
		v, err := newVRP(f[0][:i], f[0][i+1:], f[1])
		if err != nil {
			return nil, fmt.Errorf("birdc line %q: %w", line, err)
		}
		vs = append(vs, v)
	}
	if !sawBanner {
		return nil, fmt.Errorf("%w: birdc output without its banner: %q", ErrParse, out)
	}
	return vs, nil
}

// ParseGoBGPRPKITable parses `gobgp rpki -a ipv4|ipv6 table`:
// "Network  Maxlen AS  Server" then "192.0.2.0/24  24  64496  127.0.0.1:18323".
func ParseGoBGPRPKITable(out string) ([]vrp.VRP, error) {
	var vs []vrp.VRP
	sawHeader := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) == 4 && f[0] == "Network" && f[1] == "Maxlen" && f[2] == "AS" && f[3] == "Server" {
			sawHeader = true
			continue
		}
		if len(f) != 4 || !sawHeader {
			return nil, fmt.Errorf("%w: gobgp rpki table line %q", ErrParse, line)
		}
		v, err := newVRP(f[0], f[1], f[2])
		if err != nil {
			return nil, fmt.Errorf("gobgp rpki table line %q: %w", line, err)
		}
		vs = append(vs, v)
	}
	if !sawHeader && len(vs) > 0 {
		return nil, fmt.Errorf("%w: gobgp rpki table without header", ErrParse)
	}
	return vs, nil
}
