package publish

import "errors"

// Errors carry a stable reason code (the text before the colon) for API
// responses and metrics, kebab-case like every reason code of road.
var (
	// ErrBadURI: an object URI is outside the rsync base or has a bad name.
	ErrBadURI = errors.New("publish-bad-uri")
	// ErrDuplicate: two objects with the same URI and different content.
	ErrDuplicate = errors.New("publish-duplicate-uri")
	// ErrStale: a staged change was built on a state that is no longer current.
	ErrStale = errors.New("publish-stale-stage")
	// ErrBadOptions: Options are incomplete or malformed.
	ErrBadOptions = errors.New("publish-bad-options")
	// ErrBadFile: an RRDP file read back from disk is malformed.
	ErrBadFile = errors.New("publish-bad-rrdp-file")
	// ErrWrite: writing a file or swapping the tree failed.
	ErrWrite = errors.New("publish-write-failed")
)
