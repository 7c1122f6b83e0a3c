package migrate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/roadrpki/road/internal/vrp"
	"github.com/roadrpki/road/internal/vrpjson"
)

// ErrBadExport is the reason code of an export that is neither rpki-client
// JSON nor a VRP CSV.
var ErrBadExport = errors.New("bad-export")

// maxCSVLine bounds one CSV line.
const maxCSVLine = 4096

// Export is what ReadExport read.
type Export struct {
	Format  string // "json" or "csv"
	VRPs    []vrp.VRP
	Dropped int // JSON entries that are not valid VRPs (vrpjson counts them)
}

// ReadExport reads an rpki-client JSON export (gzip accepted, as vrpjson
// reads it) or a CSV export "ASN,IP Prefix,Max Length[,Trust Anchor[,...]]"
// as rpki-client -c, Routinator and FORT write it, with or without its
// header line. The first non-blank byte decides: '{' is JSON.
func ReadExport(r io.Reader) (Export, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == 0x1f) { // 0x1f: gzip
		set, _, meta, err := vrpjson.Load(br)
		if err != nil {
			return Export{}, fmt.Errorf("%w: %w", ErrBadExport, err)
		}
		if !meta.HasROAs {
			return Export{}, fmt.Errorf("%w: JSON without a \"roas\" member", ErrBadExport)
		}
		return Export{Format: "json", VRPs: set, Dropped: meta.Dropped}, nil
	}
	vrps, err := readCSV(br)
	if err != nil {
		return Export{}, err
	}
	return Export{Format: "csv", VRPs: vrps}, nil
}

func readCSV(r io.Reader) ([]vrp.VRP, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, maxCSVLine), maxCSVLine)
	var out []vrp.VRP
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		if n == 1 && strings.EqualFold(strings.TrimSpace(f[0]), "ASN") {
			continue // the header
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("%w: line %d: want ASN,IP Prefix,Max Length[,Trust Anchor]: %q", ErrBadExport, n, line)
		}
		v, err := csvVRP(f)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrBadExport, n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadExport, err)
	}
	return out, nil
}

func csvVRP(f []string) (vrp.VRP, error) {
	asn, err := vrp.ParseASN(f[0])
	if err != nil {
		return vrp.VRP{}, err
	}
	p, err := vrp.ParsePrefix(f[1])
	if err != nil {
		return vrp.VRP{}, err
	}
	ml, err := strconv.Atoi(strings.TrimSpace(f[2]))
	if err != nil || ml < 0 || ml > 128 {
		return vrp.VRP{}, fmt.Errorf("max length %q is not a number 0..128", f[2])
	}
	v := vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: asn}
	return v, v.Validate()
}
