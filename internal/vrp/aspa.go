package vrp

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// ASPA is a validated AS Provider Authorization payload: the providers that
// Customer authorizes (draft-ietf-sidrops-aspa-profile). Providers is sorted
// ascending and unique; build it with NewASPA.
type ASPA struct {
	Customer  uint32
	Providers []uint32
}

// ErrASPA is the reason code of a malformed ASPA.
var ErrASPA = errors.New("bad-aspa")

// NewASPA sorts and de-duplicates providers (it takes ownership of the slice).
func NewASPA(customer uint32, providers []uint32) ASPA {
	slices.Sort(providers)
	return ASPA{Customer: customer, Providers: slices.Compact(providers)}
}

// Validate checks the RTR v2 rules (draft-ietf-sidrops-8210bis §5.12): at
// least one provider, ascending and unique, and AS0 only as the sole provider.
func (a ASPA) Validate() error {
	if len(a.Providers) == 0 {
		return fmt.Errorf("%w: AS%d has no providers", ErrASPA, a.Customer)
	}
	for i := 1; i < len(a.Providers); i++ {
		if a.Providers[i] <= a.Providers[i-1] {
			return fmt.Errorf("%w: AS%d providers not ascending and unique", ErrASPA, a.Customer)
		}
	}
	if len(a.Providers) > 1 && a.Providers[0] == 0 {
		return fmt.Errorf("%w: AS%d lists AS0 among other providers", ErrASPA, a.Customer)
	}
	return nil
}

// Equal reports whether a and b authorize the same providers for the same customer.
func (a ASPA) Equal(b ASPA) bool {
	return a.Customer == b.Customer && slices.Equal(a.Providers, b.Providers)
}

// CompareASPA orders ASPAs by customer AS.
func CompareASPA(a, b ASPA) int { return cmp.Compare(a.Customer, b.Customer) }

// NormalizeASPAs returns one ASPA per customer, sorted by customer, with the
// provider lists of duplicates unioned (RTR carries one record per customer,
// draft-ietf-sidrops-8210bis §5.12). AS0 is dropped from multi-provider lists.
func NormalizeASPAs(in []ASPA) []ASPA {
	out := slices.Clone(in)
	slices.SortStableFunc(out, CompareASPA)
	merged := out[:0]
	for _, a := range out {
		if n := len(merged); n > 0 && merged[n-1].Customer == a.Customer {
			merged[n-1].Providers = append(merged[n-1].Providers, a.Providers...)
			continue
		}
		merged = append(merged, ASPA{Customer: a.Customer, Providers: slices.Clone(a.Providers)})
	}
	for i := range merged {
		p := merged[i].Providers
		slices.Sort(p)
		p = slices.Compact(p)
		if len(p) > 1 && p[0] == 0 {
			p = p[1:]
		}
		merged[i].Providers = p
	}
	return slices.DeleteFunc(merged, func(a ASPA) bool { return len(a.Providers) == 0 })
}

// DiffASPAs returns, for sorted normalized sets, the ASPAs to announce and
// the customers to withdraw. A changed provider list is a withdrawal plus an
// announcement: announcing a customer that is already active is error 7
// (draft-ietf-sidrops-8210bis §13), so withdrawals must be sent first.
func DiffASPAs(old, cur []ASPA) (announce, withdraw []ASPA) {
	i, j := 0, 0
	for i < len(cur) || j < len(old) {
		switch {
		case j == len(old) || (i < len(cur) && cur[i].Customer < old[j].Customer):
			announce = append(announce, cur[i])
			i++
		case i == len(cur) || old[j].Customer < cur[i].Customer:
			withdraw = append(withdraw, ASPA{Customer: old[j].Customer})
			j++
		default:
			if !cur[i].Equal(old[j]) {
				withdraw = append(withdraw, ASPA{Customer: old[j].Customer})
				announce = append(announce, cur[i])
			}
			i++
			j++
		}
	}
	return announce, withdraw
}
