package vrpjson

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/roadrpki/road/internal/vrp"
)

// MaxBytes bounds a decompressed VRP JSON document (the whole RPKI is
// ~100 MB as rpki-client JSON in 2026).
const MaxBytes = 2 << 30

// Reason codes of JSON source errors.
var (
	ErrInvalid  = errors.New("vrp-json-invalid")
	ErrTooLarge = errors.New("vrp-json-too-large")
)

// Meta describes one loaded document.
type Meta struct {
	BuildTime time.Time // metadata.buildtime, or metadata.generated (unix); zero if absent
	ROAs      int       // entries read
	Dropped   int       // entries refused (bad prefix, maxLength or ASN)
	Expired   int       // entries whose "expires" lies before now
	ASPAs     int
	HasROAs   bool // the document has a "roas" member (null counts)
}

// Load reads rpki-client (or StayRTR/FORT) JSON, gzip auto-detected,
// without checking "expires".
func Load(r io.Reader) (vrp.Set, []vrp.ASPA, Meta, error) {
	return Decode(r, time.Time{})
}

// Decode is Load that also drops entries whose "expires" (unix
// seconds) is before now, unless now is zero. The document streams
// through a window (at most MaxBytes are read) and is scanned once.
func Decode(r io.Reader, now time.Time) (vrp.Set, []vrp.ASPA, Meta, error) {
	var hint int64
	if l, ok := r.(interface{ Len() int }); ok {
		hint = int64(l.Len())
	}
	return DecodeSized(r, now, hint)
}

// DecodeSized takes the expected size of the document to allocate the
// VRPs once instead of growing them (a large cost at 424k VRPs).
func DecodeSized(r io.Reader, now time.Time, sizeHint int64) (vrp.Set, []vrp.ASPA, Meta, error) {
	var meta Meta
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, meta, fmt.Errorf("%w: gzip: %v", ErrInvalid, err)
		}
		defer zr.Close()
		src = zr
		sizeHint *= 8 // typical rpki-client JSON compression ratio
	}
	lim := &limitReader{r: src, left: MaxBytes}
	// rpki-client writes about 130 bytes of JSON per ROA: allocate the VRPs once.
	vrps, aspas, err := decodeDocument(lim, now, &meta, int(min(max(sizeHint, 0), MaxBytes)/128))
	if err != nil {
		return nil, nil, meta, lim.wrap(err)
	}
	aspas = vrp.NormalizeASPAs(aspas)
	meta.ASPAs = len(aspas)
	return vrp.NewLargeSet(vrps), aspas, meta, nil
}

type roaJSON struct {
	Prefix    string          `json:"prefix"`
	MaxLength json.RawMessage `json:"maxLength"`
	ASN       json.RawMessage `json:"asn"`
	Expires   int64           `json:"expires"`
}

func roaToVRP(e roaJSON) (vrp.VRP, bool) {
	p, err := vrp.ParsePrefix(e.Prefix)
	if err != nil {
		return vrp.VRP{}, false
	}
	ml, err := strconv.ParseUint(string(e.MaxLength), 10, 8)
	if err != nil {
		return vrp.VRP{}, false
	}
	asn, ok := parseJSONASN(e.ASN)
	if !ok {
		return vrp.VRP{}, false
	}
	v := vrp.VRP{Prefix: p, MaxLen: uint8(ml), ASN: asn}
	return v, v.Validate() == nil
}

// parseJSONASN accepts 64496, "64496", "AS64496" and "as64496".
func parseJSONASN(raw json.RawMessage) (uint32, bool) {
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false
		}
	}
	n, err := vrp.ParseASN(s)
	return n, err == nil
}

type aspaJSON struct {
	Customer    json.RawMessage   `json:"customer_asid"`
	CustomerAlt json.RawMessage   `json:"customer"`
	Providers   []json.RawMessage `json:"providers"`
	ProviderSet []json.RawMessage `json:"provider_set"`
	Expires     int64             `json:"expires"`
}

// parseASPAs reads "aspas": [...] (rpki-client 9+, StayRTR) or the older
// "provider_authorizations": {"ipv4": [...], "ipv6": [...]} or [...].
func parseASPAs(raw json.RawMessage, now time.Time, meta *Meta) ([]vrp.ASPA, error) {
	var list []aspaJSON
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		var byAFI map[string][]aspaJSON
		if err := json.Unmarshal(t, &byAFI); err != nil {
			return nil, fmt.Errorf("%w: provider_authorizations: %v", ErrInvalid, err)
		}
		for _, l := range byAFI {
			list = append(list, l...)
		}
	} else if err := json.Unmarshal(t, &list); err != nil {
		return nil, fmt.Errorf("%w: aspas: %v", ErrInvalid, err)
	}
	var out []vrp.ASPA
	for _, e := range list {
		if !now.IsZero() && e.Expires != 0 && e.Expires < now.Unix() {
			meta.Expired++
			continue
		}
		craw := e.Customer
		if craw == nil {
			craw = e.CustomerAlt
		}
		cust, ok := parseJSONASN(craw)
		provRaw := append(e.Providers, e.ProviderSet...)
		provs := make([]uint32, 0, len(provRaw))
		for _, p := range provRaw {
			n, pok := parseJSONASN(p)
			ok = ok && pok
			provs = append(provs, n)
		}
		if !ok || len(provs) == 0 {
			meta.Dropped++
			continue
		}
		out = append(out, vrp.NewASPA(cust, provs))
	}
	return out, nil
}

func parseBuildTime(s string, gen json.Number) time.Time {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	if n, err := gen.Int64(); err == nil && n > 0 {
		return time.Unix(n, 0).UTC()
	}
	return time.Time{}
}

// limitReader fails (instead of truncating) past its limit.
type limitReader struct {
	r    io.Reader
	left int64
	hit  bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		l.hit = true
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitReader) wrap(err error) error {
	if l.hit || errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, int64(MaxBytes))
	}
	if errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrInvalid, err)
}
