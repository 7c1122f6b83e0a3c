package rpki

import (
	"errors"
	"fmt"
)

// Stable reason codes. Every error returned by this package wraps one of them.
var (
	// ErrMalformed: not DER, truncated, trailing data or an ASN.1 type mismatch.
	ErrMalformed = errors.New("rpki: malformed")
	// ErrProfile: well-formed DER that breaks the RPKI profile (a MUST of an RFC).
	ErrProfile = errors.New("rpki: profile violation")
	// ErrSignature: a signature or digest does not verify.
	ErrSignature = errors.New("rpki: bad signature")
	// ErrTooLarge: input above the size bounds of this package.
	ErrTooLarge = errors.New("rpki: too large")
	// ErrInvalidInput: an encoder was given values it cannot encode.
	ErrInvalidInput = errors.New("rpki: invalid input")
)

// Size bounds applied before parsing.
const (
	maxObjectSize    = 1 << 20 // certificates, CRLs excepted, signed objects
	maxCRLSize       = 64 << 20
	maxManifestFiles = 1_000_000
	maxTALSize       = 64 << 10
	maxURILength     = 4096
)

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

func profilef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrProfile, fmt.Sprintf(format, a...))
}

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, a...))
}
