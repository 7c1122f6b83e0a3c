// Package fault is the one shape of an error a caller can act on: a stable
// kebab-case reason code, a message for people and optional details. The
// domain packages (proposal, liveroutes, audit, the daemon) return them;
// internal/api alone maps their codes to HTTP statuses.
package fault

import (
	"errors"
	"fmt"
)

// Reason codes. They are part of the user contract (the REST error body's
// "code"), so they never change spelling.
const (
	Invalid     = "bad-request" // the caller's input is wrong (malformed, out of bounds)
	NotFound    = "not-found"   // the named thing does not exist
	Conflict    = "conflict"    // the request clashes with the current state
	Blocked     = "blocked"     // a safety rule refuses it (the two-person rule: no self-approval)
	TooLarge    = "too-large"   // an upload or body is over its bound
	Unavailable = "unavailable" // not ready yet; retrying later may work
)

// Error is a domain error with its reason code.
type Error struct {
	Code    string
	Message string
	Details any // marshalled as the error's details (JSON)
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an Error with code, message and details.
func New(code, message string, details any) *Error {
	return &Error{Code: code, Message: message, Details: details}
}

// Invalidf reports bad input.
func Invalidf(format string, args ...any) error {
	return &Error{Code: Invalid, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing thing.
func NotFoundf(format string, args ...any) error {
	return &Error{Code: NotFound, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
