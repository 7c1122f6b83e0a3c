// Package slurm reads RFC 8416 SLURM files (local filters and assertions for
// relying-party output) and applies them to a VRP set atomically.
package slurm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/roadrpki/road/internal/vrp"
)

// MaxFileBytes bounds a SLURM file.
const MaxFileBytes = 64 << 20

// ErrSLURM is the reason code of every SLURM error.
var ErrSLURM = errors.New("slurm-invalid")

// PrefixFilter removes matching VRPs (RFC 8416 §3.3.1).
type PrefixFilter struct {
	Prefix    netip.Prefix // invalid = any prefix
	ASN       uint32
	HasASN    bool
	HasPrefix bool
	Comment   string
}

// File is one parsed SLURM file.
type File struct {
	PrefixFilters    []PrefixFilter
	PrefixAssertions []vrp.VRP
}

type fileJSON struct {
	SlurmVersion            *int `json:"slurmVersion"`
	ValidationOutputFilters *struct {
		PrefixFilters *[]filterJSON     `json:"prefixFilters"`
		BgpsecFilters *[]bgpsecFiltJSON `json:"bgpsecFilters"`
	} `json:"validationOutputFilters"`
	LocallyAddedAssertions *struct {
		PrefixAssertions *[]assertJSON      `json:"prefixAssertions"`
		BgpsecAssertions *[]bgpsecAssrtJSON `json:"bgpsecAssertions"`
	} `json:"locallyAddedAssertions"`
}

type filterJSON struct {
	Prefix  *string `json:"prefix"`
	ASN     *uint32 `json:"asn"`
	Comment string  `json:"comment"`
}

type assertJSON struct {
	Prefix          *string `json:"prefix"`
	ASN             *uint32 `json:"asn"`
	MaxPrefixLength *uint8  `json:"maxPrefixLength"`
	Comment         string  `json:"comment"`
}

type bgpsecFiltJSON struct {
	ASN     *uint32 `json:"asn"`
	SKI     *string `json:"SKI"`
	Comment string  `json:"comment"`
}

type bgpsecAssrtJSON struct {
	ASN             *uint32 `json:"asn"`
	SKI             *string `json:"SKI"`
	RouterPublicKey *string `json:"routerPublicKey"`
	Comment         string  `json:"comment"`
}

// LoadFile reads and parses path.
func LoadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSLURM, err)
	}
	defer fh.Close()
	f, err := Parse(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse reads a SLURM document strictly: slurmVersion 1, exactly the members
// RFC 8416 §3.2 defines, no unknown members (§3: deviations are errors).
func Parse(r io.Reader) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSLURM, err)
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrSLURM, MaxFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j fileJSON
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSLURM, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrSLURM)
	}
	switch {
	case j.SlurmVersion == nil || *j.SlurmVersion != 1:
		return nil, fmt.Errorf("%w: slurmVersion must be 1", ErrSLURM)
	case j.ValidationOutputFilters == nil || j.LocallyAddedAssertions == nil:
		return nil, fmt.Errorf("%w: validationOutputFilters and locallyAddedAssertions are required", ErrSLURM)
	case j.ValidationOutputFilters.PrefixFilters == nil || j.ValidationOutputFilters.BgpsecFilters == nil:
		return nil, fmt.Errorf("%w: validationOutputFilters must contain prefixFilters and bgpsecFilters", ErrSLURM)
	case j.LocallyAddedAssertions.PrefixAssertions == nil || j.LocallyAddedAssertions.BgpsecAssertions == nil:
		return nil, fmt.Errorf("%w: locallyAddedAssertions must contain prefixAssertions and bgpsecAssertions", ErrSLURM)
	}
	f := &File{}
	for i, e := range *j.ValidationOutputFilters.PrefixFilters {
		pf := PrefixFilter{Comment: e.Comment}
		if e.Prefix == nil && e.ASN == nil {
			return nil, fmt.Errorf("%w: prefixFilters[%d] needs a prefix and/or an asn", ErrSLURM, i)
		}
		if e.Prefix != nil {
			p, err := vrp.ParsePrefix(*e.Prefix)
			if err != nil {
				return nil, fmt.Errorf("%w: prefixFilters[%d]: %v", ErrSLURM, i, err)
			}
			pf.Prefix, pf.HasPrefix = p, true
		}
		if e.ASN != nil {
			pf.ASN, pf.HasASN = *e.ASN, true
		}
		f.PrefixFilters = append(f.PrefixFilters, pf)
	}
	for i, e := range *j.ValidationOutputFilters.BgpsecFilters {
		if e.ASN == nil && e.SKI == nil {
			return nil, fmt.Errorf("%w: bgpsecFilters[%d] needs an asn and/or SKI", ErrSLURM, i)
		}
	}
	for i, e := range *j.LocallyAddedAssertions.PrefixAssertions {
		if e.Prefix == nil || e.ASN == nil {
			return nil, fmt.Errorf("%w: prefixAssertions[%d] needs prefix and asn", ErrSLURM, i)
		}
		p, err := vrp.ParsePrefix(*e.Prefix)
		if err != nil {
			return nil, fmt.Errorf("%w: prefixAssertions[%d]: %v", ErrSLURM, i, err)
		}
		v := vrp.VRP{Prefix: p, MaxLen: uint8(p.Bits()), ASN: *e.ASN}
		if e.MaxPrefixLength != nil {
			v.MaxLen = *e.MaxPrefixLength
		}
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%w: prefixAssertions[%d]: %v", ErrSLURM, i, err)
		}
		f.PrefixAssertions = append(f.PrefixAssertions, v)
	}
	for i, e := range *j.LocallyAddedAssertions.BgpsecAssertions {
		if e.ASN == nil || e.SKI == nil || e.RouterPublicKey == nil || strings.TrimSpace(*e.SKI) == "" {
			return nil, fmt.Errorf("%w: bgpsecAssertions[%d] needs asn, SKI and routerPublicKey", ErrSLURM, i)
		}
	}
	return f, nil
}

// matches reports whether the filter removes v: its prefix is covered by
// the filter's prefix, and/or its ASN equals the filter's (RFC 8416 §3.3.1).
func (pf PrefixFilter) matches(v vrp.VRP) bool {
	if pf.HasASN && v.ASN != pf.ASN {
		return false
	}
	if pf.HasPrefix && (v.Prefix.Addr().Is4() != pf.Prefix.Addr().Is4() ||
		v.Prefix.Bits() < pf.Prefix.Bits() || !pf.Prefix.Contains(v.Prefix.Addr())) {
		return false
	}
	return true
}

// Apply returns a new set: filters first, then assertions, which filters
// never remove (RFC 8416 §4.2); the input is not modified. ASPAs pass through.
func (f *File) Apply(vrps vrp.Set, aspas []vrp.ASPA) (vrp.Set, []vrp.ASPA) {
	out := make([]vrp.VRP, 0, len(vrps)+len(f.PrefixAssertions))
	for _, v := range vrps {
		keep := true
		for _, pf := range f.PrefixFilters {
			if pf.matches(v) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, v)
		}
	}
	if len(f.PrefixAssertions) == 0 {
		return vrp.Set(out), aspas // a filtered sorted set stays sorted
	}
	// Merge the sorted assertions in (O(n), no re-sort of a full RPKI); a
	// VRP both kept and asserted goes out once (§4.2: no duplicate PDUs).
	add := vrp.NewSet(slices.Clone(f.PrefixAssertions))
	merged := make([]vrp.VRP, 0, len(out)+len(add))
	i, j := 0, 0
	for i < len(out) || j < len(add) {
		switch {
		case j == len(add) || (i < len(out) && vrp.Compare(out[i], add[j]) < 0):
			merged = append(merged, out[i])
			i++
		case i == len(out) || vrp.Compare(out[i], add[j]) > 0:
			merged = append(merged, add[j])
			j++
		default:
			merged = append(merged, out[i])
			i, j = i+1, j+1
		}
	}
	return vrp.Set(merged), aspas
}

// Merge combines several files; overlapping prefix assertions between files
// reject the whole set (RFC 8416 §4.2).
func Merge(files ...*File) (*File, error) {
	m := &File{}
	for i, a := range files {
		for j := i + 1; j < len(files); j++ {
			for _, x := range a.PrefixAssertions {
				for _, y := range files[j].PrefixAssertions {
					if x.Prefix.Overlaps(y.Prefix) {
						return nil, fmt.Errorf("%w: assertions %s and %s in different files overlap", ErrSLURM, x, y)
					}
				}
			}
		}
		m.PrefixFilters = append(m.PrefixFilters, a.PrefixFilters...)
		m.PrefixAssertions = append(m.PrefixAssertions, a.PrefixAssertions...)
	}
	return m, nil
}
